/** The shapes of a comparison: the metrics compared, the options, and the rows and verdicts that come out. */
import type { CompareMode, ResolvedMode } from './mode.js';
import type { SignificanceMethod } from './significance.js';
import type { CellKey } from '../results/key.js';

/** Counts that do not depend on the machine's speed: any difference is drift. */
export const DETERMINISTIC_METRICS = [
  'flops',
  'flopsPredicted',
  'kernels',
  'dispatches',
  'generatorForwards',
  'discriminatorForwards',
  'generatorBackwards',
  'discriminatorBackwards',
  'backwardCalls',
  'wastedGradientElements',
  'leakedTensors',
  'generatorDoubleBackwards',
  'discriminatorDoubleBackwards',
] as const;
/**
 * Byte counts that are deterministic only on some backends (EXACT_BYTES_BACKENDS): tfjs's GPU and WebAssembly
 * backends pool and pad buffers, while tfjs's cpu backend and PyTorch (its profiler's allocations on the CPU, the
 * caching allocator's peak on CUDA) give the same bytes run after run.
 */
export const BYTE_METRICS = ['peakBytes', 'retainedBytes'] as const;
/** The backends whose BYTE_METRICS are compared exactly, as the other counts are everywhere. */
export const EXACT_BYTES_BACKENDS: readonly string[] = ['cpu', 'pytorch'];
/** `time`: mean step time in ms (absolute mode); `timeRatio`: mean over the reference strategy's (ratio mode). */
export const TIME_METRICS = ['time', 'timeRatio'] as const;

export type DeterministicMetric = (typeof DETERMINISTIC_METRICS)[number] | (typeof BYTE_METRICS)[number];
export type TimeMetric = (typeof TIME_METRICS)[number];
/** `status` compares ok/raised/errored/diverged; `cell` marks a cell present on one side only ('added' or 'removed'). */
export type ComparedMetric = TimeMetric | DeterministicMetric | 'status' | 'cell';

export type Verdict = 'same' | 'improved' | 'regressed' | 'changed' | 'added' | 'removed';

export interface CompareOptions {
  /** Relative change a time must exceed, as a fraction (0.10 = 10%): slower than base * (1 + t) or faster than base / (1 + t). */
  threshold?: number;
  /** Per-metric overrides of `threshold`, e.g. `{ time: 0.05, timeRatio: 0.5 }`. */
  metricThresholds?: Partial<Record<TimeMetric, number>>;
  /** Significance level of the two-sample test. */
  alpha?: number;
  mode?: CompareMode;
  /**
   * Whether baseline cells missing from the current run (a shard, fewer strategies, a run that broke half-way)
   * are allowed. By default they fail the comparison: a gate must not pass on cells it never compared.
   */
  allowMissing?: boolean;
}

export const DEFAULT_THRESHOLD = 0.1;
export const DEFAULT_ALPHA = 0.05;

export interface ComparisonRow {
  /** The cell's key in words (src/results/key.ts's describeKey): "scenario / backend / strategy", then what else tells it apart. */
  key: string;
  cell: CellKey;
  metric: ComparedMetric;
  /** Mean ms (`time`), mean ratio (`timeRatio`), a count, or a status (`status`); null where absent. */
  baseline: number | string | null;
  current: number | string | null;
  /** Relative change (current / baseline - 1) for times, current - baseline for counts. */
  change: number | null;
  changeKind: 'relative' | 'difference' | null;
  /** Two-sided p-value of the Mann–Whitney U test, when one ran. */
  pValue?: number;
  test?: SignificanceMethod;
  /** Samples on each side of a time comparison. */
  sampleCounts?: { baseline: number; current: number };
  /** The threshold that applied to a time row. */
  threshold?: number;
  verdict: Verdict;
  /** Why a row came out as it did where the numbers alone do not say (not significant, no ratio, errors). */
  note?: string;
}

export interface RunLabel {
  createdAt: string;
  machine: string;
  tool: string;
  tfjs: string;
}

export interface Comparison {
  /** The run-level mode; a cell whose device differs is compared by ratio even when this is absolute (in auto). */
  mode: ResolvedMode;
  modeReason: string;
  alpha: number;
  thresholds: Record<TimeMetric, number>;
  baseline: RunLabel;
  current: RunLabel;
  rows: ComparisonRow[];
  /** Rows that fail the comparison: 'regressed' and 'changed'. */
  regressions: number;
  regressed: boolean;
  /** Baseline cells the current run does not have ('removed' rows). */
  missing: number;
  /** Whether missing cells were allowed (`--allow-missing`). */
  allowMissing: boolean;
  /** The verdict a CI gate acts on: a regression, or a missing cell that was not allowed. */
  failed: boolean;
  /** Things a reader should know that are not failures (different tfjs versions, per-cell mode switches). */
  warnings: string[];
}
