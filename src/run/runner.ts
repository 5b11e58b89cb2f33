/**
 * Runs a plan (plan.ts): each unit through its session (src/session/) or, above world size 1, its ranks
 * (src/session/distributed.ts): the calibration, the update-equivalence check, each strategy's observed and
 * profiled step (counts, FLOPs, memory, leaks), then the interleaved timing rounds. Every unit hands its
 * measurements to src/results/make.ts, the one place cells are made. A failing strategy is a cell with status
 * 'errored' (or 'diverged', where its values became non-finite) and the run goes on.
 */
import { messageOf } from '../errors.js';
import type { BackendId, StartedBackend } from '../backends/index.js';
import type { Calibration } from '../measure/calibration.js';
import type { EquivalenceResult } from '../measure/equivalence.js';
import { mean } from '../measure/statistics.js';
import type { CellResult } from '../results/cell.js';
import { describeUnit } from '../results/key.js';
import { failedUnitCells, makeCells, notMeasured, type StrategyMeasurement, type UnitIdentity, type UnitMeasurements } from '../results/make.js';
import { runProvenance, summarizeScenario, type RunResults } from '../results/run.js';
import type { Scenario } from '../scenario/schema.js';
import { runDistributed, type DistributedRunOptions } from '../session/distributed.js';
import { createSharedChecks, startSession as startLocalSession, timeStrategies, type BackendSession, type SharedChecks, type StartSessionOptions } from '../session/index.js';
import type { StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import { judgeStep } from '../strategies/outcome.js';
import { unitScenario, type RunPlan, type RunUnit } from './plan.js';

export type { LoadedScenario } from './plan.js';

/** Starts the session of a backend: src/session's `startSession`, or a test's own. */
export type StartSession = (backend: BackendId, options: StartSessionOptions) => Promise<BackendSession>;

export interface RunOptions {
  plan: RunPlan;
  /** How to start a unit's session (default: src/session's `startSession`). */
  startSession?: StartSession;
  /** How to measure a unit above world size 1 (default: src/session/distributed.ts's `runDistributed`). */
  runDistributed?: typeof runDistributed;
  /** Limits (and, in tests, a fault) for the world size > 1 runs. */
  distributed?: Pick<DistributedRunOptions, 'timeoutS' | 'silenceS' | 'fault' | 'onSpawn'>;
  /** Awaited: a handler may save results before the run goes on. */
  onEvent?: (event: RunEvent) => void | Promise<void>;
}

export type RunEvent =
  | {
      type: 'scenario-start';
      index: number;
      count: number;
      scenario: Scenario;
      /** The backends it is measured on, in order. */
      backends: BackendId[];
      strategies: StrategyId[];
      /** The least timed milliseconds this scenario's settings ask for (minTimeMs per strategy and backend), and the later ones'. */
      timingFloorMs: number;
      laterTimingFloorMs: number;
    }
  /** A unit begins (at every world size): whatever happens now is its doing. */
  | { type: 'unit-start'; scenario: Scenario; unit: RunUnit }
  /**
   * One of the scenario's world size 1 units begins: its backend, with what else tells it apart from the scenario's
   * other units in `label` (`pytorch · torch 2.13.0 · bf16`); index into them.
   */
  | { type: 'backend-start'; scenario: Scenario; backend: BackendId; label: string; unit: RunUnit; index: number; count: number }
  | { type: 'backend-started'; scenario: Scenario; started: StartedBackend }
  | { type: 'phase'; scenario: Scenario; phase: string }
  /** One unit's cells are in `results`: a handler may save them. */
  | { type: 'backend-end'; scenario: Scenario; backend: BackendId; unit: RunUnit; cells: CellResult[]; results: RunResults }
  | { type: 'scenario-end'; index: number; count: number; scenario: Scenario; cells: CellResult[]; results: RunResults };

/** The least timed milliseconds a scenario's units ask for: minTimeMs for each strategy each world size 1 unit runs. */
function timingFloorMs(units: readonly RunUnit[]): number {
  return units.filter((unit) => unit.worldSize === 1).reduce((sum, unit) => sum + unit.strategies.length * unit.loaded.scenario.measure.minTimeMs, 0);
}

/**
 * Runs every unit of the plan and returns what results.json holds. `backend-end` and `scenario-end` events carry
 * the results so far, so that a caller can save them before the next unit starts.
 */
export async function runBenchmark(options: RunOptions): Promise<RunResults> {
  const { plan, onEvent } = options;
  const start = options.startSession ?? startLocalSession;
  const distribute = options.runDistributed ?? runDistributed;
  const overheads: number[] = [];
  const backendLabels: string[] = [];
  const results: RunResults = {
    ...runProvenance(),
    settings: { backend: plan.backendSetting, strategies: plan.strategies, referenceStrategy: plan.reference, shard: plan.shard },
    harnessOverheadPct: null,
    complete: false,
    scenarios: plan.scenarios.map((loaded) => summarizeScenario(loaded, [...(plan.units.find((unit) => unit.loaded === loaded)?.strategies ?? loaded.scenario.strategies)])),
    cells: [],
  };
  // The tfjs update-equivalence check runs once per scenario, on cpu, whichever tfjs backends measure it.
  const shared = createSharedChecks();
  const unitsOf = plan.scenarios.map((loaded) => plan.units.filter((unit) => unit.loaded === loaded));
  const floors = unitsOf.map(timingFloorMs);
  for (const [index, loaded] of plan.scenarios.entries()) {
    const { scenario } = loaded;
    const units = unitsOf[index]!;
    const backendUnits = units.filter((unit) => unit.worldSize === 1);
    await onEvent?.({
      type: 'scenario-start',
      index,
      count: plan.scenarios.length,
      scenario,
      backends: backendUnits.map((unit) => unit.backend),
      strategies: [...(units[0]?.strategies ?? [])],
      timingFloorMs: floors[index]!,
      laterTimingFloorMs: floors.slice(index + 1).reduce((a, b) => a + b, 0),
    });
    const scenarioCells: CellResult[] = [];
    const cellsOfUnit = new Map<number, CellResult[]>();
    // A unit's label names its framework where one backend runs at two versions (--python); the other dimensions name themselves.
    const twoVersions = new Set(backendUnits.map((unit) => `${unit.backend} ${unit.framework}`)).size > new Set(backendUnits.map((unit) => unit.backend)).size;
    for (const unit of units) {
      await onEvent?.({ type: 'unit-start', scenario, unit });
      if (unit.worldSize === 1) {
        const label = describeUnit(unit, twoVersions ? ['framework'] : []).split(' / ').slice(1).join(' · ');
        await onEvent?.({ type: 'backend-start', scenario, backend: unit.backend, label, unit, index: backendUnits.indexOf(unit), count: backendUnits.length });
      }
      let cells: CellResult[];
      if (unit.worldSize === 1) {
        const outcome = await runUnit(unit, start, shared, onEvent);
        cells = outcome.cells;
        Object.assign(results.versions, outcome.versions);
        if (outcome.overheadPct !== null) overheads.push(outcome.overheadPct);
        if (!backendLabels.includes(outcome.backendLabel)) backendLabels.push(outcome.backendLabel);
        if (outcome.calibration) (results.calibrations ??= []).push(outcome.calibration);
        results.settings.backend = backendLabels.join('; ');
        results.harnessOverheadPct = overheads.length > 0 ? Math.max(...overheads) : null;
      } else {
        const onPhase = (phase: string) => onEvent?.({ type: 'phase', scenario, phase });
        const outcome = await distribute(unit, { ...options.distributed, onPhase });
        Object.assign(results.versions, outcome.versions);
        cells = makeCells(outcome.measurements, unit.countsFrom === null ? [] : (cellsOfUnit.get(unit.countsFrom) ?? []));
      }
      cellsOfUnit.set(unit.index, cells);
      results.cells.push(...cells);
      scenarioCells.push(...cells);
      await onEvent?.({ type: 'backend-end', scenario, backend: unit.backend, unit, cells, results });
    }
    await onEvent?.({ type: 'scenario-end', index, count: plan.scenarios.length, scenario, cells: scenarioCells, results });
  }
  results.complete = true;
  return results;
}

interface UnitOutcome {
  cells: CellResult[];
  calibration?: Calibration;
  overheadPct: number | null;
  backendLabel: string;
  /** Versions of what ran beside tfjs and Node (PyTorch, its Python), for results.json. */
  versions?: Record<string, string>;
}

/**
 * Under a step variant (compile, precision), each healthy strategy's update against the same strategy eager in fp32
 * (`vsEagerFp32`); a strategy the check could not compare keeps a note saying why.
 */
async function checkVariant(unit: RunUnit, session: BackendSession, measured: StrategyMeasurement[], phase: (name: string) => unknown): Promise<void> {
  if ((unit.compile === 'eager' && unit.precision === 'fp32') || !session.checkVariant) return;
  const healthy = measured.filter((strategy) => !strategy.error && !strategy.diverged);
  if (healthy.length === 0) return;
  const scenario = unitScenario(unit);
  const steps = scenario.measure.equivalenceSteps;
  await phase(`comparing compile ${unit.compile}, ${unit.precision} with eager fp32 (${steps} steps per strategy)`);
  const checks = await session.checkVariant(scenario, healthy.map(({ strategy }) => strategy as StrategyId), steps);
  for (const strategy of healthy) {
    const check = checks.get(strategy.strategy as StrategyId);
    if (!check) continue;
    strategy.variant = { ...strategy.variant, vsEagerFp32: check.maxParamDiff };
    if (check.error) strategy.note = [strategy.note, `not compared with eager fp32: ${check.error}`].filter(Boolean).join('; ');
  }
}

/** A unit's identity as its cells carry it, on the device its session ran on. */
export function unitIdentity(unit: RunUnit, device: string): UnitIdentity {
  const { scenario, backend, worldSize, nodes, framework, compile, precision, regularizer, reference } = unit;
  return { scenario, backend, worldSize, nodes, framework, compile, precision, regularizer, reference, device, batchSize: unit.loaded.scenario.batchSize };
}

/**
 * One world size 1 unit through its session: calibrate, check equivalence, prepare, observe each strategy, time the
 * healthy ones. A session that fails to start fails the cells with its message; one that throws later (a worker
 * gone) fails every cell not failed already; the session is closed whatever happened.
 */
async function runUnit(unit: RunUnit, start: StartSession, shared: SharedChecks, onEvent: RunOptions['onEvent']): Promise<UnitOutcome> {
  // The session gets the unit's regularizer with its scenario (the override resolved into it).
  const scenario = unitScenario(unit);
  const ids = unit.strategies;
  const phase = (name: string) => onEvent?.({ type: 'phase', scenario, phase: name });
  let session: BackendSession;
  try {
    session = await start(unit.backend, { shared, variant: { compile: unit.compile, precision: unit.precision }, ...(unit.python === null ? {} : { python: unit.python }) });
  } catch (error) {
    return { cells: failedUnitCells(unitIdentity(unit, 'none'), scenario, ids, messageOf(error)), overheadPct: null, backendLabel: unit.backend };
  }
  const measured: StrategyMeasurement[] = ids.map(notMeasured);
  const byId = (id: StrategyId) => measured.find((entry) => entry.strategy === id);
  let calibration: Calibration | undefined;
  let overheadPct: number | null = null;
  let deviceMemory = { bytes: null as number | null, isEstimate: null as boolean | null };
  try {
    await onEvent?.({ type: 'backend-started', scenario, started: session.started });
    // A scenario too big for the backend fails its own cells, before anything of its size is built (the pytorch
    // worker builds every strategy's GAN for the equivalence check) or the calibration multiplies its matrices.
    const misfit = session.misfit(scenario, ids);
    if (misfit) throw new Error(misfit);
    for (const [id, outcome] of await session.checkEquivalence(scenario, ids, unit.reference, scenario.measure.equivalenceSteps, phase)) {
      const strategy = byId(id);
      if (!strategy) continue;
      strategy.equivalence = outcome.result as EquivalenceResult | null;
      strategy.note = outcome.note;
      strategy.diverged = outcome.diverged;
    }
    calibration = await session.calibrate(scenario, phase);
    const prepared = await session.prepare(scenario, ids);
    try {
      await phase('counting passes, FLOPs and memory (one observed, profiled step per strategy)');
      for (const strategy of measured) {
        const observed = await prepared.observe(strategy.strategy as StrategyId);
        strategy.record = observed.record;
        if (observed.variant) strategy.variant = { ...observed.variant };
        strategy.diverged ??= observed.diverged;
        const leaked = observed.record && observed.record.leakedTensors !== 0 ? new Error(`leaked ${observed.record.leakedTensors} tensors in one step`) : undefined;
        // Judged against what its strategy must do (train, or raise PyTorch's error as the post's printed code does).
        const judged = judgeStep(strategies[strategy.strategy as StrategyId], observed.error ?? leaked, unit.regularizer);
        strategy.error = judged.error;
        strategy.raised = judged.status === 'raised';
        strategy.refused = judged.status === 'refused';
      }
      const healthy = measured.filter((strategy) => !strategy.error && !strategy.diverged);
      const timings = await timeStrategies(prepared, healthy.map(({ strategy }) => strategy as StrategyId), scenario.measure, (round, rounds) => phase(`timing round ${round}/${rounds}`));
      for (const strategy of healthy) {
        const timing = timings.get(strategy.strategy as StrategyId)!;
        strategy.samplesMs = timing.samplesMs;
        strategy.error = timing.error;
        strategy.diverged = timing.diverged;
        if (timing.variant) strategy.variant = { ...strategy.variant, ...timing.variant };
      }
      deviceMemory = prepared.deviceMemory();
      await checkVariant(unit, session, measured, phase);
      const means = measured.filter(({ samplesMs, diverged }) => samplesMs.length > 0 && !diverged).map(({ samplesMs }) => mean(samplesMs));
      const overheadMs = means.length > 0 ? await prepared.harnessOverheadMs() : null;
      overheadPct = overheadMs === null ? null : (100 * overheadMs) / mean(means);
    } finally {
      await prepared.dispose();
    }
  } catch (error) {
    // The session cannot go on (the scenario does not fit or allocate, the worker is gone): every cell not failed already fails with its message.
    for (const strategy of measured) strategy.error ??= messageOf(error);
  } finally {
    await session.close();
  }
  const measurements: UnitMeasurements = { unit: unitIdentity(unit, session.started.device.description), scenario, strategies: measured, deviceMemory };
  return { cells: makeCells(measurements), overheadPct, backendLabel: session.label, versions: { ...session.versions }, ...(calibration ? { calibration } : {}) };
}
