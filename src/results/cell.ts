/**
 * A cell's result and how it is put together from what the runner measured, whichever framework measured it: the
 * observed step's record, the timing statistics, the equivalence result. A result is a state (tinybench's
 * `TaskResultErrored { state: 'errored'; error }`): measured (`ok`), the printed strategy raised as it must
 * (`raised`), it failed (`errored`) or its numbers became non-finite (`diverged`); a gan_ddp distributed-only form at
 * world size N is measured too (`ok`, `CellDistributedOnly`) with its uncounted passes null. Only a measured cell has
 * a timing; the others keep what was measured before they stopped, and no state holds a NaN.
 */
import type { ConcreteBackendId } from '../scenario/backend-ids.js';
import type { StepCounts } from '../measure/counts.js';
import type { EquivalenceClass, EquivalenceResult } from '../measure/equivalence.js';
import { predictFlops } from '../measure/flops.js';
import type { StepRecord } from '../measure/record.js';
import type { TimingStats } from '../measure/statistics.js';
import { networkShapes } from '../models/network-shapes.js';
import type { LayerShape } from '../scenario/shapes.js';
import type { Scenario } from '../scenario/schema.js';
import { isDistributedOnly, type CellStrategyId, type DistributedOnlyStrategyId, type StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import type { NetworkName, UpdateOrder } from '../strategies/strategy.js';

/** Which cell it is: one scenario × backend × strategy. Every state has these. */
export interface CellIdentity {
  scenario: string;
  backend: ConcreteBackendId;
  /** What ran it, as the backend describes its device. */
  device: string;
  strategy: CellStrategyId;
  batchSize: number;
  /** The update order the strategy declares. */
  order: UpdateOrder;
}

/** A cell's identity and its data-parallel measurements. */
export interface CellBase extends CellIdentity, DistributedFields {}

/** How a network's update at world size N compares with world size 1's on the whole batch (gan_ddp's verdict). */
export type DistributedVerdict = 'equal' | 'shard-only' | 'differs';

/**
 * Data parallelism (issue 18), measured by gan_ddp under torch.distributed. A world size 1 cell has worldSize 1 and
 * the rest null (it issues no collective); fields absent in files written before them mean the same.
 */
export interface DistributedFields {
  worldSize?: number;
  /** All-reduces each rank issued in one steady-state step (a DDP communication hook, or around all_reduce). */
  allreduceCalls?: number | null;
  /** Bytes each rank put into those all-reduces (elements x element size; the ring's wire traffic is 2(N-1)/N x). */
  allreduceBytes?: number | null;
  /** Mean ms per step during which one of the rank's all-reduces was in flight, the slowest rank's. */
  commMs?: number | null;
  /** Per network, its update against world size 1's (Adam's check; SGD's where it says more). */
  distributedVerdicts?: { G: DistributedVerdict; D: DistributedVerdict } | null;
}

/** A world size 1 cell's distributed fields. */
export const NOT_DISTRIBUTED: Required<DistributedFields> = {
  worldSize: 1,
  allreduceCalls: null,
  allreduceBytes: null,
  commMs: null,
  distributedVerdicts: null,
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
export type CellResult = CellOk | CellDistributedOnly | CellRaised | CellErrored | CellDiverged;

export type CellStatus = CellResult['status'];

export interface CellMeasurements {
  scenario: Scenario;
  backend: CellResult['backend'];
  device: string;
  strategy: StrategyId;
  /** Why the cell failed, or null. */
  error: string | null;
  /** Set when the strategy raised the error it must raise (the post's code as printed): the cell is 'raised'. */
  raised?: boolean;
  /** Where the strategy's loss or parameters first became non-finite, or null: the cell is 'diverged'. */
  diverged: Divergence | null;
  /** The observed, profiled step; null if it failed. */
  record: StepRecord | null;
  /** The timed steps' statistics (summarized once, by the runner); null if none were timed. */
  timing: TimingStats | null;
  /** The reference strategy's mean step time in this run, for `timeRatio`. */
  referenceMeanMs: number | null;
  equivalence: EquivalenceResult | null;
  /** A remark for an ok cell (e.g. the equivalence check failed), kept in the `error` column. */
  note: string | null;
  /** Device memory as the backend reports it, and whether it calls that figure an estimate. */
  deviceMemory: { bytes: number | null; isEstimate: boolean | null };
}

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
};

const NOT_COMPARED: EquivalenceFields = { equivalentTo: null, maxParamDiff: null, equivalence: null, maxRunningStatsDiff: null };

function observedCounts(record: StepRecord, scenario: Scenario): ObservedCounts {
  const passes: Pick<StepCounts, 'forwards' | 'backwards'> = record;
  return {
    flops: record.flops,
    flopsPredicted: predictFlops(passes, scenarioLayers(scenario)),
    kernels: record.kernels,
    dispatches: record.dispatches,
    generatorForwards: record.generatorForwards,
    discriminatorForwards: record.discriminatorForwards,
    generatorBackwards: record.generatorBackwards,
    discriminatorBackwards: record.discriminatorBackwards,
    backwardCalls: record.backwardCalls,
    wastedGradientElements: record.wastedGradientElements,
    peakBytes: record.peakBytes,
    retainedBytes: record.retainedBytes,
    leakedTensors: record.leakedTensors,
    generatorBatchNormUpdates: record.generatorBatchNormUpdates,
    discriminatorBatchNormUpdates: record.discriminatorBatchNormUpdates,
  };
}

/**
 * A non-finite difference from the equivalence check, as a divergence: the runner reports divergence itself, and
 * this only keeps a NaN it missed out of the cell (a NaN difference would otherwise classify as 'different').
 */
function equivalenceDivergence(equivalence: EquivalenceResult | null, scenario: Scenario): Divergence | null {
  if (!equivalence) return null;
  const { maxParamDiff, maxRunningStatsDiff } = equivalence;
  const what = !Number.isFinite(maxParamDiff)
    ? 'parameters'
    : maxRunningStatsDiff != null && !Number.isFinite(maxRunningStatsDiff)
      ? "D's BatchNorm running statistics"
      : null;
  if (!what) return null;
  return {
    step: scenario.measure.equivalenceSteps,
    detail: `the equivalence check's ${what} differ from ${equivalence.reference}'s by ${String(what === 'parameters' ? maxParamDiff : maxRunningStatsDiff)}`,
  };
}

/** The row of one measured cell: `ok` only with an observed step, a timing and nothing non-finite. */
export function buildCell(measured: CellMeasurements): CellResult {
  const { scenario, backend, device, strategy, error, record, timing, referenceMeanMs, equivalence } = measured;
  const identity = cellIdentity(scenario, backend, device, strategy);
  const counts = record ? observedCounts(record, scenario) : NOT_OBSERVED;
  const memory: DeviceMemoryFields = { deviceBytes: measured.deviceMemory.bytes, deviceBytesIsEstimate: measured.deviceMemory.isEstimate };
  const diverged = measured.diverged ?? equivalenceDivergence(equivalence, scenario);
  const compared: EquivalenceFields =
    equivalence && !diverged
      ? {
          equivalentTo: equivalence.reference,
          maxParamDiff: equivalence.maxParamDiff,
          equivalence: equivalence.equivalence,
          maxRunningStatsDiff: equivalence.maxRunningStatsDiff ?? null,
        }
      : NOT_COMPARED;
  // What a stopped cell holds after its status and message, in results.json's order.
  const kept = { timing: null, timeRatio: null, ...counts, ...memory, ...compared };
  if (diverged) {
    return { ...identity, status: 'diverged', error: error ?? `diverged at step ${diverged.step}: ${diverged.detail}`, ...kept, diverged };
  }
  if (error) return { ...identity, status: measured.raised ? 'raised' : 'errored', error, ...kept };
  if (!record) return { ...identity, status: 'errored', error: 'no step was observed', ...kept };
  if (!timing || timing.samples === 0) return { ...identity, status: 'errored', error: 'no step was timed', ...kept };
  return {
    ...identity,
    status: 'ok',
    error: measured.note,
    timing,
    timeRatio: referenceMeanMs ? timing.meanMs / referenceMeanMs : null,
    ...observedCounts(record, scenario),
    ...memory,
    ...compared,
  };
}

/**
 * gan_ddp's distributed-only forms' update orders: `single-forward-inputs` is single-forward's step, `stylegan2-ada`
 * and `stylegan3-flat` g-first's data flow (gan_ddp/README.md); all three update G and D from one forward.
 */
const DISTRIBUTED_ONLY_ORDERS: Record<DistributedOnlyStrategyId, UpdateOrder> = {
  'single-forward-inputs': 'simultaneous',
  'stylegan2-ada': 'simultaneous',
  'stylegan3-flat': 'simultaneous',
};

export function cellIdentity(
  scenario: Pick<Scenario, 'name' | 'batchSize'>,
  backend: CellResult['backend'],
  device: string,
  strategy: CellStrategyId,
): CellIdentity {
  const order = isDistributedOnly(strategy) ? DISTRIBUTED_ONLY_ORDERS[strategy] : strategies[strategy].order;
  return { scenario: scenario.name, backend, device, strategy, batchSize: scenario.batchSize, order };
}

/** A cell with nothing measured: the row of a cell that could not run (its backend did not start, say). */
export function erroredCell(
  scenario: Pick<Scenario, 'name' | 'batchSize'>,
  backend: CellResult['backend'],
  device: string,
  strategy: CellStrategyId,
  error: string,
): CellErrored {
  return {
    ...cellIdentity(scenario, backend, device, strategy),
    status: 'errored',
    error,
    timing: null,
    timeRatio: null,
    ...NOT_OBSERVED,
    deviceBytes: null,
    deviceBytesIsEstimate: null,
    ...NOT_COMPARED,
  };
}
