/**
 * Runs the cells: for each scenario, the update-equivalence check on cpu, then on the chosen backend each
 * strategy's observed and profiled step (counts, FLOPs, memory, leaks), then the interleaved timing. The pytorch
 * backend does the same through its Python worker (the equivalence check in float64 there). Both paths fill the
 * same per-strategy measurements, from which one function builds the cells.
 * A failing cell becomes a row with status 'errored' and the run goes on.
 */
import { TOOL } from './tool.js';
import { messageOf } from './errors.js';
import { dispatchesGpuKernels, startBackend, type BackendId, type StartedBackend } from './backends/index.js';
import { machineInfo } from './backends/host.js';
import { calibratePytorch as calibrateWorker } from './backends/pytorch/calibration.js';
import { pytorchBackend, startPytorchWorker, WorkerGoneError, type PytorchWorker } from './backends/pytorch/index.js';
import { checkEquivalence, classifyDifference, type EquivalenceResult } from './measure/equivalence.js';
import { backendCapacity } from './measure/capacity.js';
import { estimateFootprint, footprintProblem } from './measure/footprint.js';
import { calibrateBackend } from './measure/calibration-workloads.js';
import { calibrationLayer, DEFAULT_BUDGET_MS, DEFAULT_MAX_ROUNDS } from './measure/calibration.js';
import { observeStep } from './measure/observe.js';
import { recordObservedStep, type StepRecord } from './measure/record.js';
import { measureHarnessOverhead, roundPlan, timeInterleaved } from './measure/timing.js';
import { mean, summarize, type TimingStats } from './measure/statistics.js';
import { elementSizes, macsPerSample, parameterCount } from './models/shapes.js';
import { createBatches, createGan, disposeBatches, type Gan } from './models/gan.js';
import type { Scenario } from './scenario/schema.js';
import type { SweepTag } from './scenario/sweep.js';
import { createStepRunner, type StepRunner } from './strategies/context.js';
import type { StrategyId } from './strategies/ids.js';
import { strategies } from './strategies/index.js';
import { judgeStep } from './strategies/outcome.js';
import type { Batch } from './strategies/strategy.js';
import { tf } from './tf.js';
import { buildCell, erroredCell, scenarioLayers } from './results/cell.js';
import type { CellResult, RunResults, ScenarioSummary } from './types.js';
import type { Calibration } from './measure/calibration.js';

/** Distinct batches the timed steps cycle through (data generation is not part of a training step). */
const BATCH_POOL = 4;

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
  /** Runs only this share of the scenarios (1-based index), recorded in the results. */
  shard?: { index: number; count: number } | null;
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
  /** One backend's cells of the scenario are in `results`: a handler may save them. */
  | { type: 'backend-end'; scenario: Scenario; backend: BackendId; cells: CellResult[]; results: RunResults }
  | { type: 'scenario-end'; index: number; count: number; scenario: Scenario; cells: CellResult[]; results: RunResults };

/** The strategy timings and equivalence are measured against: the post's strategy 1 when it runs. */
export function referenceStrategy(ids: readonly StrategyId[]): StrategyId {
  return ids.includes('retain-graph') ? 'retain-graph' : ids[0]!;
}

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
    schemaVersion: 1,
    tool: { ...TOOL },
    createdAt: new Date().toISOString(),
    versions: { tfjs: tf.version.tfjs, node: process.version },
    machine: machineInfo(),
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
    // The tfjs update-equivalence check runs once per scenario, on cpu, whichever tfjs backends measure it.
    let tfjsEquivalence: Promise<TfjsEquivalence> | null = null;
    const scenarioCells: CellResult[] = [];
    for (const [backendIndex, backend] of backends.entries()) {
      await onEvent?.({ type: 'backend-start', scenario, backend, index: backendIndex, count: backends.length });
      const outcome =
        backend === 'pytorch'
          ? await runPytorchScenario(scenario, ids, onEvent)
          : await runScenario(scenario, backend, ids, (tfjsEquivalence ??= checkTfjsEquivalence(scenario, ids, onEvent)), onEvent);
      Object.assign(results.versions, outcome.versions);
      if (outcome.overheadPct !== null) overheads.push(outcome.overheadPct);
      if (!backendLabels.includes(outcome.backendLabel)) backendLabels.push(outcome.backendLabel);
      if (outcome.calibration) (results.calibrations ??= []).push(outcome.calibration);
      results.cells.push(...outcome.cells);
      scenarioCells.push(...outcome.cells);
      results.settings.backend = backendLabels.join('; ');
      results.harnessOverheadPct = overheads.length > 0 ? Math.max(...overheads) : null;
      await onEvent?.({ type: 'backend-end', scenario, backend, cells: outcome.cells, results });
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

/** What a scenario's run measured for one strategy, whichever framework ran it. */
interface StrategyMeasurements {
  id: StrategyId;
  /** The observed step's record; null if it was not (or could not be) observed. */
  record: StepRecord | null;
  /** Why the strategy failed (observing or timing it), or the error it raised as it must; null if neither. */
  error: string | null;
  /** The step raised the error its strategy must raise (the post's code as printed). */
  raised: boolean;
  samplesMs: number[];
  /** A remark for an ok cell (the equivalence check failed for it). */
  note: string | null;
}

/** One strategy's state on the measured tfjs backend. */
interface Trainee extends StrategyMeasurements {
  gan: Gan;
  run: StepRunner;
}

/** The tfjs update-equivalence check of a scenario (on cpu), shared by every tfjs backend that measures it. */
interface TfjsEquivalence {
  results: Map<StrategyId, EquivalenceResult>;
  /** Why the check failed, as a remark for every cell; null when it ran (or was skipped). */
  error: string | null;
}

async function checkTfjsEquivalence(scenario: Scenario, ids: StrategyId[], onEvent: RunOptions['onEvent']): Promise<TfjsEquivalence> {
  const results = new Map<StrategyId, EquivalenceResult>();
  const steps = scenario.measure.equivalenceSteps;
  if (steps === 0) return { results, error: null };
  await onEvent?.({ type: 'phase', scenario, phase: `update equivalence on cpu (${steps} steps per strategy)` });
  try {
    const misfit = footprintProblem(estimateFootprint(scenario, { gans: 1, batches: steps, adam: 'for-loop' }), backendCapacity('cpu'));
    if (misfit) throw new Error(misfit);
    await tf.setBackend('cpu');
    for (const result of await checkEquivalence(scenario, ids, referenceStrategy(ids), steps)) results.set(result.strategy, result);
    return { results, error: null };
  } catch (error) {
    return { results, error: `equivalence check failed: ${messageOf(error)}` };
  }
}

async function runScenario(
  scenario: Scenario,
  backend: BackendId,
  ids: StrategyId[],
  tfjsEquivalence: Promise<TfjsEquivalence>,
  onEvent: RunOptions['onEvent'],
): Promise<ScenarioOutcome> {
  const reference = referenceStrategy(ids);
  const phase = (name: string) => onEvent?.({ type: 'phase', scenario, phase: name });
  const { results: equivalence, error: equivalenceError } = await tfjsEquivalence;

  let started: StartedBackend;
  try {
    started = await startBackend(backend);
  } catch (error) {
    const message = messageOf(error);
    return {
      cells: ids.map((id) => erroredCell(scenario, backend === 'auto' ? 'cpu' : backend, 'none', id, message)),
      overheadPct: null,
      backendLabel: backend,
    };
  }
  await onEvent?.({ type: 'backend-started', scenario, started });
  const { provider, device } = started;
  const adam = dispatchesGpuKernels(provider.id) ? 'foreach' : 'for-loop';
  // A scenario too big for the backend, or one whose models or batches cannot be allocated, fails its own cells.
  const failAll = (message: string): ScenarioOutcome => ({
    cells: ids.map((id) => erroredCell(scenario, provider.id, device.description, id, message)),
    overheadPct: null,
    backendLabel: `${provider.id} (${device.description})`,
  });
  const misfit = footprintProblem(estimateFootprint(scenario, { gans: ids.length, batches: BATCH_POOL, adam }), backendCapacity(provider.id));
  if (misfit) return failAll(misfit);
  // After the footprint check: the calibration multiplies matrices of the scenario's own shapes.
  phase("calibrating the backend (the step's products and an elementwise kernel)");
  const calibration = await calibrateBackend(scenario, provider, device);
  const batches: Batch[] = [];
  const trainees: Trainee[] = [];
  try {
    batches.push(...createBatches(scenario, BATCH_POOL));
    for (const id of ids) {
      const gan = createGan(scenario, adam);
      trainees.push({ id, gan, run: createStepRunner(gan), record: null, error: null, raised: false, samplesMs: [], note: equivalenceError });
    }
  } catch (error) {
    for (const trainee of trainees) trainee.gan.dispose();
    disposeBatches(batches);
    return failAll(`could not allocate the models and batches: ${messageOf(error)}`);
  }
  try {
    phase('counting passes, FLOPs and memory (one observed, profiled step per strategy)');
    for (const trainee of trainees) {
      try {
        const record = recordObservedStep(await observeStep(trainee.gan, strategies[trainee.id], batches[0]!, batches[1]!, provider));
        trainee.record = record;
        if (record.leakedTensors !== 0) throw new Error(`leaked ${record.leakedTensors} tensors in one step`);
        judge(trainee);
      } catch (error) {
        judge(trainee, error);
      }
    }

    const healthy = trainees.filter((trainee) => !trainee.error);
    const stepOf = (trainee: Trainee) => {
      let next = 0;
      return () => {
        const batch = batches[next++ % batches.length]!;
        trainee.run(strategies[trainee.id], batch);
      };
    };
    const timings = await timeInterleaved(
      healthy.map((trainee) => ({ id: trainee.id, step: stepOf(trainee) })),
      {
        ...scenario.measure,
        sync: provider.sync,
        onRound: (round, rounds) => phase(`timing round ${round}/${rounds}`),
      },
    );
    for (const trainee of trainees) {
      const timing = timings.get(trainee.id);
      trainee.samplesMs = timing?.samplesMs ?? [];
      if (!trainee.error && timing?.error) trainee.error = messageOf(timing.error);
    }
    const memory = provider.memory();
    const deviceMemory =
      memory.deviceBytes === undefined ? { bytes: null, isEstimate: null } : { bytes: memory.deviceBytes, isEstimate: memory.isEstimate };
    const { cells, means } = buildCells({ scenario, backend: provider.id, device: device.description, reference, measured: trainees, equivalence, deviceMemory });
    const overheadPct = means.length > 0 ? (100 * (await measureHarnessOverhead(provider.sync))) / mean(means) : null;
    return { cells, calibration, overheadPct, backendLabel: `${provider.id} (${device.description})` };
  } finally {
    for (const trainee of trainees) trainee.gan.dispose();
    disposeBatches(batches);
  }
}

/**
 * The cells of one scenario from its per-strategy measurements: the timing statistics summarized once, the
 * reference strategy's mean taken from them for every time ratio. Also returns every timed strategy's mean.
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
}): { cells: CellResult[]; means: number[] } {
  const timing = new Map<StrategyId, TimingStats>();
  for (const { id, samplesMs } of measured) {
    if (samplesMs.length > 0) timing.set(id, { ...summarize(samplesMs), samplesMs });
  }
  const referenceMeanMs = timing.get(reference)?.meanMs ?? null;
  const cells = measured.map((strategy) =>
    buildCell({
      scenario,
      backend,
      device,
      strategy: strategy.id,
      error: strategy.error,
      raised: strategy.raised,
      record: strategy.record,
      timing: timing.get(strategy.id) ?? null,
      referenceMeanMs,
      equivalence: equivalence.get(strategy.id) ?? null,
      note: strategy.note,
      deviceMemory,
    }),
  );
  return { cells, means: [...timing.values()].map(({ meanMs }) => meanMs) };
}

/**
 * A scenario on the pytorch backend, through one Python worker: its float64 equivalence check, an observed step
 * per strategy, then the same interleaved timing rounds as the tfjs path (roundPlan), each round one request. A
 * worker that crashes or stops answering fails the scenario's remaining cells with its message; the worker is
 * stopped at the end whatever happened.
 */
async function runPytorchScenario(scenario: Scenario, ids: StrategyId[], onEvent: RunOptions['onEvent']): Promise<ScenarioOutcome> {
  const reference = referenceStrategy(ids);
  const phase = (name: string) => onEvent?.({ type: 'phase', scenario, phase: name });
  let worker: PytorchWorker;
  let started: StartedBackend;
  let versions: Record<string, string>;
  try {
    const pytorch = await startPytorchWorker();
    worker = pytorch.worker;
    started = { provider: pytorchBackend, device: pytorch.device, passedOver: [] };
    versions = { torch: pytorch.hello.torch, python: pytorch.hello.python };
  } catch (error) {
    const message = messageOf(error);
    return { cells: ids.map((id) => erroredCell(scenario, 'pytorch', 'none', id, message)), overheadPct: null, backendLabel: 'pytorch' };
  }
  const device = started.device.description;
  const measured: StrategyMeasurements[] = ids.map((id) => ({ id, record: null, error: null, raised: false, samplesMs: [], note: null }));
  const equivalence = new Map<StrategyId, EquivalenceResult>();
  let deviceBytes: number | null = null;
  let calibration: Calibration | undefined;
  try {
    await onEvent?.({ type: 'backend-started', scenario, started });
    phase("calibrating the backend (the step's products and an elementwise op)");
    calibration = await calibratePytorch(worker, scenario, device);
    await worker.request('setup', { scenario, strategies: ids, referenceStrategy: reference, batchPool: BATCH_POOL });
    const printed = (id: StrategyId) => strategies[id].raises !== undefined;

    if (scenario.measure.equivalenceSteps > 0) {
      phase(`update equivalence in float64 on the cpu (pytorch, ${scenario.measure.equivalenceSteps} steps per strategy)`);
      try {
        const check = await worker.request('equivalence', { steps: scenario.measure.equivalenceSteps });
        for (const line of check.results) {
          const strategy = measured.find(({ id }) => id === line.strategy);
          if (!strategy || printed(strategy.id)) continue;
          if (line.diverged) {
            strategy.error = `diverged at step ${line.diverged.step}: ${line.diverged.detail}`;
            continue;
          }
          if (line.error || line.maxParamDiff === null) {
            strategy.note = `equivalence check failed: ${line.error ? `${line.error.type}: ${line.error.message}` : 'no difference reported'}`;
            continue;
          }
          const isReference = line.strategy === check.reference;
          equivalence.set(strategy.id, {
            strategy: strategy.id,
            reference: check.reference as StrategyId,
            maxParamDiff: line.maxParamDiff,
            equivalence: isReference ? 'reference' : classifyDifference(line.maxParamDiff),
            maxRunningStatsDiff: line.maxRunningStatsDiff ?? null,
          });
        }
      } catch (error) {
        if (error instanceof WorkerGoneError) throw error;
        for (const strategy of measured) strategy.note = `equivalence check failed: ${messageOf(error)}`;
      }
    }

    phase('counting passes, FLOPs and memory (one observed, profiled step per strategy)');
    for (const strategy of measured) {
      try {
        const record = await worker.request('observe', { strategy: strategy.id });
        strategy.record = record;
        if (record.diverged) throw new Error(`diverged at step ${record.diverged.step}: ${record.diverged.detail}`);
        if (record.leakedTensors !== 0) throw new Error(`leaked ${record.leakedTensors} tensors in one step`);
        judge(strategy);
      } catch (error) {
        if (error instanceof WorkerGoneError) throw error;
        judge(strategy, error);
      }
    }

    const { rounds } = scenario.measure;
    for (let round = 0; round < rounds; round++) {
      const timed = measured.filter((strategy) => !strategy.error);
      if (timed.length === 0) break;
      phase(`timing round ${round + 1}/${rounds}`);
      const answer = await worker.request('time', { strategies: timed.map(({ id }) => id), ...roundPlan(scenario.measure, round) });
      deviceBytes = answer.deviceBytes;
      for (const result of answer.results) {
        const strategy = measured.find(({ id }) => id === result.strategy);
        if (!strategy) continue;
        strategy.samplesMs.push(...result.samplesMs);
        if (result.error) strategy.error = `${result.error.type}: ${result.error.message}`;
        else if (result.diverged) strategy.error = `diverged at step ${result.diverged.step}: ${result.diverged.detail}`;
      }
    }
  } catch (error) {
    // The worker is gone (crashed, or stopped after a silence): every cell not failed already fails with its message.
    const message = messageOf(error);
    for (const strategy of measured) strategy.error ??= message;
  } finally {
    await worker.close();
  }
  const deviceMemory = deviceBytes === null ? { bytes: null, isEstimate: null } : { bytes: deviceBytes, isEstimate: false };
  const { cells } = buildCells({ scenario, backend: 'pytorch', device, reference, measured, equivalence, deviceMemory });
  return { cells, ...(calibration ? { calibration } : {}), overheadPct: null, backendLabel: `pytorch (${device})`, versions };
}

/**
 * The worker's calibration at the scenario's largest layer, the same record as tfjs's (and on CUDA the float32
 * peak). A failed request is a calibration with its error; a gone worker is thrown on.
 */
async function calibratePytorch(worker: PytorchWorker, scenario: Scenario, device: string): Promise<Calibration> {
  const layer = calibrationLayer(scenarioLayers(scenario), scenario.batchSize);
  const identity = { scenario: scenario.name, backend: 'pytorch' as const, device };
  try {
    const measured = await calibrateWorker(worker, layer, { budgetMs: DEFAULT_BUDGET_MS, maxRounds: DEFAULT_MAX_ROUNDS, peak: true });
    return { ...identity, ...measured, error: null };
  } catch (error) {
    if (error instanceof WorkerGoneError) throw error;
    return { ...identity, layer, products: [], elementwise: null, rounds: 0, elapsedMs: 0, error: messageOf(error) };
  }
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

