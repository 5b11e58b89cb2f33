/**
 * Runs the cells: for each scenario, on each of its backends, one session (src/session/): the calibration, the
 * update-equivalence check, each strategy's observed and profiled step (counts, FLOPs, memory, leaks), then the
 * interleaved timing rounds (src/session/timing.ts). Every backend goes through the same steps; which backend
 * runs where is the session's business. A failing cell becomes a row with status 'errored' (or 'diverged', where
 * its values became non-finite) and the run goes on.
 */
import { messageOf } from './errors.js';
import type { BackendId, StartedBackend } from './backends/index.js';
import type { Calibration } from './measure/calibration.js';
import type { Divergence } from './measure/divergence.js';
import type { EquivalenceResult } from './measure/equivalence.js';
import type { StepRecord } from './measure/record.js';
import { mean, summarize, type TimingStats } from './measure/statistics.js';
import { elementSizes, macsPerSample, parameterCount } from './scenario/shapes.js';
import type { Scenario } from './scenario/schema.js';
import type { SweepTag } from './scenario/sweep.js';
import { runDistributed, type DistributedRunOptions } from './session/distributed.js';
import { createSharedChecks, startSession, timeStrategies, type BackendSession, type SharedChecks } from './session/index.js';
import { DISTRIBUTED_ONLY_STRATEGY_IDS, type DistributedOnlyStrategyId, type StrategyId } from './strategies/ids.js';
import { strategies } from './strategies/index.js';
import { referenceStrategy } from './strategies/reference.js';
import { judgeStep } from './strategies/outcome.js';
import { runProvenance } from './results/run.js';
import { buildCell, erroredCell, scenarioLayers } from './results/cell.js';
import type { CellResult, RunResults, ScenarioSummary } from './types.js';

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  /** The sweep the scenario is a variant of (`loadScenarioFile`), recorded in its summary. */
  sweep?: SweepTag;
}

export interface RunOptions {
  scenarios: readonly LoadedScenario[];
  /**
   * Overrides every scenario's `backend`: one backend, or several, on each of which every scenario is measured
   * in turn (scenario by scenario: all of a scenario's backends before the next scenario).
   */
  backend?: BackendId | readonly BackendId[];
  /** Overrides every scenario's `strategies`. */
  strategies?: readonly StrategyId[];
  /**
   * gan_ddp's distributed-only forms measured after the registry's at a world size above 1 (never at world size 1).
   * Absent: all of them where `strategies` is absent too, none where `strategies` picks the registry's.
   */
  distributedOnly?: readonly DistributedOnlyStrategyId[];
  /** Runs only this share of the scenarios (1-based index), recorded in the results. */
  shard?: { index: number; count: number } | null;
  /** Overrides every scenario's `worldSize`: above 1, each backend's cells at world size 1 are followed by its cells at this one. */
  worldSize?: number;
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
  /** One of the scenario's backends begins (index into the scenario's backends). */
  | { type: 'backend-start'; scenario: Scenario; backend: BackendId; index: number; count: number }
  | { type: 'backend-started'; scenario: Scenario; started: StartedBackend }
  | { type: 'phase'; scenario: Scenario; phase: string }
  /** One backend's cells of the scenario are in `results`: a handler may save them. At a world size above 1, once for world size 1 and once for N. */
  | { type: 'backend-end'; scenario: Scenario; backend: BackendId; cells: CellResult[]; results: RunResults }
  | { type: 'scenario-end'; index: number; count: number; scenario: Scenario; cells: CellResult[]; results: RunResults };

export { referenceStrategy };

/** The backends a scenario is measured on: the override (one or several) or the scenario's own. */
export function backendsOf(scenario: Scenario, override: RunOptions['backend']): BackendId[] {
  if (override === undefined) return [scenario.backend];
  return typeof override === 'string' ? [override] : [...override];
}


/**
 * Runs every cell of every scenario and returns what results.json holds. Each scenario runs on each of its
 * backends in turn; `backend-end` and `scenario-end` events carry the results so far, so that a caller can save
 * them before the next backend or scenario starts.
 */
export async function runBenchmark(options: RunOptions): Promise<RunResults> {
  const { scenarios, onEvent } = options;
  const allIds = [...new Set(options.strategies ?? scenarios.flatMap(({ scenario }) => scenario.strategies))];
  const overheads: number[] = [];
  const backendLabels: string[] = [];
  const results: RunResults = {
    ...runProvenance(),
    settings: {
      backend: options.backend === undefined ? 'per scenario' : [options.backend].flat().join(','),
      strategies: allIds,
      referenceStrategy: referenceStrategy(allIds),
      shard: options.shard ?? null,
    },
    harnessOverheadPct: null,
    complete: false,
    scenarios: scenarios.map((loaded) => summarizeScenario(loaded, options.strategies)),
    cells: [],
  };
  // The tfjs update-equivalence check runs once per scenario, on cpu, whichever tfjs backends measure it.
  const shared = createSharedChecks();
  const floors = scenarios.map((loaded) => timingFloorMs(loaded.scenario, options));
  for (const [index, { scenario }] of scenarios.entries()) {
    const backends = backendsOf(scenario, options.backend);
    const ids = [...(options.strategies ?? scenario.strategies)];
    await onEvent?.({
      type: 'scenario-start',
      index,
      count: scenarios.length,
      scenario,
      backends,
      strategies: ids,
      timingFloorMs: floors[index]!,
      laterTimingFloorMs: floors.slice(index + 1).reduce((a, b) => a + b, 0),
    });
    const scenarioCells: CellResult[] = [];
    for (const [backendIndex, backend] of backends.entries()) {
      await onEvent?.({ type: 'backend-start', scenario, backend, index: backendIndex, count: backends.length });
      const outcome = await runScenario(scenario, backend, ids, shared, onEvent);
      Object.assign(results.versions, outcome.versions);
      if (outcome.overheadPct !== null) overheads.push(outcome.overheadPct);
      if (!backendLabels.includes(outcome.backendLabel)) backendLabels.push(outcome.backendLabel);
      if (outcome.calibration) (results.calibrations ??= []).push(outcome.calibration);
      results.cells.push(...outcome.cells);
      scenarioCells.push(...outcome.cells);
      results.settings.backend = backendLabels.join('; ');
      results.harnessOverheadPct = overheads.length > 0 ? Math.max(...overheads) : null;
      await onEvent?.({ type: 'backend-end', scenario, backend, cells: outcome.cells, results });
      // At a world size above 1, the same backend's cells at that world size follow, saved as they end too.
      const worldSize = options.worldSize ?? scenario.worldSize;
      if (worldSize > 1) {
        const concrete = outcome.cells[0]?.backend ?? (backend === 'auto' ? 'cpu' : backend);
        const onPhase = (phase: string) => onEvent?.({ type: 'phase', scenario, phase });
        const distributedOnly = options.distributedOnly ?? (options.strategies ? [] : DISTRIBUTED_ONLY_STRATEGY_IDS);
        const distributed = await runDistributed(scenario, concrete, ids, { ...options.distributed, worldSize, distributedOnly, worldSize1: outcome.cells, onPhase });
        Object.assign(results.versions, distributed.versions);
        results.cells.push(...distributed.cells);
        scenarioCells.push(...distributed.cells);
        await onEvent?.({ type: 'backend-end', scenario, backend, cells: distributed.cells, results });
      }
    }
    await onEvent?.({ type: 'scenario-end', index, count: scenarios.length, scenario, cells: scenarioCells, results });
  }
  results.complete = true;
  return results;
}

/** The least timed milliseconds a scenario asks for: minTimeMs for each strategy it runs, on each backend. */
function timingFloorMs(scenario: Scenario, options: Pick<RunOptions, 'strategies' | 'backend'>): number {
  return backendsOf(scenario, options.backend).length * (options.strategies ?? scenario.strategies).length * scenario.measure.minTimeMs;
}

/** The scenario facts reports need. */
export function summarizeScenario({ scenario, file, sweep }: LoadedScenario, strategyOverride?: readonly StrategyId[]): ScenarioSummary {
  const layers = scenarioLayers(scenario);
  return {
    name: scenario.name,
    description: scenario.description,
    file,
    batchSize: scenario.batchSize,
    // Elements per sample along each network: an MLP's widths; a convolutional network's channels x height x width.
    generatorWidths: elementSizes(layers.generator),
    discriminatorWidths: elementSizes(layers.discriminator),
    generatorParameters: parameterCount(layers.generator),
    discriminatorParameters: parameterCount(layers.discriminator),
    generatorMacsPerSample: macsPerSample(layers.generator),
    discriminatorMacsPerSample: macsPerSample(layers.discriminator),
    strategies: [...(strategyOverride ?? scenario.strategies)],
    ...(sweep ? { sweep } : {}),
  };
}

interface ScenarioOutcome {
  cells: CellResult[];
  calibration?: Calibration;
  overheadPct: number | null;
  backendLabel: string;
  /** Versions of what ran beside tfjs and Node (PyTorch, its Python), for results.json. */
  versions?: Record<string, string>;
}

/** What a scenario's run measured for one strategy, whichever backend ran it. */
interface StrategyMeasurements {
  id: StrategyId;
  /** The observed step's record; null if it was not (or could not be) observed. */
  record: StepRecord | null;
  /** Why the strategy failed (observing or timing it), or the error it raised as it must; null if neither. */
  error: string | null;
  /** The step raised the error its strategy must raise (the post's code as printed). */
  raised: boolean;
  /** Where its losses or parameters became non-finite; it is not measured after. */
  diverged: Divergence | null;
  samplesMs: number[];
  /** A remark for an ok cell (the equivalence check failed for it). */
  note: string | null;
}

/**
 * One scenario on one backend, through its session: calibrate, check equivalence, prepare, observe each strategy,
 * time the healthy ones. A session that fails to start fails the cells with its message; one that throws later
 * (a worker gone) fails every cell not failed already; the session is closed whatever happened.
 */
async function runScenario(
  scenario: Scenario,
  backend: BackendId,
  ids: StrategyId[],
  shared: SharedChecks,
  onEvent: RunOptions['onEvent'],
): Promise<ScenarioOutcome> {
  const phase = (name: string) => onEvent?.({ type: 'phase', scenario, phase: name });
  let session: BackendSession;
  try {
    session = await startSession(backend, { shared });
  } catch (error) {
    const concrete = backend === 'auto' ? 'cpu' : backend;
    return { cells: ids.map((id) => erroredCell(scenario, concrete, 'none', id, messageOf(error))), overheadPct: null, backendLabel: backend };
  }
  const { provider, device } = session.started;
  const measured: StrategyMeasurements[] = ids.map((id) => ({ id, record: null, error: null, raised: false, diverged: null, samplesMs: [], note: null }));
  const reference = referenceStrategy(ids);
  const equivalence = new Map<StrategyId, EquivalenceResult>();
  let calibration: Calibration | undefined;
  let overheadPct: number | null = null;
  let deviceMemory = { bytes: null as number | null, isEstimate: null as boolean | null };
  try {
    await onEvent?.({ type: 'backend-started', scenario, started: session.started });
    for (const [id, outcome] of await session.checkEquivalence(scenario, ids, reference, scenario.measure.equivalenceSteps, phase)) {
      const strategy = measured.find((entry) => entry.id === id);
      if (!strategy) continue;
      if (outcome.result) equivalence.set(id, outcome.result);
      strategy.note = outcome.note;
      strategy.diverged = outcome.diverged;
    }
    // A scenario too big for the backend fails its own cells, before the calibration multiplies matrices of its shapes.
    const misfit = session.misfit(scenario, ids);
    if (misfit) throw new Error(misfit);
    calibration = await session.calibrate(scenario, phase);
    const prepared = await session.prepare(scenario, ids);
    try {
      await phase('counting passes, FLOPs and memory (one observed, profiled step per strategy)');
      for (const strategy of measured) {
        const observed = await prepared.observe(strategy.id);
        strategy.record = observed.record;
        strategy.diverged ??= observed.diverged;
        const leaked = observed.record && observed.record.leakedTensors !== 0 ? new Error(`leaked ${observed.record.leakedTensors} tensors in one step`) : undefined;
        judge(strategy, observed.error ?? leaked);
      }
      const healthy = measured.filter((strategy) => !strategy.error && !strategy.diverged);
      const timings = await timeStrategies(prepared, healthy.map(({ id }) => id), scenario.measure, (round, rounds) => phase(`timing round ${round}/${rounds}`));
      for (const strategy of healthy) {
        const timing = timings.get(strategy.id)!;
        strategy.samplesMs = timing.samplesMs;
        strategy.error = timing.error;
        strategy.diverged = timing.diverged;
      }
      deviceMemory = prepared.deviceMemory();
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
  const cells = buildCells({ scenario, backend: provider.id, device: device.description, reference, measured, equivalence, deviceMemory });
  return { cells, overheadPct, backendLabel: session.label, versions: { ...session.versions }, ...(calibration ? { calibration } : {}) };
}

/**
 * The cells of one scenario from its per-strategy measurements: the timing statistics summarized once, the
 * reference strategy's mean taken from them for every time ratio.
 */
function buildCells({
  scenario,
  backend,
  device,
  reference,
  measured,
  equivalence,
  deviceMemory,
}: {
  scenario: Scenario;
  backend: CellResult['backend'];
  device: string;
  reference: StrategyId;
  measured: readonly StrategyMeasurements[];
  equivalence: ReadonlyMap<StrategyId, EquivalenceResult>;
  deviceMemory: { bytes: number | null; isEstimate: boolean | null };
}): CellResult[] {
  const timing = new Map<StrategyId, TimingStats>();
  // A diverged strategy's samples time NaN arithmetic: no ratio is taken against them.
  for (const { id, samplesMs, diverged } of measured) {
    if (samplesMs.length > 0 && !diverged) timing.set(id, { ...summarize(samplesMs), samplesMs });
  }
  const referenceMeanMs = timing.get(reference)?.meanMs ?? null;
  return measured.map((strategy) =>
    buildCell({
      scenario,
      backend,
      device,
      strategy: strategy.id,
      error: strategy.error,
      raised: strategy.raised,
      diverged: strategy.diverged,
      record: strategy.record,
      timing: timing.get(strategy.id) ?? null,
      referenceMeanMs,
      equivalence: equivalence.get(strategy.id) ?? null,
      note: strategy.note,
      deviceMemory,
    }),
  );
}

/**
 * Judges an observed step against what its strategy must do (train, or raise PyTorch's error as the post's
 * printed code does): a strategy that failed or raised is not timed.
 */
function judge(strategy: StrategyMeasurements, error?: unknown): void {
  const outcome = judgeStep(strategies[strategy.id], error);
  strategy.error = outcome.error;
  strategy.raised = outcome.status === 'raised';
}
