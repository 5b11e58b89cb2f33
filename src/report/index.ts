/** The report API: CSV, markdown, charts, claim verdicts and merging of results files. */
export { CSV_COLUMNS, CSV_HEADERS, type CsvColumn } from './tables/columns.js';
export { renderCsv } from './tables/csv.js';
export {
  compareTimes,
  evaluateClaims,
  evaluateClaimsPerBackend,
  type BackendClaims,
  type ClaimId,
  type ClaimResult,
  type MaybeTaggedCell,
  type TimeEstimate,
  type TimeOrdering,
  type Verdict,
} from './claims/claims.js';
export {
  CHART_TITLES,
  chartRows,
  chartSpecs,
  renderSvg,
  type ChartName,
  type ChartRow,
  type VegaLiteSpec,
} from './charts/charts.js';
export {
  crossoverPoints,
  describeCrossover,
  flopCrossover,
  interpolateCrossover,
  judgeSweepRule,
  locateCrossover,
  measuredCrossover,
  type Crossover,
  type CrossoverPoint,
  type Standing,
  type SweepRuleResult,
} from './crossover/crossover.js';
export { crossoverGroups, renderCrossoverSection, sweepsOf, type CrossoverGroup } from './crossover/section.js';
export { crossoverChartFile, crossoverChartRows, crossoverChartSpec, crossoverChartSpecs, type CrossoverChartRow } from './crossover/chart.js';
export { equivalenceParagraph, renderReport, runLabel, runNotices, type ReportOptions } from './markdown.js';
export { mergeRuns, type MergedRuns, type TaggedCell } from './merge.js';
export { formatBytes, formatCount, formatFlops, formatMs } from '../format.js';
