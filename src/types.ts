/**
 * The public result types: one `CellResult` per scenario x backend x strategy, gathered in `RunResults`
 * (what results.json holds). CSV rows, reports, comparisons and merges all read these.
 */
import type { ConcreteBackendId } from './backends/backend.js';
import type { MachineInfo } from './backends/host.js';
import type { EquivalenceClass } from './measure/equivalence.js';
import type { TimingStats } from './measure/statistics.js';
import type { Calibration } from './measure/calibration.js';
import type { SweepTag } from './scenario/sweep.js';
import type { StrategyId } from './strategies/ids.js';
import type { UpdateOrder } from './strategies/strategy.js';

// Each type lives with the code that makes it; re-exported here so that the public API keeps one place.
export type { MachineInfo, EquivalenceClass, TimingStats, SweepTag };

export interface CellResult {
  scenario: string;
  backend: ConcreteBackendId;
  /** What ran it, as the backend describes its device. */
  device: string;
  strategy: StrategyId;
  batchSize: number;
  /**
   * 'ok': measured; 'errored': it failed; 'raised': the post's code as printed raised the error PyTorch raises
   * for it, as it must (its message is in `error`).
   */
  status: 'ok' | 'errored' | 'raised' | 'diverged';
  /** Where a 'diverged' cell's values became non-finite (ENGINEER RESULTS owns this shape). */
  diverged?: { step: number; detail: string } | null;
  /** Why the cell failed, or the error a printed strategy raised; null when neither. */
  error: string | null;
  timing: TimingStats | null;
  /** Mean step time over the reference strategy's in the same run (1 for the reference): travels between machines. */
  timeRatio: number | null;
  /** FLOPs of matmul/conv kernels that ran in one profiled step. */
  flops: number | null;
  /** FLOPs predicted from the layer shapes and the step's passes. */
  flopsPredicted: number | null;
  /** Kernels that ran in one profiled step. */
  kernels: number | null;
  /**
   * GPU programs that step dispatched, where the backend counts them (webgpu; null elsewhere, and in files
   * written before the field existed). A kernel may dispatch none (Reshape) or several (Sum, Concat).
   */
  dispatches: number | null;
  generatorForwards: number | null;
  discriminatorForwards: number | null;
  generatorBackwards: number | null;
  discriminatorBackwards: number | null;
  backwardCalls: number | null;
  wastedGradientElements: number | null;
  /** The most tensor bytes live during a step beyond those live before it (distinct buffers). */
  peakBytes: number | null;
  /** The most bytes recorded graphs held while an optimizer step ran. */
  retainedBytes: number | null;
  /** Tensors live after a step minus before it. */
  leakedTensors: number | null;
  /** Device memory as the backend reports it after the cell, where it reports any. */
  deviceBytes: number | null;
  /** Whether the backend marks its device-memory figure as an estimate (null where it reports none). */
  deviceBytesIsEstimate: boolean | null;
  /** The update order the strategy declares. */
  order: UpdateOrder;
  /** The strategy its parameters were compared with (cpu backend, identical weights, data and noise). */
  equivalentTo: StrategyId | null;
  maxParamDiff: number | null;
  equivalence: EquivalenceClass | null;
  /**
   * BatchNorm running-statistics updates per network in the observed step (one per training-mode forward of a
   * network with BatchNorm; 0 without). Absent in files written before the field existed.
   */
  generatorBatchNormUpdates?: number | null;
  discriminatorBatchNormUpdates?: number | null;
  /**
   * Largest absolute difference of D's BatchNorm running statistics to the reference strategy's after the
   * equivalence check's steps; null where D has no BatchNorm or nothing was compared.
   */
  maxRunningStatsDiff?: number | null;
}

/** What a report needs to know about a scenario besides its cells. */
export interface ScenarioSummary {
  name: string;
  description: string;
  file: string;
  batchSize: number;
  generatorWidths: number[];
  discriminatorWidths: number[];
  generatorParameters: number;
  discriminatorParameters: number;
  /** Multiply-accumulates of one forward pass over one sample. */
  generatorMacsPerSample: number;
  discriminatorMacsPerSample: number;
  strategies: StrategyId[];
  /** The sweep this scenario is a variant of, and its axis values; absent for a scenario of its own. */
  sweep?: SweepTag;
}

export interface RunResults {
  /** Bumped when the layout changes incompatibly. */
  schemaVersion: 1;
  tool: { name: string; version: string };
  createdAt: string;
  versions: { tfjs: string; [pkg: string]: string };
  machine: MachineInfo;
  settings: {
    backend: string;
    strategies: StrategyId[];
    /** The strategy whose time the `timeRatio`s divide by. */
    referenceStrategy: StrategyId;
    shard: { index: number; count: number } | null;
  };
  /**
   * False while the run is going, and so in the files an interrupted run leaves; true once every scenario ran.
   * Absent in files written before the field existed.
   */
  complete?: boolean;
  /** Harness time inside a timed step (an empty step through the same loop and sync) over the mean step time, in percent. */
  harnessOverheadPct: number | null;
  scenarios: ScenarioSummary[];
  cells: CellResult[];
  /** Each backend's product and elementwise throughput at each scenario's shapes (absent in files written before it). */
  calibrations?: Calibration[];
}
