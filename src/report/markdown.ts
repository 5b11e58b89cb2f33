/**
 * The markdown report: data in, string out. A header of runs, optional chart images, then per scenario its
 * shapes; where several backends (or runs) measured it, the post's claims side by side with the places where
 * TensorFlow.js and PyTorch disagree, and their cost structures side by side; what the post's printed code raised
 * on each backend; then per backend · device (· run) the measurements, calibration, claims and update equivalence.
 */
import { isDistributedOnly, STRATEGY_IDS } from '../strategies/ids.js';
import type { UpdateOrder } from '../strategies/strategy.js';
import { describeUnit, keyId, keyOf, unitKeyId, type KeyDimension } from '../results/key.js';
import { groupBy } from './tables/grouping.js';
import type { RunResults, ScenarioSummary } from '../results/run.js';
import type { Calibration } from '../measure/calibration.js';
import { renderCalibration, renderCalibrationsSideBySide } from './sections/calibration.js';
import { CHART_TITLES } from './charts/chart-titles.js';
import { renderCrossoverSection, sweepsOf } from './crossover/section.js';
import { evaluateClaims } from './claims/claims.js';
import { renderClaimsSideBySide, type ClaimColumn } from './claims/side-by-side.js';
import { renderDistributedSection } from './distributed/section.js';
import { renderPrintedStrategies } from './claims/printed.js';
import { formatCount } from '../format.js';
import { mergeRuns, type TaggedCell } from './merge.js';
import { CLAIM_COLUMNS, formatDiff, measurementColumns, renderTable, RUN_COLUMNS } from './tables/tables.js';
import { messageOf } from '../errors.js';

export interface ReportOptions {
  /** Chart name (see `chartSpecs`) → file name relative to the report, embedded as an image. */
  charts?: Record<string, string>;
  /** Sweep name → file name of its crossover chart, embedded in its crossover section. */
  crossoverCharts?: Record<string, string>;
}

const ORDER_WORDS: Record<UpdateOrder, string> = {
  simultaneous: "simultaneous (both gradients at the step's starting weights)",
  'alternating-d-first': "alternating, D first (G's gradient goes through the updated D)",
  'alternating-g-first': "alternating, G first (D trains on the updated G's samples)",
};

/** "run 2 (2025-01-02T10:00:00.000Z, AMD EPYC 7B13)": how a merged report tells runs apart. */
export function runLabel(run: RunResults, index: number): string {
  return `run ${index + 1} (${run.createdAt}, ${run.machine.cpuModel})`;
}

const strategyRank = (id: string) => {
  const rank = (STRATEGY_IDS as readonly string[]).indexOf(id);
  return rank < 0 ? STRATEGY_IDS.length : rank;
};

const list = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

function shapesLine(scenario: ScenarioSummary): string {
  return (
    `G ${scenario.generatorWidths.join(' → ')}; D ${scenario.discriminatorWidths.join(' → ')}; ` +
    `batch ${scenario.batchSize}; parameters G ${formatCount(scenario.generatorParameters)} · ` +
    `D ${formatCount(scenario.discriminatorParameters)}; MACs per sample ` +
    `G ${formatCount(scenario.generatorMacsPerSample)} · D ${formatCount(scenario.discriminatorMacsPerSample)}.`
  );
}

/** Which strategies compute the same update, against each reference they were compared with, and their orders. */
export function equivalenceParagraph(cells: readonly TaggedCell[]): string {
  const sentences: string[] = [];
  const references = [...new Set(cells.flatMap((cell) => (cell.equivalentTo ? [cell.equivalentTo] : [])))];
  for (const reference of references) {
    const compared = cells.filter((cell) => cell.equivalentTo === reference && cell.equivalence !== 'reference');
    const same = compared
      .filter((cell) => cell.equivalence === 'identical' || cell.equivalence === 'within-tolerance')
      .map((cell) =>
        cell.equivalence === 'identical'
          ? `${cell.strategy} (identical)`
          : `${cell.strategy} (within tolerance, max Δ ${formatDiff(cell.maxParamDiff)})`,
      );
    const different = compared
      .filter((cell) => cell.equivalence === 'different')
      .map((cell) => `${cell.strategy} (max Δ ${formatDiff(cell.maxParamDiff)})`);
    const parts = [
      same.length
        ? `${list(same)} compute${same.length === 1 ? 's' : ''} the same update as ${reference}`
        : `no strategy computes the same update as ${reference}`,
      ...(different.length ? [`${list(different)} compute${different.length === 1 ? 's' : ''} a different one`] : []),
    ];
    sentences.push(`Against ${reference} (same weights, data and noise): ${parts.join('; ')}.`);
  }
  sentences.push(...runningStatisticsSentences(cells));
  const unchecked = cells.filter((cell) => cell.equivalence == null).map((cell) => cell.strategy);
  if (unchecked.length) sentences.push(`Not compared: ${list(unchecked)}.`);
  const orders = [...new Set(cells.map((cell) => cell.order))].map(
    (order) =>
      `${ORDER_WORDS[order]}: ${list(cells.filter((cell) => cell.order === order).map((cell) => cell.strategy))}`,
  );
  sentences.push(`Update order — ${orders.join('; ')}.`);
  return `**Update equivalence.** ${sentences.join(' ')}`;
}

/** "D updates them 3 times a step": a strategy's D BatchNorm updates in words, where counted. */
const dUpdates = (cell: TaggedCell) =>
  cell.discriminatorBatchNormUpdates == null ? '' : `, ${cell.discriminatorBatchNormUpdates} D update${cell.discriminatorBatchNormUpdates === 1 ? '' : 's'} a step`;

/**
 * Where D has BatchNorm: whose running statistics match the reference's after the same steps and whose differ (and
 * by how much), and whether the parameters agree anyway: training-mode BatchNorm normalises each forward with its
 * own batch's statistics, so a strategy with more D forwards moves the running statistics more often without
 * changing what any forward computes. Read from the cells, not assumed.
 */
function runningStatisticsSentences(cells: readonly TaggedCell[]): string[] {
  const compared = cells.filter((cell) => cell.maxRunningStatsDiff != null && cell.equivalence !== null);
  if (compared.length === 0) return [];
  const reference = compared.find((cell) => cell.equivalence === 'reference');
  const others = compared.filter((cell) => cell.equivalence !== 'reference');
  const referenceName = reference?.strategy ?? others[0]?.equivalentTo ?? 'the reference';
  const same = others.filter((cell) => cell.maxRunningStatsDiff === 0).map((cell) => `${cell.strategy}${dUpdates(cell)}`);
  const apart = others.filter((cell) => cell.maxRunningStatsDiff !== 0).map((cell) => `${cell.strategy} (max Δ ${formatDiff(cell.maxRunningStatsDiff ?? null)}${dUpdates(cell)})`);
  const sentences = [
    `D's BatchNorm running statistics after the same steps (${referenceName}${reference ? dUpdates(reference) : ''}): ` +
      [same.length ? `${list(same)} match` : '', apart.length ? `${list(apart)} differ` : ''].filter(Boolean).join('; ') +
      '.',
  ];
  const agreeing = others.filter((cell) => cell.maxRunningStatsDiff !== 0 && (cell.equivalence === 'identical' || cell.equivalence === 'within-tolerance'));
  if (agreeing.length > 0) {
    sentences.push(
      `With BatchNorm in training mode the parameters of ${list(agreeing.map((cell) => cell.strategy))} still agree with ${referenceName}'s ` +
        "although D's running statistics do not: each training-mode forward normalises with its own batch's statistics, which earlier " +
        'forwards do not change, and no training step reads the running ones (evaluation mode would).',
    );
  }
  return sentences;
}

/** One backend's cells of a scenario (in one run), with the label its column gets when several are side by side. */
interface Group {
  cells: TaggedCell[];
  heading: string;
  /** The column label: the backend, with its run where several runs are merged. */
  label: string;
  calibration: Calibration | undefined;
}

const EVIDENCE_COLUMNS = CLAIM_COLUMNS.filter((column) => column.header !== 'Rule');

/**
 * One backend's section: its measurements (the printed strategies that raised as they must are left to their own
 * section), its failures, its calibration, the claims with their evidence (and, when it stands alone, their rules;
 * beside other backends the rules are in the side-by-side table) and the update equivalence.
 */
function groupSection(scenario: ScenarioSummary, group: Group, alone: boolean): string {
  // gan_ddp's distributed-only forms (no world size 1 cell, no counts) are in the world size section only.
  const sorted = group.cells.filter((cell) => !isDistributedOnly(cell.strategy)).sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy));
  if (sorted.length === 0) return `### ${group.heading}\n\nOnly gan_ddp's distributed-only strategies: see the world size section.`;
  const measured = sorted.filter((cell) => cell.status !== 'raised');
  const errored = sorted.filter((cell) => cell.status === 'errored');
  const refused = sorted.filter((cell) => cell.status === 'refused');
  const diverged = sorted.flatMap((cell) => (cell.status === 'diverged' ? [cell] : []));
  let claims: string;
  try {
    claims = renderTable(alone ? CLAIM_COLUMNS : EVIDENCE_COLUMNS, evaluateClaims(scenario, sorted));
  } catch (error) {
    claims = `Not evaluated: ${messageOf(error)}.`;
  }
  const { backend, device } = sorted[0]!;
  return [
    `### ${group.heading}`,
    renderTable(measurementColumns(measured), measured),
    ...(errored.length
      ? [errored.map((cell) => `- **${cell.strategy} errored:** ${cell.error ?? 'no message'}`).join('\n')]
      : []),
    ...(refused.length ? [refused.map((cell) => `- ${cell.strategy} refused (no failure): ${cell.error ?? 'no message'}`).join('\n')] : []),
    ...(diverged.length
      ? [diverged.map((cell) => `- **${cell.strategy} diverged** at step ${cell.diverged.step}: ${cell.diverged.detail}; its numbers are left out of the claims.`).join('\n')]
      : []),
    ...(group.calibration ? [renderCalibration(group.calibration)] : []),
    alone ? `**Claims** (the post's, on ${backend} · ${device})` : `**Claims** (the post's, on ${backend} · ${device}; their rules are in the side-by-side table above)`,
    claims,
    equivalenceParagraph(measured),
  ].join('\n\n');
}

/** The data-parallel section (src/report/distributed/section.ts), where the scenario ran at a world size above 1. */
function distributedSection(cells: readonly TaggedCell[]): string[] {
  const section = renderDistributedSection(cells);
  return section ? [section] : [];
}

/** "PyTorch 1.13.0" or "tfjs 4.22.0 (wasm)": who ran a cell, for the printed strategies' section. */
function placeOf(cell: TaggedCell, runs: readonly RunResults[], label: string): string {
  const versions = runs[cell.run]?.versions;
  const pytorch = cell.backend === 'pytorch';
  const name = [pytorch ? 'PyTorch' : 'tfjs', pytorch ? versions?.['torch'] : versions?.tfjs].filter(Boolean).join(' ');
  return pytorch && label === 'pytorch' ? name : `${name} (${label})`;
}

function scenarioSection(scenario: ScenarioSummary, cells: readonly TaggedCell[], runs: readonly RunResults[]): string {
  const own = cells.filter((candidate) => candidate.scenario === scenario.name);
  // One group per unit (a cell's key without its strategy: src/results/key.ts) and run; each labelled by its backend
  // and whatever else tells it apart from the others (a world size, a second framework version).
  // The framework's version names a group only where one backend ran at two versions (two Pythons, say).
  // Counted once per backend, not once per cell: a report of thousands of cells would take minutes.
  const versions = new Map<string, Set<string>>();
  for (const cell of own) versions.set(cell.backend, (versions.get(cell.backend) ?? new Set()).add(keyOf(cell).framework));
  const varying: KeyDimension[] = [...versions.values()].some((found) => found.size > 1) ? ['framework'] : [];
  const groups: Group[] = groupBy(own, (cell) => JSON.stringify([cell.run, unitKeyId(cell), cell.device])).map((group) => {
    const { backend, device, run } = group[0]!;
    return {
      cells: group,
      heading: `${describeUnit(group[0]!, varying).split(' / ').slice(1).join(' · ')} · ${device}${runs.length > 1 ? ` · ${runLabel(runs[run]!, run)}` : ''}`,
      label: describeUnit(group[0]!, varying).split(' / ').slice(1).join(' · '),
      calibration: runs[run]?.calibrations?.find((c) => c.scenario === scenario.name && c.backend === backend && c.device === device),
    };
  });
  // Column labels must tell the groups apart: the backend, then its run, then a number.
  const relabel = (label: (group: Group, index: number) => string) => {
    const taken = groups.map((group) => group.label);
    groups.forEach((group, index) => {
      if (taken.filter((other) => other === group.label).length > 1) group.label = label(group, index);
    });
  };
  relabel((group) => `${group.label} · run ${group.cells[0]!.run + 1}`);
  relabel((group, index) => `${group.label} (${index + 1})`);

  const alone = groups.length <= 1;
  const together: string[] = [];
  if (!alone) {
    const columns = groups.flatMap((group): ClaimColumn[] => {
      try {
        const first = group.cells[0]!;
        const alike = JSON.stringify([first.run, keyId(first, ['strategy', 'framework'])]);
        return [{ label: group.label, backend: first.backend, framework: keyOf(first).framework, alike, claims: evaluateClaims(scenario, group.cells) }];
      } catch {
        return []; // the group's own section says why its claims were not evaluated
      }
    });
    together.push(`### The post's claims on ${list(groups.map((group) => group.label))}`, renderClaimsSideBySide(columns));
    const calibrated = groups.flatMap((group) => (group.calibration ? [{ label: group.label, calibration: group.calibration }] : []));
    if (calibrated.length > 1) together.push(renderCalibrationsSideBySide(calibrated));
  }
  const printed = renderPrintedStrategies(
    groups.flatMap((group) => group.cells.map((cell) => ({ cell, place: placeOf(cell, runs, group.label) }))),
  );
  return [
    `## ${scenario.name}`,
    scenario.description,
    shapesLine(scenario),
    ...(groups.length ? [] : ['No cells ran for this scenario.']),
    ...together,
    ...distributedSection(cells.filter((candidate) => candidate.scenario === scenario.name)),
    ...(printed ? [printed] : []),
    ...groups.map((group) => groupSection(scenario, group, alone)),
  ].join('\n\n');
}

/**
 * What a reader must know about the runs before the tables: a run that did not finish (its missing scenarios are
 * not measured, not lost), and a run with no scenario at all (an empty shard).
 */
export function runNotices(runs: readonly RunResults[]): string[] {
  return runs.flatMap((run, index) => {
    const name = runs.length > 1 ? runLabel(run, index) : 'This run';
    const notices: string[] = [];
    if (run.complete === false) {
      const measured = new Set(run.cells.map((cell) => cell.scenario));
      const done = run.scenarios.filter((scenario) => measured.has(scenario.name)).length;
      notices.push(
        `> ⚠️ **Incomplete:** ${name} did not finish (interrupted, or still running): ${done} of ${run.scenarios.length} ` +
          'scenarios measured; the others show no cells.',
      );
    }
    if (run.scenarios.length === 0) {
      const { shard } = run.settings;
      notices.push(
        shard
          ? `${name} had no scenario: it is shard ${shard.index}/${shard.count}, and every scenario of the sweep fell to the other shards.`
          : `${name} had no scenario.`,
      );
    }
    return notices;
  });
}

/**
 * The whole report. Several runs (shards, backends, machines) are merged; a cell that several runs measured shows
 * once per run, labelled by its run's date and machine.
 */
export function renderReport(results: RunResults | readonly RunResults[], options: ReportOptions = {}): string {
  const merged = mergeRuns(Array.isArray(results) ? (results as readonly RunResults[]) : [results as RunResults]);
  const header = renderTable(
    RUN_COLUMNS,
    merged.runs.map((run, index) => ({
      label: merged.runs.length > 1 ? runLabel(run, index) : `run ${index + 1}`,
      run,
    })),
  );
  const described = new Set(merged.scenarios.map((scenario) => scenario.name));
  const orphans = [...new Set(merged.cells.map((cell) => cell.scenario))].filter((name) => !described.has(name));
  const charts = Object.entries(options.charts ?? {}).map(
    ([name, file]) => `![${(CHART_TITLES as Record<string, string>)[name] ?? name}](${file})`,
  );
  return (
    [
      "# GAN update strategies: measurements and the post's claims",
      header,
      ...runNotices(merged.runs),
      ...(charts.length ? ['## Charts', charts.join('\n\n')] : []),
      ...[...sweepsOf(merged.scenarios)].map(([name, variants]) =>
        renderCrossoverSection(name, variants, merged.cells, options.crossoverCharts?.[name]),
      ),
      ...merged.scenarios.map((scenario) => scenarioSection(scenario, merged.cells, merged.runs)),
      ...(orphans.length
        ? [`Left out, for want of a scenario summary in the results: the cells of ${list(orphans)}.`]
        : []),
    ].join('\n\n') + '\n'
  );
}
