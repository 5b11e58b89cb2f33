/**
 * A cell's result: its key (key.ts: what ran) and what was measured, whichever framework measured it. Only make.ts
 * puts one together. A result is a state (tinybench's
 * `TaskResultErrored { state: 'errored'; error }`): measured (`ok`), the printed strategy raised as it must
 * (`raised`), it failed (`errored`) or its numbers became non-finite (`diverged`); a gan_ddp distributed-only form at
 * world size N is measured too (`ok`, `CellDistributedOnly`) with its uncounted passes null. Only a measured cell has
 * a timing; the others keep what was measured before they stopped, and no state holds a NaN.
 */
import type { ConcreteBackendId } from '../scenario/backend-ids.js';
import type { EquivalenceClass } from '../measure/equivalence.js';
import type { TimingStats } from '../measure/statistics.js';
import { networkShapes } from '../models/network-shapes.js';
import type { LayerShape } from '../scenario/shapes.js';
import type { Scenario } from '../scenario/schema.js';
import type { CellStrategyId, DistributedOnlyStrategyId, StrategyId } from '../strategies/ids.js';
import type { NetworkName, UpdateOrder } from '../strategies/strategy.js';
import type { CellKey } from './key.js';

/**
 * Which cell it is: its key (scenario × backend × strategy × world size × nodes × framework × compile × precision ×
 * regularizer), and what describes it without telling it apart (the device, the batch, the strategy's order).
 */
export interface CellIdentity extends CellKey {
  backend: ConcreteBackendId;
  strategy: CellStrategyId;
  /** What ran it, as the backend describes its device. */
  device: string;
  batchSize: number;
  /** The update order the strategy declares. */
  order: UpdateOrder;
}

/** A cell's identity, its data-parallel measurements and what its step variant (compile, precision) measured. */
export interface CellBase extends CellIdentity, DistributedFields, VariantFields {}

/**
 * What a step variant measured (issue 22: torch.compile and mixed precision, the pytorch backend's); null where the
 * cell is eager fp32 or the field does not apply, absent in files written before them.
 */
export interface VariantFields {
  /** torch.compile: ms the first (compiling) steps took beyond the same steps' time once compiled. */
  compileMs?: number | null;
  /** Dynamo's own counters after the cell's steps: graph breaks and recompilations. */
  graphBreaks?: number | null;
  recompiles?: number | null;
  /** fp16: optimizer steps the GradScaler skipped (inf/NaN gradients) in the observed and timed steps. */
  skippedSteps?: number | null;
  /** fp16: the loss scale after each timed round (the last scaler's, or G's then D's per network: see the note). */
  lossScales?: number[] | null;
  /** The largest parameter difference from the same strategy run eager in fp32 from the same weights and data (float32). */
  vsEagerFp32?: number | null;
}

/** How a network's update at world size N compares with world size 1's on the whole batch (gan_ddp's verdict). */
export type DistributedVerdict = 'equal' | 'shard-only' | 'differs';

/**
 * Data parallelism (issue 18), measured by gan_ddp under torch.distributed (the world size is the key's). A world
 * size 1 cell has them null (it issues no collective); fields absent in files written before them mean the same.
 */
export interface DistributedFields {
  /** All-reduces each rank issued in one steady-state step (a DDP communication hook, or around all_reduce). */
  allreduceCalls?: number | null;
  /** Bytes each rank put into those all-reduces (elements x element size; the ring's wire traffic is 2(N-1)/N x). */
  allreduceBytes?: number | null;
  /** Mean ms per step during which one of the rank's all-reduces was in flight, the slowest rank's. */
  commMs?: number | null;
  /** Per network, its update against world size 1's (Adam's check; SGD's where it says more). */
  distributedVerdicts?: { G: DistributedVerdict; D: DistributedVerdict } | null;
  /**
   * Whether DDP broadcast rank 0's BatchNorm buffers to every rank at each forward (its default; null without
   * BatchNorm or at world size 1). D's running statistics against world size 1's are the cell's `maxRunningStatsDiff`.
   */
  bufferBroadcast?: boolean | null;
}

/** A world size 1 cell's distributed fields. */
export const NOT_DISTRIBUTED: Required<DistributedFields> = {
  allreduceCalls: null,
  allreduceBytes: null,
  commMs: null,
  distributedVerdicts: null,
  bufferBroadcast: null,
};

/** What the observed, profiled step counted. */
export interface ObservedCounts {
  /** FLOPs of matmul/conv kernels that ran in one profiled step; null in files from steps that were not profiled. */
  flops: number | null;
  /** FLOPs predicted from the layer shapes and the step's passes. */
  flopsPredicted: number;
  /** Kernels that ran in one profiled step; null where the framework does not count them. */
  kernels: number | null;
  /**
   * GPU programs that step dispatched, where the backend counts them (webgpu; null elsewhere, and in files
   * written before the field existed). A kernel may dispatch none (Reshape) or several (Sum, Concat).
   */
  dispatches: number | null;
  generatorForwards: number;
  discriminatorForwards: number;
  generatorBackwards: number;
  discriminatorBackwards: number;
  backwardCalls: number;
  wastedGradientElements: number;
  /** The most tensor bytes live during a step beyond those live before it (distinct buffers); null where not measured. */
  peakBytes: number | null;
  /** The most bytes recorded graphs held while an optimizer step ran. */
  retainedBytes: number;
  /** Tensors live after a step minus before it. */
  leakedTensors: number;
  /**
   * BatchNorm running-statistics updates per network in the observed step (one per training-mode forward of a
   * network with BatchNorm; 0 without). Null in files written before the field existed.
   */
  generatorBatchNormUpdates?: number | null;
  discriminatorBatchNormUpdates?: number | null;
  /**
   * Backward passes through a network that were themselves recorded and differentiated (a gradient penalty's
   * `create_graph=True` gradient, then the loss's backward through it); 0 without a penalty, null where not counted
   * and in files written before the fields existed.
   */
  generatorDoubleBackwards?: number | null;
  discriminatorDoubleBackwards?: number | null;
}

/** The observed step's counts of a cell that stopped: present where it got as far as its observed step, else null. */
export type CountsIfObserved = { [Field in keyof ObservedCounts]: ObservedCounts[Field] | null };

/** The update-equivalence check's result for the cell's strategy; null where it was not compared. Never NaN. */
export interface EquivalenceFields {
  /**
   * The strategy its parameters were compared with (identical weights, data and noise); at world size N, the same
   * strategy in one process on the whole batch (a distributed-only form's own id).
   */
  equivalentTo: CellStrategyId | null;
  maxParamDiff: number | null;
  equivalence: EquivalenceClass | null;
  /**
   * Largest absolute difference of D's BatchNorm running statistics to the reference strategy's after the
   * equivalence check's steps; null where D has no BatchNorm or nothing was compared.
   */
  maxRunningStatsDiff?: number | null;
}

/** Device memory as the backend reports it after the cell, where it reports any. */
export interface DeviceMemoryFields {
  deviceBytes: number | null;
  /** Whether the backend marks its device-memory figure as an estimate (null where it reports none). */
  deviceBytesIsEstimate: boolean | null;
}

/** A measured cell: its timing, its observed step's counts and its equivalence. */
export interface CellOk extends CellBase, ObservedCounts, EquivalenceFields, DeviceMemoryFields {
  status: 'ok';
  strategy: StrategyId;
  /** A remark on a measured cell (its equivalence check failed, say), in the CSV's error column; null when none. */
  error: string | null;
  timing: TimingStats;
  /** Mean step time over the reference strategy's in the same run (1 for the reference): travels between machines. */
  timeRatio: number | null;
}

/** What a cell that stopped keeps: the counts and equivalence measured before it stopped, its reason, no timing. */
export interface StoppedCell extends CellBase, CountsIfObserved, EquivalenceFields, DeviceMemoryFields {
  /** Why it stopped: the error it raised or failed with, or what became non-finite. */
  error: string;
  /** A cell that stopped has no timing: what was timed before it stopped is not a result. */
  timing: null;
  timeRatio: null;
}

/** The post's code as printed raised the error PyTorch raises for it, as it must (its message is in `error`). */
export interface CellRaised extends StoppedCell {
  status: 'raised';
}

/**
 * A regularizer has no form of the strategy (src/strategies/regularization.ts): WGAN-GP's critic steps where one
 * forward serves both losses, any penalty on the post's code as printed. Nothing ran; `error` says why. No failure.
 */
export interface CellRefused extends StoppedCell {
  status: 'refused';
}

/** The cell failed: its backend did not start, a step threw, the timing failed. */
export interface CellErrored extends StoppedCell {
  status: 'errored';
}

/** Where a strategy's numbers first became non-finite. */
export interface Divergence {
  /**
   * The strategy's own 1-based training-step count at the first check that saw a non-finite value (the observed
   * step, the last step of the timing round after which the check ran, or the equivalence check's last step).
   */
  step: number;
  /** What was non-finite: "d_loss is NaN", "generator parameters are not finite". */
  detail: string;
}

/** The strategy's loss or parameters became non-finite: none of its numbers enters a verdict or a comparison. */
export interface CellDiverged extends StoppedCell {
  status: 'diverged';
  diverged: Divergence;
}

/**
 * A distributed-only strategy measured at world size N > 1 (gan_ddp's `single-forward-inputs`, `stylegan2-ada`,
 * `stylegan3-flat`): timed, counted (all-reduces) and checked against world size 1 like any `ok` cell, but with no
 * world size 1 cell of its own (no tfjs form) its passes, FLOPs and memory were never observed: they are null, not
 * borrowed from another strategy.
 */
export interface CellDistributedOnly extends CellBase, CountsIfObserved, EquivalenceFields, DeviceMemoryFields {
  status: 'ok';
  strategy: DistributedOnlyStrategyId;
  error: string | null;
  timing: TimingStats;
  timeRatio: number | null;
}

/** One scenario × backend × strategy's result, by its status. */
export type CellResult = CellOk | CellDistributedOnly | CellRaised | CellRefused | CellErrored | CellDiverged;

export type CellStatus = CellResult['status'];

/**
 * The layers of the scenario's G and D (an MLP's dense layers, D ending in one unit; a convolutional network's
 * convolutions), as every framework builds them.
 */
export function scenarioLayers(scenario: Pick<Scenario, 'generator' | 'discriminator' | 'data'>): Record<NetworkName, LayerShape[]> {
  return networkShapes(scenario);
}

export const NOT_OBSERVED: CountsIfObserved = {
  flops: null,
  flopsPredicted: null,
  kernels: null,
  dispatches: null,
  generatorForwards: null,
  discriminatorForwards: null,
  generatorBackwards: null,
  discriminatorBackwards: null,
  backwardCalls: null,
  wastedGradientElements: null,
  peakBytes: null,
  retainedBytes: null,
  leakedTensors: null,
  generatorBatchNormUpdates: null,
  discriminatorBatchNormUpdates: null,
  generatorDoubleBackwards: null,
  discriminatorDoubleBackwards: null,
};

export const NOT_COMPARED: EquivalenceFields = { equivalentTo: null, maxParamDiff: null, equivalence: null, maxRunningStatsDiff: null };

