/**
 * The one place cells are made (tinybench assigns a task's result only inside `Task`): every unit of a run, at
 * any world size and on any backend, hands in its measurements, of one shape, and gets its cells back; a failure
 * noticed outside a unit (a backend that did not start, a stray error from a scenario file, ranks that died) goes
 * through here too, keyed by the unit. Timing statistics are summarized here once, time ratios taken against the
 * unit's reference strategy, and a world size N cell borrows the passes, FLOPs and memory of its strategy's world
 * size 1 cell (the same step's code) where that cell was measured.
 */
import type { StepCounts } from '../measure/counts.js';
import type { EquivalenceResult } from '../measure/equivalence.js';
import { predictFlops } from '../measure/flops.js';
import type { StepRecord } from '../measure/record.js';
import { summarize, type TimingStats } from '../measure/statistics.js';
import type { Scenario } from '../scenario/schema.js';
import { isDistributedOnly, type CellStrategyId, type DistributedOnlyStrategyId, type StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import type { UpdateOrder } from '../strategies/strategy.js';
import {
  NOT_COMPARED,
  NOT_DISTRIBUTED,
  NOT_OBSERVED,
  scenarioLayers,
  type CellDistributedOnly,
  type CellErrored,
  type CellIdentity,
  type CellOk,
  type CellResult,
  type DeviceMemoryFields,
  type DistributedFields,
  type Divergence,
  type EquivalenceFields,
  type ObservedCounts,
  type VariantFields,
} from './cell.js';
import { unitKeyId, type UnitKey } from './key.js';

/** What a unit measured of one strategy, whichever backend and world size measured it. */
export interface StrategyMeasurement {
  strategy: CellStrategyId;
  /** The observed step's record; null where it was not (or could not be) observed, and at world size N (borrowed). */
  record: StepRecord | null;
  /** Why the strategy failed (observing or timing it), or the error it raised as it must; null if neither. */
  error: string | null;
  /** The step raised the error its strategy must raise (the post's code as printed; PyTorch's own error under DDP). */
  raised: boolean;
  /** A regularizer refused the strategy (it has no form of it): `error` says why. */
  refused?: boolean;
  /** Where its losses or parameters became non-finite; it is not measured after. */
  diverged: Divergence | null;
  /** Every timed step, ms. */
  samplesMs: number[];
  /** A remark for an ok cell (its equivalence check failed, its update at world size N is its shard's alone). */
  note: string | null;
  /** The update-equivalence check (against the reference strategy; at world size N, against world size 1). */
  equivalence: EquivalenceResult | null;
  /** At world size N: the all-reduces and each network's update against world size 1's. */
  distributed?: Required<DistributedFields>;
  /** Under a step variant (compile, precision): what it measured (compile time, graph breaks, skipped steps...). */
  variant?: VariantFields;
}

/** A unit's identity as its cells carry it: the key without the strategy, and what describes the run. */
export interface UnitIdentity extends UnitKey {
  backend: CellIdentity['backend'];
  /** The scenario's facts a cell records (its name is the key's). */
  batchSize: number;
  /** What ran it, as the backend describes its device. */
  device: string;
  /** The strategy whose mean step time divides every time ratio. */
  reference: StrategyId;
}

/** Everything one unit measured. */
export interface UnitMeasurements {
  unit: UnitIdentity;
  scenario: Pick<Scenario, 'generator' | 'discriminator' | 'data' | 'measure'>;
  strategies: readonly StrategyMeasurement[];
  /** Device memory as the backend reports it after the unit, and whether it calls that figure an estimate. */
  deviceMemory: { bytes: number | null; isEstimate: boolean | null };
}

/** A strategy that has not been measured yet. */
export function notMeasured(strategy: CellStrategyId): StrategyMeasurement {
  return { strategy, record: null, error: null, raised: false, diverged: null, samplesMs: [], note: null, equivalence: null };
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

function identityOf(unit: UnitIdentity, strategy: CellStrategyId): CellIdentity {
  const order = isDistributedOnly(strategy) ? DISTRIBUTED_ONLY_ORDERS[strategy] : strategies[strategy].order;
  return {
    scenario: unit.scenario,
    backend: unit.backend,
    strategy,
    worldSize: unit.worldSize,
    nodes: unit.nodes,
    framework: unit.framework,
    compile: unit.compile,
    precision: unit.precision,
    regularizer: unit.regularizer,
    device: unit.device,
    batchSize: unit.batchSize,
    order,
  };
}

function observedCounts(record: StepRecord, scenario: UnitMeasurements['scenario']): ObservedCounts {
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
    generatorDoubleBackwards: record.generatorDoubleBackwards ?? null,
    discriminatorDoubleBackwards: record.discriminatorDoubleBackwards ?? null,
  };
}

const countsOfCell = (cell: CellOk): ObservedCounts => {
  const counts = {} as Record<keyof ObservedCounts, unknown>;
  for (const field of Object.keys(NOT_OBSERVED) as (keyof ObservedCounts)[]) counts[field] = cell[field];
  return counts as unknown as ObservedCounts;
};

/**
 * A non-finite difference from the equivalence check, as a divergence: the runner reports divergence itself, and
 * this only keeps a NaN it missed out of the cell (a NaN difference would otherwise classify as 'different').
 */
function equivalenceDivergence(equivalence: EquivalenceResult | null, steps: number): Divergence | null {
  if (!equivalence) return null;
  const { maxParamDiff, maxRunningStatsDiff } = equivalence;
  const what = !Number.isFinite(maxParamDiff)
    ? 'parameters'
    : maxRunningStatsDiff != null && !Number.isFinite(maxRunningStatsDiff)
      ? "D's BatchNorm running statistics"
      : null;
  if (!what) return null;
  return {
    step: steps,
    detail: `the equivalence check's ${what} differ from ${equivalence.reference}'s by ${String(what === 'parameters' ? maxParamDiff : maxRunningStatsDiff)}`,
  };
}

/** How a strategy's own counts are had: observed here, borrowed from world size 1, or (distributed-only) none. */
type Counts = { kind: 'observed'; counts: ObservedCounts } | { kind: 'missing'; why: string } | { kind: 'none' };

function countsFor(measured: StrategyMeasurement, scenario: UnitMeasurements['scenario'], unit: UnitIdentity, worldSize1: readonly CellResult[]): Counts {
  if (measured.record) return { kind: 'observed', counts: observedCounts(measured.record, scenario) };
  if (unit.worldSize === 1) return { kind: 'missing', why: 'no step was observed' };
  if (isDistributedOnly(measured.strategy)) return { kind: 'none' };
  const single = worldSize1.find((cell) => cell.strategy === measured.strategy);
  if (single?.status === 'ok') return { kind: 'observed', counts: countsOfCell(single as CellOk) };
  const why = single ? `its world size 1 cell is ${single.status}` : 'it has no world size 1 cell';
  return { kind: 'missing', why: `measured at world size ${unit.worldSize}, but ${why}, whose step counts this cell needs` };
}

/** One strategy's cell: `ok` only with its counts, a timing and nothing non-finite. */
function cellOf(
  measured: StrategyMeasurement,
  unitMeasurements: UnitMeasurements,
  timing: TimingStats | null,
  referenceMeanMs: number | null,
  worldSize1: readonly CellResult[],
): CellResult {
  const { unit, scenario } = unitMeasurements;
  const identity = identityOf(unit, measured.strategy);
  const distributed: Required<DistributedFields> & VariantFields = { ...(measured.distributed ?? NOT_DISTRIBUTED), ...measured.variant };
  const memory: DeviceMemoryFields = { deviceBytes: unitMeasurements.deviceMemory.bytes, deviceBytesIsEstimate: unitMeasurements.deviceMemory.isEstimate };
  const { equivalence, error } = measured;
  const diverged = measured.diverged ?? equivalenceDivergence(equivalence, scenario.measure.equivalenceSteps);
  const compared: EquivalenceFields =
    equivalence && !diverged
      ? {
          equivalentTo: equivalence.reference,
          maxParamDiff: equivalence.maxParamDiff,
          equivalence: equivalence.equivalence,
          maxRunningStatsDiff: equivalence.maxRunningStatsDiff ?? null,
        }
      : NOT_COMPARED;
  const counts = countsFor(measured, scenario, unit, worldSize1);
  const observed = counts.kind === 'observed' ? counts.counts : NOT_OBSERVED;
  // What a stopped cell holds after its status and message, in results.json's order.
  const kept = { timing: null, timeRatio: null, ...(measured.record ? observed : NOT_OBSERVED), ...memory, ...compared, ...distributed };
  if (diverged) {
    return { ...identity, status: 'diverged', error: error ?? `diverged at step ${diverged.step}: ${diverged.detail}`, ...kept, diverged };
  }
  if (error) {
    if (measured.raised) return { ...identity, status: 'raised', error, ...kept };
    if (measured.refused) return { ...identity, status: 'refused', error, ...kept };
    return { ...identity, status: 'errored', error, ...kept };
  }
  if (counts.kind === 'missing') return { ...identity, status: 'errored', error: counts.why, ...kept };
  if (!timing || timing.samples === 0) return { ...identity, status: 'errored', error: 'no step was timed', ...kept };
  const timed = { timing, timeRatio: referenceMeanMs ? timing.meanMs / referenceMeanMs : null };
  if (counts.kind === 'none') {
    // No world size 1 cell to take counts from: null, and the note says so.
    const note = 'distributed-only (gan_ddp): passes, FLOPs and memory not observed';
    const cell: CellDistributedOnly = {
      ...identity,
      strategy: measured.strategy as DistributedOnlyStrategyId,
      status: 'ok',
      error: measured.note ? `${measured.note}; ${note}` : note,
      ...timed,
      ...NOT_OBSERVED,
      ...memory,
      ...compared,
      ...distributed,
    };
    return cell;
  }
  const cell: CellOk = {
    ...identity,
    strategy: measured.strategy as StrategyId,
    status: 'ok',
    error: measured.note,
    ...timed,
    ...counts.counts,
    ...memory,
    ...compared,
    ...distributed,
  };
  return cell;
}

/**
 * A unit's cells from its measurements: the timing statistics summarized once, the reference strategy's mean taken
 * from them for every time ratio; at world size N, `worldSize1` (the same backend's world size 1 cells of this run)
 * lends each strategy its passes, FLOPs and memory.
 */
export function makeCells(measurements: UnitMeasurements, worldSize1: readonly CellResult[] = []): CellResult[] {
  const timing = new Map<CellStrategyId, TimingStats>();
  // A diverged strategy's samples time NaN arithmetic: no ratio is taken against them.
  for (const { strategy, samplesMs, diverged } of measurements.strategies) {
    if (samplesMs.length > 0 && !diverged) timing.set(strategy, { ...summarize(samplesMs), samplesMs });
  }
  const referenceMeanMs = timing.get(measurements.unit.reference)?.meanMs ?? null;
  return measurements.strategies.map((measured) => withPrintableError(cellOf(measured, measurements, timing.get(measured.strategy) ?? null, referenceMeanMs, worldSize1)));
}

/**
 * A cell whose message came from outside (a worker's exception, a scenario's error) with its control bytes (terminal
 * escape sequences, NUL, a carriage return) written as \xNN: results.csv and the terminal show them, never obey them.
 */
function withPrintableError<Cell extends CellResult>(cell: Cell): Cell {
  if (cell.error === null || !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(cell.error)) return cell;
  return { ...cell, error: cell.error.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) };
}

/** The cells of a unit that could not run at all (its backend did not start, its ranks never reported): each errored with `message`. */
export function failedUnitCells(
  unit: UnitIdentity,
  scenario: UnitMeasurements['scenario'],
  ids: readonly CellStrategyId[],
  message: string,
): CellResult[] {
  return makeCells({ unit, scenario, strategies: ids.map((id) => ({ ...notMeasured(id), error: message })), deviceMemory: { bytes: null, isEstimate: null } });
}

/** A failure noticed outside a unit (a stray error from its scenario file): the unit's key and the message its cells carry. */
export interface UnitFailure {
  /** `unitKeyId` of the failed unit's key. */
  unit: string;
  message: string;
}

/**
 * The cells, those of every failed unit marked `errored`, the message after any error of their own; their
 * measurements stay, for what they are worth, but an errored cell has no timing: what was timed is not a result.
 */
export function failUnits(cells: readonly CellResult[], failures: readonly UnitFailure[]): CellResult[] {
  if (failures.length === 0) return [...cells];
  return cells.map((cell) => {
    const message = failures.find((failure) => failure.unit === unitKeyId(cell))?.message;
    if (message === undefined) return cell;
    const { diverged: _diverged, ...rest } = cell as CellResult & { diverged?: unknown };
    const errored: CellErrored = { ...rest, status: 'errored', error: cell.error === null ? message : `${cell.error}; ${message}`, timing: null, timeRatio: null };
    return withPrintableError(errored);
  });
}
