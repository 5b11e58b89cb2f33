/**
 * How a cell's row is put together from what the runner measured: the counts and profile of the observed step,
 * the timed samples, the equivalence result. A cell that failed keeps whatever was measured before it failed.
 */
import { countKernelFlops, predictFlops } from '../measure/flops.js';
import type { StepCounts } from '../measure/counts.js';
import type { EquivalenceResult } from '../measure/equivalence.js';
import type { StepProfile } from '../measure/memory.js';
import { summarize } from '../measure/statistics.js';
import type { DenseShape } from '../models/mlp.js';
import type { Scenario } from '../scenario/schema.js';
import type { StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import type { NetworkName } from '../strategies/strategy.js';
import type { CellResult } from '../types.js';

export interface CellMeasurements {
  scenario: Scenario;
  backend: CellResult['backend'];
  device: string;
  strategy: StrategyId;
  /** Why the cell failed, or null. */
  error: string | null;
  /** Set when the strategy raised the error it must raise (the post's code as printed): the cell is 'raised'. */
  raised?: boolean;
  /** The observed, profiled step and the layer shapes its FLOPs are predicted from; null if it failed. */
  observed: {
    counts: StepCounts;
    profile: StepProfile;
    /** GPU programs the observed step dispatched (webgpu), null where the backend does not count them. */
    dispatches: number | null;
    layers: Record<NetworkName, readonly DenseShape[]>;
  } | null;
  samplesMs: number[];
  /** The reference strategy's mean step time in this run, for `timeRatio`. */
  referenceMeanMs: number | null;
  equivalence: EquivalenceResult | null;
  /** A remark for an ok cell (e.g. the equivalence check failed), kept in the `error` column. */
  note: string | null;
  /** Device memory as the backend reports it, and whether it calls that figure an estimate. */
  deviceMemory: { bytes: number | null; isEstimate: boolean | null };
}

/** The row of one measured cell. */
export function buildCell(measured: CellMeasurements): CellResult {
  const { scenario, backend, device, strategy, error, observed, samplesMs, referenceMeanMs, equivalence } = measured;
  const cell = erroredCell(scenario, backend, device, strategy, error ?? '');
  cell.status = error ? (measured.raised ? 'raised' : 'errored') : 'ok';
  cell.error = error ?? measured.note;
  cell.deviceBytes = measured.deviceMemory.bytes;
  cell.deviceBytesIsEstimate = measured.deviceMemory.isEstimate;
  if (equivalence) {
    cell.equivalentTo = equivalence.reference;
    cell.maxParamDiff = equivalence.maxParamDiff;
    cell.equivalence = equivalence.equivalence;
  }
  if (observed) {
    const { counts, profile, dispatches, layers } = observed;
    const { flops, kernels } = countKernelFlops(profile.kernels);
    Object.assign(cell, {
      flops,
      kernels,
      dispatches,
      flopsPredicted: predictFlops(counts, layers),
      generatorForwards: counts.generatorForwards,
      discriminatorForwards: counts.discriminatorForwards,
      generatorBackwards: counts.generatorBackwards,
      discriminatorBackwards: counts.discriminatorBackwards,
      backwardCalls: counts.backwardCalls,
      wastedGradientElements: counts.wastedGradientElements,
      retainedBytes: counts.retainedBytes,
      peakBytes: profile.peakBytes,
      leakedTensors: profile.leakedTensors,
    });
  }
  if (samplesMs.length > 0 && !error) {
    const stats = summarize(samplesMs);
    cell.timing = { ...stats, samplesMs };
    cell.timeRatio = referenceMeanMs ? stats.meanMs / referenceMeanMs : null;
  }
  return cell;
}

/** A cell with nothing measured: the row of a cell that could not run (its backend did not start, say). */
export function erroredCell(
  scenario: Pick<Scenario, 'name' | 'batchSize'>,
  backend: CellResult['backend'],
  device: string,
  strategy: StrategyId,
  error: string,
): CellResult {
  return {
    scenario: scenario.name,
    backend,
    device,
    strategy,
    batchSize: scenario.batchSize,
    status: 'errored',
    error,
    timing: null,
    timeRatio: null,
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
    deviceBytes: null,
    deviceBytesIsEstimate: null,
    order: strategies[strategy].order,
    equivalentTo: null,
    maxParamDiff: null,
    equivalence: null,
  };
}
