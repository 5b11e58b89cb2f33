/**
 * The quality run: per scenario, on each of its backends, first a short interleaved timing of each strategy's step
 * (as `npm run bench` times it there: src/measure/timing.ts, or the PyTorch worker's `time`), then, seed by seed,
 * every strategy trained from the same initial weights and data order for the scenario's steps, G's samples
 * evaluated at each checkpoint on the seed's fixed noise. The backend's session (src/session/) times and trains,
 * whichever backend it is (a tfjs backend in this process, `pytorch` in its worker); the weights, batches and
 * evaluation noise are the same on every backend, and the metrics are computed here from the samples. A
 * checkpoint's seconds are its step times the strategy's measured ms per step: a per-step time measured
 * interleaved is robust to a machine whose speed drifts (other processes, heat), and the curve's seconds axis is
 * then exact arithmetic on measured numbers, not a wall clock that counts evaluation and noise.
 * Failures are data: a training that fails keeps its checkpoints and its error, and the run goes on; a training
 * whose values become non-finite stops there and is 'diverged' with its step, its later metrics absent.
 */
import { messageOf } from '../../errors.js';
import type { BackendId, StartedBackend } from '../../backends/index.js';
import { unitScenario, type LoadedScenario, type RunPlan, type RunUnit } from '../../run/plan.js';
import type { Regularizer } from '../../scenario/regularizer.js';
import type { Scenario } from '../../scenario/schema.js';
import { RUNNABLE_STRATEGY_IDS, type StrategyId } from '../../strategies/ids.js';
import { runProvenance } from '../../results/run.js';
import { MNIST_CLASSIFIER, type ClassifierConfig } from '../classifier/classifier.js';
import { loadOrTrainClassifier } from '../classifier/classifier-cache.js';
import { createTrainingData, evaluationNoise, scenarioForSeed } from '../data/data.js';
import { createMnistReference, evaluateCheckpoint, scenarioMetrics, type MnistReference } from '../metrics/evaluate.js';
import { loadMnist, MNIST_PIXELS } from '../data/mnist-data.js';
import { divergenceMessage } from '../../measure/divergence.js';
import { mean, relativeMarginOfError } from '../../measure/statistics.js';
import { startSession, timeSetups, timeStrategies, type BackendSession, type StrategyTiming } from '../../session/index.js';
import type { QualityResults, QualityScenarioResult, StepTime, TrainingRun } from '../results.js';

/** Bad input to a quality run (a scenario without a quality section, a strategy that cannot train). */
export class QualityInputError extends Error {
  override name = 'QualityInputError';
}

export interface QualityRunOptions {
  /**
   * What to train, planned as bench plans (src/run/plan.ts): every world size 1 unit, a scenario on one backend, with
   * its strategies (the runnable ones train).
   */
  plan: Pick<RunPlan, 'scenarios' | 'units' | 'backendSetting'>;
  /** The strategies the run was asked for (recorded in its settings); absent: each scenario's own. */
  strategies?: readonly StrategyId[];
  /** The regularizers the run was asked for (recorded in its settings; the plan's units carry them); absent: each scenario's own. */
  regularizer?: readonly Regularizer[];
  /** Overrides every scenario's `quality.seeds`. */
  seeds?: number;
  /** Overrides every scenario's `quality.steps`. */
  steps?: number;
  /** Where the MNIST classifier is cached (default: .cache/ in the repository). */
  classifierCacheDir?: string;
  /** Awaited: a handler may save results before the run goes on. */
  onEvent?: (event: QualityEvent) => void | Promise<void>;
  /** Wall clock in milliseconds (injectable for tests). */
  now?: () => number;
}

/** What a scenario's quality settings come to after the run's overrides. */
export interface QualityPlan {
  strategies: StrategyId[];
  seeds: number;
  steps: number;
  evaluateEvery: number;
  samples: number;
  /** Ascending: 0, evaluateEvery, 2 evaluateEvery, ..., steps. */
  checkpoints: number[];
}

export type QualityEvent =
  | {
      type: 'scenario-start';
      /** The scenario's index and the number of scenarios. */
      index: number;
      count: number;
      scenario: Scenario;
      backend: BackendId;
      /** The plan's unit: the scenario on this backend, under this regularizer. */
      unit: RunUnit;
      /** The unit's index among the scenario's units, and their number. */
      backendIndex: number;
      backendCount: number;
      /** How many backends and how many regularizers the scenario's units span (progress names each where several). */
      backends: number;
      regularizers: number;
      plan: QualityPlan;
    }
  | { type: 'phase'; scenario: Scenario; phase: string }
  | { type: 'backend-started'; scenario: Scenario; started: StartedBackend }
  | { type: 'training-start'; scenario: Scenario; seed: number; strategy: StrategyId; index: number; total: number }
  | { type: 'training-end'; scenario: Scenario; run: TrainingRun; index: number; total: number }
  | {
      type: 'scenario-end';
      index: number;
      count: number;
      scenario: Scenario;
      backendIndex: number;
      backendCount: number;
      result: QualityScenarioResult;
      results: QualityResults;
    };

/** What the pictures are drawn from: seed 0's last checkpoint per strategy (all points; the first 100 digits). */
export type FinalSamples = Map<StrategyId, Float32Array>;

export interface QualityRun {
  results: QualityResults;
  /** Per scenario, backend and regularizer: the key is `samplesKey(result)`. */
  finalSamples: Map<string, FinalSamples>;
}

/** The key of a result's final samples: its scenario on its backend (as the result records it) under its regularizer. */
export function samplesKey({ scenario, backend, regularizer }: Pick<QualityScenarioResult, 'scenario' | 'backend' | 'regularizer'>): string {
  return `${scenario} on ${backend} with ${regularizer}`;
}

/** Digits kept per strategy for the picture. */
export const DIGITS_PER_PICTURE = 100;

/** Checks that every scenario can run a quality run; throws naming the file otherwise. */
export function checkQualityInput(options: { scenarios: readonly LoadedScenario[]; strategies?: readonly StrategyId[] }): void {
  for (const { scenario, file } of options.scenarios) {
    if (!scenario.quality) {
      throw new QualityInputError(`${file}: has no quality section; npm run quality needs one (steps, evaluateEvery, threshold: see docs/quality.md)`);
    }
  }
  for (const id of options.strategies ?? []) {
    if (!(RUNNABLE_STRATEGY_IDS as readonly string[]).includes(id)) {
      throw new QualityInputError(`strategy '${id}' raises by design (the post's code as printed) and cannot train`);
    }
  }
}

/** The training plan of one unit (a scenario on a backend, with its strategies) under the run's overrides. */
export function planFor(scenario: Scenario, options: Pick<QualityRunOptions, 'strategies' | 'seeds' | 'steps'>): QualityPlan {
  const quality = scenario.quality!;
  const steps = options.steps ?? quality.steps;
  const evaluateEvery = Math.min(quality.evaluateEvery, steps);
  const checkpoints: number[] = [];
  for (let step = 0; step < steps; step += evaluateEvery) checkpoints.push(step);
  checkpoints.push(steps);
  const runnable = (id: StrategyId) => (RUNNABLE_STRATEGY_IDS as readonly StrategyId[]).includes(id);
  return {
    strategies: [...(options.strategies ?? scenario.strategies)].filter(runnable),
    seeds: options.seeds ?? quality.seeds,
    steps,
    evaluateEvery,
    samples: quality.samples,
    checkpoints,
  };
}

/** Runs every scenario; results are complete for each scenario when its `scenario-end` event fires. */
export async function runQuality(options: QualityRunOptions): Promise<QualityRun> {
  checkQualityInput({ scenarios: options.plan.scenarios, strategies: options.strategies });
  const { onEvent, now = () => performance.now() } = options;
  const scenarios = options.plan.scenarios;
  const results: QualityResults = {
    ...runProvenance(),
    settings: {
      backend: options.plan.backendSetting,
      strategies: options.strategies ? [...options.strategies] : 'per scenario',
      regularizer: options.regularizer ? [...options.regularizer] : 'per scenario',
      seeds: options.seeds ?? 'per scenario',
      steps: options.steps ?? 'per scenario',
    },
    scenarios: [],
  };
  const finalSamples = new Map<string, FinalSamples>();
  for (const [index, loaded] of scenarios.entries()) {
    const units = options.plan.units.filter((unit) => unit.loaded === loaded && unit.worldSize === 1);
    const spans = { backends: new Set(units.map((unit) => unit.backend)).size, regularizers: new Set(units.map((unit) => unit.regularizer)).size };
    // A backend's regularizers are timed together, in the session of its first unit (stepTimesTogether).
    const together = new Map<BackendId, TimedTogether>();
    for (const unit of units) {
      const scenario = unitScenario(unit);
      const entry = together.get(unit.backend) ?? { setups: [], times: null };
      entry.setups.push({ regularizer: unit.regularizer, scenario, strategies: planFor(scenario, { ...options, strategies: unit.strategies }).strategies });
      together.set(unit.backend, entry);
    }
    for (const [backendIndex, unit] of units.entries()) {
      const { backend } = unit;
      // The unit's regularizer (--regularizer's, or the scenario's own) is the scenario every session trains.
      const scenario = unitScenario(unit);
      const plan = planFor(scenario, { ...options, strategies: unit.strategies });
      const where = { index, count: scenarios.length, scenario, backendIndex, backendCount: units.length };
      await onEvent?.({ type: 'scenario-start', ...where, ...spans, backend, unit, plan });
      const samples: FinalSamples = new Map();
      const result = await runScenario({ ...loaded, scenario }, backend, plan, samples, options, now, results.versions, together.get(backend)!);
      results.scenarios.push(result);
      finalSamples.set(samplesKey(result), samples);
      await onEvent?.({ type: 'scenario-end', ...where, result, results });
    }
  }
  return { results, finalSamples };
}

async function runScenario(
  { scenario, file }: LoadedScenario,
  backend: BackendId,
  plan: QualityPlan,
  finalSamples: FinalSamples,
  options: QualityRunOptions,
  now: () => number,
  versions: QualityResults['versions'],
  together: TimedTogether,
): Promise<QualityScenarioResult> {
  const started = now();
  const quality = scenario.quality!;
  const onEvent = options.onEvent;
  const phase = (text: string) => onEvent?.({ type: 'phase', scenario, phase: text });
  const result: QualityScenarioResult = {
    scenario: scenario.name,
    description: scenario.description,
    file,
    source: scenario.data.source,
    backend,
    regularizer: scenario.regularizer.kind,
    device: 'none',
    error: null,
    strategies: plan.strategies,
    steps: plan.steps,
    seeds: plan.seeds,
    evaluateEvery: plan.evaluateEvery,
    samples: plan.samples,
    metrics: [...scenarioMetrics(scenario)],
    threshold: { ...quality.threshold },
    stepTimes: [],
    timedWith: [scenario.regularizer.kind],
    classifier: null,
    runs: [],
    wallSeconds: 0,
  };
  let mnist: MnistReference | undefined;
  let session: BackendSession | undefined;
  try {
    if (scenario.data.source === 'mnist') {
      const config: ClassifierConfig = quality.classifier ?? MNIST_CLASSIFIER;
      const cached = await loadOrTrainClassifier({
        config,
        train: loadMnist().train,
        cacheDir: options.classifierCacheDir,
        onEpoch: (epoch, epochs) => phase(`trained the MNIST classifier's epoch ${epoch}/${epochs} (once; cached after)`),
      });
      session = await startAndRecord();
      mnist = await createMnistReference(cached.trained, loadMnist().heldOut);
      result.classifier = {
        config,
        trainedOn: cached.trainedOn,
        heldOutAccuracy: mnist.heldOutAccuracy,
        heldOutInceptionScore: mnist.heldOutInceptionScore,
        heldOutCount: mnist.heldOutCount,
        file: cached.file,
        trainedNow: cached.trainedNow,
        trainingSeconds: cached.trainingSeconds,
      };
    } else {
      session = await startAndRecord();
    }
  } catch (error) {
    result.error = messageOf(error);
    result.wallSeconds = (now() - started) / 1000;
    await session?.close();
    return result;
  }

  async function startAndRecord(): Promise<BackendSession> {
    const opened = await startSession(backend);
    result.backend = opened.started.provider.id;
    result.device = opened.started.device.description;
    Object.assign(versions, opened.versions);
    await onEvent?.({ type: 'backend-started', scenario, started: opened.started });
    return opened;
  }
  try {
    const timed = await stepTimesTogether(session, scenario, plan.strategies, together, phase);
    result.stepTimes = timed.stepTimes;
    result.timedWith = timed.timedWith;
    const total = plan.seeds * plan.strategies.length;
    let index = 0;
    for (let seed = 0; seed < plan.seeds; seed++) {
      const data = createTrainingData(scenario, seed);
      const noise = evaluationNoise(scenario, seed, plan.samples);
      for (const strategy of plan.strategies) {
        await onEvent?.({ type: 'training-start', scenario, seed, strategy, index, total });
        const run = await trainOne(session, scenario, plan, { seed, strategy, data, noise }, result.stepTimes, mnist, (samples) => {
          if (seed === 0) finalSamples.set(strategy, keepForPicture(scenario, samples));
        });
        result.runs.push(run);
        await onEvent?.({ type: 'training-end', scenario, run, index, total });
        index++;
      }
    }
  } finally {
    mnist?.model.dispose();
    await session.close();
    result.wallSeconds = (now() - started) / 1000;
  }
  return result;
}

/** What the pictures need of seed 0's last samples: every 2-D point, the first 100 digits, nothing for Dirac. */
function keepForPicture(scenario: Scenario, samples: Float32Array): Float32Array {
  if (scenario.data.source === 'mnist') return samples.slice(0, DIGITS_PER_PICTURE * MNIST_PIXELS);
  return samples.slice();
}

/** A strategy's step time from its timed samples; a strategy that failed has no mean (one that diverged keeps its). */
export function stepTimeOf(strategy: StrategyId, samplesMs: readonly number[], error: string | null): StepTime {
  const timed = samplesMs.length > 0 && !error;
  return {
    strategy,
    meanMs: timed ? mean(samplesMs) : null,
    rmePct: timed ? relativeMarginOfError(samplesMs) : null,
    samples: samplesMs.length,
    error,
  };
}

/** A backend's units of one scenario, each its regularizer's setup, and their step times once timed together. */
interface TimedTogether {
  setups: { regularizer: Regularizer; scenario: Scenario; strategies: StrategyId[] }[];
  times: Map<Regularizer, StepTime[]> | null;
}

/**
 * A unit's step times. Where its backend has several regularizers, the first unit to ask times them all in the same
 * interleaved rounds in its session (timeSetups: timed one after the other, a regularizer's step could come out
 * faster than no regularizer's), and the later units take theirs from that timing; a unit whose regularizer has no
 * timed strategy there (its setup failed, the session died) is timed alone in its own session, as with one regularizer.
 */
async function stepTimesTogether(
  session: BackendSession,
  scenario: Scenario,
  ids: readonly StrategyId[],
  together: TimedTogether,
  phase: (text: string) => unknown,
): Promise<{ stepTimes: StepTime[]; timedWith: Regularizer[] }> {
  const kind = scenario.regularizer.kind;
  const { rounds } = scenario.measure;
  if (together.setups.length > 1) {
    const names = together.setups.map((setup) => setup.regularizer);
    if (!together.times) {
      phase(`timing each strategy's step under ${names.join(', ')}, in the same interleaved rounds (${rounds} rounds)`);
      together.times = await timeRegularizers(session, together.setups, scenario.measure);
    } else {
      phase(`step times from the timing of ${names.join(', ')} together`);
    }
    const times = together.times.get(kind);
    if (times?.some((time) => time.meanMs !== null)) return { stepTimes: times, timedWith: names };
  }
  phase(`timing each strategy's step, interleaved (${rounds} rounds)`);
  return { stepTimes: await timeSteps(session, scenario, ids), timedWith: [kind] };
}

/** Every regularizer's strategies timed in the same rounds, each set up on seed 0's GAN and first batches. */
async function timeRegularizers(
  session: BackendSession,
  setups: TimedTogether['setups'],
  measure: Scenario['measure'],
): Promise<Map<Regularizer, StepTime[]>> {
  const timings = await timeSetups(
    setups.map(({ regularizer, scenario, strategies }) => ({
      key: regularizer,
      ids: strategies,
      prepare: () => session.prepare(scenarioForSeed(scenario, 0), strategies, { training: createTrainingData(scenario, 0) }),
    })),
    measure,
  );
  return new Map(setups.map(({ regularizer, strategies }) => [regularizer, strategies.map((id) => stepTimeFrom(id, timings.get(regularizer)!.get(id)!))]));
}

/** A strategy's step time from its timing. */
function stepTimeFrom(id: StrategyId, { samplesMs, error, diverged }: StrategyTiming): StepTime {
  return { ...stepTimeOf(id, samplesMs, error), ...(diverged ? { diverged } : {}) };
}

/**
 * Each strategy's step time: the scenario's interleaved timing rounds, on seed 0's GAN and first batches. A
 * session that cannot prepare them fails every strategy's time with its message.
 */
async function timeSteps(session: BackendSession, scenario: Scenario, ids: readonly StrategyId[]): Promise<StepTime[]> {
  try {
    const prepared = await session.prepare(scenarioForSeed(scenario, 0), ids, { training: createTrainingData(scenario, 0) });
    try {
      const timings = await timeStrategies(prepared, ids, scenario.measure);
      return ids.map((id) => stepTimeFrom(id, timings.get(id)!));
    } finally {
      await prepared.dispose();
    }
  } catch (error) {
    return ids.map((id) => stepTimeOf(id, [], messageOf(error)));
  }
}

async function trainOne(
  session: BackendSession,
  scenario: Scenario,
  plan: QualityPlan,
  { seed, strategy, data, noise }: { seed: number; strategy: StrategyId; data: ReturnType<typeof createTrainingData>; noise: Float32Array },
  stepTimes: readonly StepTime[],
  mnist: MnistReference | undefined,
  onLastSamples: (samples: Float32Array) => void,
): Promise<TrainingRun> {
  const curve: TrainingRun['curve'] = [];
  const time = stepTimes.find((entry) => entry.strategy === strategy);
  if (!time || time.meanMs === null) {
    return { strategy, seed, status: 'errored', error: `its step could not be timed: ${time?.error ?? 'not timed'}`, curve };
  }
  const msPerStep = time.meanMs;
  try {
    const { diverged } = await session.train(
      {
        scenario: scenarioForSeed(scenario, seed),
        strategy,
        steps: plan.steps,
        checkpoints: plan.checkpoints,
        data,
        evaluationNoise: noise,
        withParameters: scenario.data.source === 'dirac',
      },
      async (checkpoint) => {
        const values = await evaluateCheckpoint(scenario, checkpoint, mnist);
        curve.push({ step: checkpoint.step, seconds: (checkpoint.step * msPerStep) / 1000, values });
        if (checkpoint.step === plan.steps) onLastSamples(checkpoint.samples);
      },
    );
    if (diverged) return { strategy, seed, status: 'diverged', error: divergenceMessage(diverged), diverged, curve };
    return { strategy, seed, status: 'ok', error: null, curve };
  } catch (error) {
    return { strategy, seed, status: 'errored', error: messageOf(error), curve };
  }
}
