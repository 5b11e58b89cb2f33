/**
 * Compares two runs cell by cell: deterministic counts must match exactly; step times change only when
 * a two-sample test says the samples differ AND the ratio of means passes the threshold (asv's rule).
 */
import type { CellResult, CellStatus } from '../results/cell.js';
import type { RunResults } from '../results/run.js';
import { describeKey, keyId, keyOf, type CellKey, type KeyDimension } from '../results/key.js';
import { resolveMode, type ResolvedMode } from './mode.js';
import { testSignificance, type TimingSide } from './significance.js';
import {
  BYTE_METRICS,
  DEFAULT_ALPHA,
  DEFAULT_THRESHOLD,
  DETERMINISTIC_METRICS,
  EXACT_BYTES_BACKENDS,
  type CompareOptions,
  type Comparison,
  type ComparisonRow,
  type DeterministicMetric,
  type RunLabel,
  type TimeMetric,
} from './comparison.js';

/**
 * The dimensions cells are matched by across two runs: their whole key (src/results/key.ts), but for the framework's
 * version where neither run measured two versions of one backend (an upgrade pairs each cell with its old self, and
 * the comparison warns that counts may legitimately differ).
 */
function matchedDimensions(baseline: RunResults, current: RunResults): KeyDimension[] {
  const oneVersionPerBackend = (run: RunResults) => {
    const frameworks = new Map<string, Set<string>>();
    for (const cell of run.cells) frameworks.set(cell.backend, (frameworks.get(cell.backend) ?? new Set()).add(keyOf(cell).framework));
    return [...frameworks.values()].every((versions) => versions.size <= 1);
  };
  return oneVersionPerBackend(baseline) && oneVersionPerBackend(current) ? ['framework'] : [];
}

/** Two runs that cannot be compared as given (a cell twice in one run, time ratios against different references). */
export class IncomparableRunsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncomparableRunsError';
  }
}

function indexCells(run: RunResults, side: string, leaveOut: readonly KeyDimension[]): Map<string, CellResult> {
  const cells = new Map<string, CellResult>();
  for (const cell of run.cells) {
    const key = keyId(cell, leaveOut);
    if (cells.has(key)) throw new IncomparableRunsError(`${side} has two cells for ${describeKey(cell)}: merge shards without overlap`);
    cells.set(key, cell);
  }
  return cells;
}

function label(run: RunResults): RunLabel {
  const { machine } = run;
  return {
    createdAt: run.createdAt,
    machine: `${machine.cpuModel} (${machine.cpus} cpus, ${machine.platform}/${machine.arch})`,
    tool: `${run.tool.name} ${run.tool.version}`,
    tfjs: run.versions.tfjs,
  };
}

function validateFraction(value: number, what: string, { allowZero }: { allowZero: boolean }): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

/** Compares every cell of `current` with the cell of `baseline` that has the same key (src/results/key.ts). */
export function compareRuns(baseline: RunResults, current: RunResults, options: CompareOptions = {}): Comparison {
  const threshold = validateFraction(options.threshold ?? DEFAULT_THRESHOLD, 'threshold', { allowZero: true });
  const thresholds: Record<TimeMetric, number> = {
    time: validateFraction(options.metricThresholds?.time ?? threshold, 'time threshold', { allowZero: true }),
    timeRatio: validateFraction(options.metricThresholds?.timeRatio ?? threshold, 'timeRatio threshold', { allowZero: true }),
  };
  const alpha = validateFraction(options.alpha ?? DEFAULT_ALPHA, 'alpha', { allowZero: false });
  if (alpha >= 1) throw new RangeError(`alpha must be below 1, got ${alpha}`);
  const requestedMode = options.mode ?? 'auto';
  const { mode, reason } = resolveMode(requestedMode, baseline, current);

  const warnings: string[] = [];
  if (current.complete === false) warnings.push('The current run did not finish (interrupted, or still running): its missing cells are missing.');
  if (baseline.complete === false) warnings.push('The baseline run did not finish: it lacks the cells it had not measured.');
  if (baseline.versions.tfjs !== current.versions.tfjs) {
    warnings.push(`tfjs ${baseline.versions.tfjs} → ${current.versions.tfjs}: kernel counts may legitimately differ.`);
  }
  const torch = (run: RunResults) => run.versions['torch'];
  if (torch(baseline) !== undefined && torch(current) !== undefined && torch(baseline) !== torch(current)) {
    warnings.push(`PyTorch ${torch(baseline)} → ${torch(current)}: the pytorch cells' kernel counts and bytes may legitimately differ.`);
  }
  const leaveOut = matchedDimensions(baseline, current);
  const baselineCells = indexCells(baseline, 'baseline', leaveOut);
  const currentCells = indexCells(current, 'current', leaveOut);
  const ratioReferenceMismatch =
    baseline.settings.referenceStrategy !== current.settings.referenceStrategy
      ? `baseline times are relative to ${baseline.settings.referenceStrategy}, current ones to ${current.settings.referenceStrategy}`
      : null;

  const rows: ComparisonRow[] = [];
  for (const [key, currentCell] of currentCells) {
    const baselineCell = baselineCells.get(key);
    if (baselineCell === undefined) {
      rows.push(presenceRow(currentCell, 'added'));
      continue;
    }
    let cellMode = mode;
    if (requestedMode === 'auto' && mode === 'absolute' && baselineCell.device !== currentCell.device) {
      cellMode = 'ratio';
      warnings.push(`${describeKey(currentCell)}: device changed (${baselineCell.device} → ${currentCell.device}), compared by time ratio.`);
    }
    if (cellMode === 'ratio' && ratioReferenceMismatch !== null) {
      throw new IncomparableRunsError(
        `cannot compare time ratios: ${ratioReferenceMismatch}; rerun with the same reference strategy or use --mode absolute`,
      );
    }
    rows.push(...compareCell(baselineCell, currentCell, { mode: cellMode, thresholds, alpha }));
  }
  for (const [key, baselineCell] of baselineCells) {
    if (!currentCells.has(key)) rows.push(presenceRow(baselineCell, 'removed'));
  }
  const regressions = rows.filter((row) => row.verdict === 'regressed' || row.verdict === 'changed').length;
  const missing = rows.filter((row) => row.verdict === 'removed').length;
  const allowMissing = options.allowMissing ?? false;
  return {
    mode,
    modeReason: reason,
    alpha,
    thresholds,
    baseline: label(baseline),
    current: label(current),
    rows,
    regressions,
    regressed: regressions > 0,
    missing,
    allowMissing,
    failed: regressions > 0 || (missing > 0 && !allowMissing),
    warnings,
  };
}

function rowKey(cell: CellResult): { key: string; cell: CellKey } {
  return { key: describeKey(cell), cell: keyOf(cell) };
}

function presenceRow(cell: CellResult, verdict: 'added' | 'removed'): ComparisonRow {
  const value = cell.status;
  return {
    ...rowKey(cell),
    metric: 'cell',
    baseline: verdict === 'removed' ? value : null,
    current: verdict === 'added' ? value : null,
    change: null,
    changeKind: null,
    verdict,
  };
}

interface CellContext {
  mode: ResolvedMode;
  thresholds: Record<TimeMetric, number>;
  alpha: number;
}

function compareCell(baseline: CellResult, current: CellResult, context: CellContext): ComparisonRow[] {
  const id = rowKey(current);
  // A cell that did not train (it failed, diverged, or it is the post's printed code, which must raise) has no
  // numbers to compare: its status is what is compared.
  if (baseline.status !== 'ok' || current.status !== 'ok') {
    const statusRow: ComparisonRow = {
      ...id,
      metric: 'status',
      baseline: baseline.status,
      current: current.status,
      change: null,
      changeKind: null,
      verdict: statusVerdict(baseline.status, current.status),
    };
    const error = current.status !== 'ok' ? current.error : baseline.error;
    if (error && statusRow.verdict !== 'same') statusRow.note = error;
    return [statusRow];
  }
  const rows = [compareTime(baseline, current, context)];
  const metrics: DeterministicMetric[] = [...DETERMINISTIC_METRICS];
  if (EXACT_BYTES_BACKENDS.includes(current.backend)) metrics.push(...BYTE_METRICS);
  for (const metric of metrics) {
    // A count added after a file was written is absent there: null, as where it is not counted.
    const before = baseline[metric] ?? null;
    const after = current[metric] ?? null;
    if (before === null && after === null) continue;
    rows.push({
      ...id,
      metric,
      baseline: before,
      current: after,
      change: before !== null && after !== null ? after - before : null,
      changeKind: 'difference',
      verdict: before === after ? 'same' : 'changed',
    });
  }
  return rows;
}

/** The states that are failures: a cell that errored, or whose numbers became non-finite. */
const FAILED: ReadonlySet<CellStatus> = new Set(['errored', 'diverged']);

/**
 * A failure (errored, diverged) is worse than anything; ok and raised are each a strategy's expected outcome, so a
 * switch between them is a change, as is one failure becoming the other.
 */
export function statusVerdict(baseline: CellStatus, current: CellStatus): ComparisonRow['verdict'] {
  if (baseline === current) return 'same';
  if (FAILED.has(current)) return FAILED.has(baseline) ? 'changed' : 'regressed';
  if (FAILED.has(baseline)) return 'improved';
  return 'changed';
}

/**
 * In ratio mode each raw sample becomes sample / (the reference strategy's mean in its run). That mean
 * is meanMs / timeRatio, so the per-sample ratios are samples * timeRatio / meanMs: their mean is the
 * recorded timeRatio, and they need no reference cell in the same file (shards).
 */
function timingSide(cell: CellResult, mode: ResolvedMode): TimingSide | string {
  const timing = cell.timing;
  if (timing === null) return 'no timing recorded';
  if (mode === 'absolute') return { samples: timing.samplesMs, mean: timing.meanMs, rmePct: timing.rmePct };
  if (cell.timeRatio === null) return 'no time ratio (reference strategy missing or errored in its run)';
  const scale = timing.meanMs > 0 ? cell.timeRatio / timing.meanMs : 0;
  return { samples: timing.samplesMs.map((sample) => sample * scale), mean: cell.timeRatio, rmePct: timing.rmePct };
}

function compareTime(baseline: CellResult, current: CellResult, context: CellContext): ComparisonRow {
  const metric: TimeMetric = context.mode === 'absolute' ? 'time' : 'timeRatio';
  const threshold = context.thresholds[metric];
  const before = timingSide(baseline, context.mode);
  const after = timingSide(current, context.mode);
  const row: ComparisonRow = {
    ...rowKey(current),
    metric,
    baseline: typeof before === 'string' ? null : before.mean,
    current: typeof after === 'string' ? null : after.mean,
    change: null,
    changeKind: 'relative',
    threshold,
    verdict: 'same',
  };
  if (typeof before === 'string' || typeof after === 'string') {
    row.note = `not compared: ${typeof before === 'string' ? `baseline has ${before}` : `current has ${after}`}`;
    return row;
  }
  if (!(before.mean > 0)) {
    row.note = 'not compared: baseline time is not positive';
    return row;
  }
  const ratio = after.mean / before.mean;
  row.change = ratio - 1;
  row.sampleCounts = { baseline: before.samples.length, current: after.samples.length };
  const significance = testSignificance(before, after, context.alpha);
  row.test = significance.method;
  if (significance.pValue !== undefined) row.pValue = significance.pValue;
  const slower = ratio > 1 + threshold;
  const faster = ratio < 1 / (1 + threshold);
  if ((slower || faster) && significance.different) {
    row.verdict = slower ? 'regressed' : 'improved';
  } else if (slower || faster) {
    row.note =
      significance.method === 'too-few-samples'
        ? 'past the threshold, but too few samples to tell'
        : significance.pValue !== undefined
          ? `past the threshold, but not significant (p ≥ ${context.alpha})`
          : 'past the threshold, but the 95% intervals overlap';
  }
  return row;
}
