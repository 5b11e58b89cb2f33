/**
 * How a cell's row is put together from what the runner measured, whichever framework measured it: the observed
 * step's record, the timing statistics, the equivalence result. A cell that failed keeps whatever was measured
 * before it failed.
 */
import type { StepCounts } from '../measure/counts.js';
import type { EquivalenceResult } from '../measure/equivalence.js';
import { predictFlops } from '../measure/flops.js';
import type { StepRecord } from '../measure/record.js';
import type { TimingStats } from '../measure/statistics.js';
import { networkShapes } from '../models/network-shapes.js';
import type { LayerShape } from '../models/shapes.js';
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
  /** Where the strategy's losses or parameters became non-finite: the cell is 'diverged' (not timed). */
  diverged?: { step: number; detail: string } | null;
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

/** The row of one measured cell. */
export function buildCell(measured: CellMeasurements): CellResult {
  const { scenario, backend, device, strategy, error, record, timing, referenceMeanMs, equivalence } = measured;
  const cell = erroredCell(scenario, backend, device, strategy, error ?? '');
  const diverged = error ? null : (measured.diverged ?? null);
  cell.status = error ? (measured.raised ? 'raised' : 'errored') : diverged ? 'diverged' : 'ok';
  cell.error = error ?? (diverged ? `diverged at step ${diverged.step}: ${diverged.detail}` : measured.note);
  if (diverged) cell.diverged = diverged;
  cell.deviceBytes = measured.deviceMemory.bytes;
  cell.deviceBytesIsEstimate = measured.deviceMemory.isEstimate;
  if (equivalence) {
    cell.equivalentTo = equivalence.reference;
    cell.maxParamDiff = equivalence.maxParamDiff;
    cell.equivalence = equivalence.equivalence;
    cell.maxRunningStatsDiff = equivalence.maxRunningStatsDiff ?? null;
  }
  if (record) {
    const passes: Pick<StepCounts, 'forwards' | 'backwards'> = record;
    Object.assign(cell, {
      flops: record.flops,
      kernels: record.kernels,
      dispatches: record.dispatches,
      flopsPredicted: predictFlops(passes, scenarioLayers(scenario)),
      generatorForwards: record.generatorForwards,
      discriminatorForwards: record.discriminatorForwards,
      generatorBackwards: record.generatorBackwards,
      discriminatorBackwards: record.discriminatorBackwards,
      backwardCalls: record.backwardCalls,
      wastedGradientElements: record.wastedGradientElements,
      retainedBytes: record.retainedBytes,
      peakBytes: record.peakBytes,
      leakedTensors: record.leakedTensors,
      generatorBatchNormUpdates: record.generatorBatchNormUpdates,
      discriminatorBatchNormUpdates: record.discriminatorBatchNormUpdates,
    });
  }
  if (timing && timing.samples > 0 && !error && !diverged) {
    cell.timing = timing;
    cell.timeRatio = referenceMeanMs ? timing.meanMs / referenceMeanMs : null;
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
    generatorBatchNormUpdates: null,
    discriminatorBatchNormUpdates: null,
    maxRunningStatsDiff: null,
  };
}
