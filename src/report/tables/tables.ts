/**
 * Markdown tables as data: the column arrays of the measurement, claim and run tables, and the one function
 * that renders any of them. Cells are escaped so an error message with a pipe cannot break a table.
 */
import type { CellStrategyId } from '../../strategies/ids.js';
import type { CellResult } from '../../results/cell.js';
import type { RunResults } from '../../results/run.js';
import type { ClaimResult } from '../claims/claims.js';
import {
  DASH,
  formatBytes,
  formatCount,
  formatDiff,
  formatFlops,
  formatMs,
  formatRatio,
  formatRme,
  significant,
} from '../../format.js';

export interface MarkdownColumn<Row> {
  readonly header: string;
  readonly align: 'left' | 'right';
  value(row: Row): string;
}

/**
 * Free text from outside (an error message, a machine name) made fit for one line of markdown: whitespace runs
 * collapsed, cut to `maxLength` characters with an ellipsis, and `<` written as `&lt;` so that text such as
 * `<anonymous>` cannot open an HTML tag in a GitHub comment. Table cells still go through `escapeCell`.
 */
export function plainText(text: string, maxLength = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
  return short.replace(/</g, '&lt;');
}

/** Escapes a table cell: pipes and line breaks would end it. */
export function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured markdown table of these rows. */
export function renderTable<Row>(columns: readonly MarkdownColumn<Row>[], rows: readonly Row[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(columns.map((column) => column.header)),
    line(columns.map((column) => (column.align === 'right' ? '---:' : ':---'))),
    ...rows.map((row) => line(columns.map((column) => escapeCell(column.value(row))))),
  ].join('\n');
}

/**
 * A table whose rows are already cells of text, in `header`'s order, through renderTable: for tables whose columns
 * are computed (one per backend, one per metric) rather than declared.
 */
export function renderRows(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: (index: number) => MarkdownColumn<unknown>['align'],
): string {
  const columns = header.map((title, index) => ({ header: title, align: align(index), value: (row: readonly string[]) => row[index] ?? '' }));
  return renderTable(columns, rows);
}

/** The post's numbering of the strategies (or where one comes from), for the table's first column. */
const POST_NAMES: Record<CellStrategyId, string> = {
  'retain-graph': "post's 1",
  'detach-d-first': "post's 2",
  'g-first': "post's 3",
  'single-forward': 'two tapes, not in the post',
  'frozen-d': 'pix2pix, not in the post',
  'retain-graph-printed': "post's 1 as printed",
  'detach-d-first-printed': "post's 2 as printed",
  'single-forward-inputs': 'backward(inputs=...), world size > 1 only',
  'stylegan2-ada': 'StyleGAN2-ADA, world size > 1 only',
  'stylegan3-flat': 'StyleGAN3, world size > 1 only',
};

const pair = (generator: number | null, discriminator: number | null) =>
  generator == null && discriminator == null ? DASH : `G ${generator ?? DASH} · D ${discriminator ?? DASH}`;

// The parameter-difference formatter lives with the other number formatters; re-exported for the report's callers.
export { formatDiff };

function equivalence(cell: CellResult): string {
  // Where D has BatchNorm: the largest difference of its running statistics, next to the parameters'.
  const running = cell.maxRunningStatsDiff == null || cell.equivalence === 'reference' ? '' : `; D's running stats Δ ${formatDiff(cell.maxRunningStatsDiff)}`;
  switch (cell.equivalence) {
    case null:
      return DASH;
    case 'reference':
      return 'reference';
    case 'identical':
      return `identical to ${cell.equivalentTo ?? DASH}${running}`;
    default:
      return `${cell.equivalence} (max Δ ${formatDiff(cell.maxParamDiff)})${running}`;
  }
}

/** Whether any of these cells counted BatchNorm running-statistics updates (a network with BatchNorm). */
export const hasBatchNorm = (cells: readonly CellResult[]): boolean =>
  cells.some((cell) => (cell.generatorBatchNormUpdates ?? 0) > 0 || (cell.discriminatorBatchNormUpdates ?? 0) > 0);

/**
 * BatchNorm's running-statistics updates per network in the observed step: a column of the measurement table
 * only for scenarios with BatchNorm (measurementColumns).
 */
export const BATCH_NORM_COLUMN: MarkdownColumn<CellResult> = {
  header: 'BatchNorm updates',
  align: 'left',
  value: (cell) => pair(cell.generatorBatchNormUpdates ?? null, cell.discriminatorBatchNormUpdates ?? null),
};

/** The measurements of one strategy on one backend, one row per cell. */
export const MEASUREMENT_COLUMNS: readonly MarkdownColumn<CellResult>[] = [
  {
    header: 'Strategy',
    align: 'left',
    value: (cell) => `${cell.strategy} (${POST_NAMES[cell.strategy]})`,
  },
  {
    header: 'Time (mean ± rme)',
    align: 'right',
    value: (cell) => {
      if (cell.status === 'errored') return '**errored**';
      if (cell.status === 'refused') return 'refused';
      if (cell.status === 'diverged') return `**diverged at step ${cell.diverged.step}**`;
      return cell.timing ? `${formatMs(cell.timing.meanMs)} ${formatRme(cell.timing.rmePct)}` : DASH;
    },
  },
  { header: 'p50', align: 'right', value: (cell) => formatMs(cell.timing?.p50Ms ?? null) },
  { header: 'p99', align: 'right', value: (cell) => formatMs(cell.timing?.p99Ms ?? null) },
  { header: 'Samples', align: 'right', value: (cell) => formatCount(cell.timing?.samples ?? null) },
  { header: 'Time ratio', align: 'right', value: (cell) => formatRatio(cell.timeRatio) },
  {
    header: 'FLOPs (measured / predicted)',
    align: 'right',
    value: (cell) => `${formatFlops(cell.flops)} / ${formatFlops(cell.flopsPredicted)}`,
  },
  {
    header: 'Kernels',
    align: 'right',
    value: (cell) => `${formatCount(cell.kernels)}${cell.dispatches == null ? '' : ` (${formatCount(cell.dispatches)} GPU dispatches)`}`,
  },
  { header: 'Forwards', align: 'left', value: (cell) => pair(cell.generatorForwards, cell.discriminatorForwards) },
  {
    header: 'Backwards (calls)',
    align: 'left',
    value: (cell) =>
      `${pair(cell.generatorBackwards, cell.discriminatorBackwards)}${cell.backwardCalls == null ? '' : ` (${cell.backwardCalls})`}`,
  },
  { header: 'Wasted grads', align: 'right', value: (cell) => formatCount(cell.wastedGradientElements) },
  { header: 'Peak memory', align: 'right', value: (cell) => formatBytes(cell.peakBytes) },
  { header: 'Retained', align: 'right', value: (cell) => formatBytes(cell.retainedBytes) },
  { header: 'Leaks', align: 'right', value: (cell) => formatCount(cell.leakedTensors) },
  { header: 'Equivalence', align: 'left', value: equivalence },
];

/** The measurement table's columns for these cells: BatchNorm's updates after the passes where a network has BatchNorm. */
export function measurementColumns(cells: readonly CellResult[]): readonly MarkdownColumn<CellResult>[] {
  if (!hasBatchNorm(cells)) return MEASUREMENT_COLUMNS;
  const after = MEASUREMENT_COLUMNS.findIndex((column) => column.header === 'Backwards (calls)') + 1;
  return [...MEASUREMENT_COLUMNS.slice(0, after), BATCH_NORM_COLUMN, ...MEASUREMENT_COLUMNS.slice(after)];
}

export const CLAIM_COLUMNS: readonly MarkdownColumn<ClaimResult>[] = [
  { header: 'Claim', align: 'left', value: (result) => result.claim },
  { header: 'Verdict', align: 'left', value: (result) => `**${result.verdict}**` },
  { header: 'Evidence', align: 'left', value: (result) => result.evidence },
  { header: 'Rule', align: 'left', value: (result) => result.rule },
];

/** A run as the report's header lists it. */
export interface RunRow {
  label: string;
  run: RunResults;
}

const placesOf = (run: RunResults) =>
  [...new Set(run.cells.map((cell) => `${cell.backend} · ${cell.device}`))].join('; ') || DASH;

export const RUN_COLUMNS: readonly MarkdownColumn<RunRow>[] = [
  { header: 'Run', align: 'left', value: ({ label }) => label },
  { header: 'Date', align: 'left', value: ({ run }) => run.createdAt },
  {
    header: 'Machine',
    align: 'left',
    value: ({ run: { machine } }) =>
      `${machine.cpuModel} (${machine.cpus} CPUs, ${formatBytes(machine.memoryBytes)}), ${machine.platform} ${machine.arch}, Node ${machine.node}`,
  },
  { header: 'Backend (requested)', align: 'left', value: ({ run }) => run.settings.backend },
  { header: 'Backend · device', align: 'left', value: ({ run }) => placesOf(run) },
  { header: 'tfjs', align: 'left', value: ({ run }) => run.versions.tfjs },
  {
    header: 'Harness overhead',
    align: 'right',
    value: ({ run }) =>
      run.harnessOverheadPct == null ? DASH : `${significant(run.harnessOverheadPct, 2)}% of a step`,
  },
  { header: 'Reference', align: 'left', value: ({ run }) => run.settings.referenceStrategy },
  {
    header: 'Shard',
    align: 'left',
    value: ({ run: { settings } }) => (settings.shard ? `${settings.shard.index}/${settings.shard.count}` : 'all'),
  },
];
