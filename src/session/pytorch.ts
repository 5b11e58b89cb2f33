/**
 * The session on the pytorch backend, through one Python worker (src/backends/pytorch/, docs/pytorch.md): every
 * request the harness sends the worker is sent from this file. The calibration, the float64 equivalence check,
 * the observed step and each timing round are one request each; a quality training is one `train` request whose
 * checkpoints stream back. TypeScript's own work beside the worker (the quality run's initial weights and its
 * evaluation) runs on tfjs's wasm backend where it starts, else on cpu.
 *
 * A failed request is data for the strategy it concerns; a worker that is gone (crashed, or stopped after a
 * silence) is thrown on: the session is over, and its caller fails what is left.
 */
import { freemem } from 'node:os';
import { wasmBackend } from '../backends/wasm.js';
import { pytorchBackend, startPytorchWorker, WorkerGoneError, type PytorchWorker } from '../backends/pytorch/index.js';
import { PYTHON_VARIABLE } from '../backends/pytorch/python.js';
import type { TrainParams, TrainProgress, TrainResult, WorkerFailure } from '../backends/pytorch/protocol.js';
import { encodeArray } from '../backends/pytorch/arrays.js';
import { messageOf } from '../errors.js';
import { calibratePytorch } from '../backends/pytorch/calibration.js';
import { WorkerRequestError } from '../backends/pytorch/client.js';
import { calibrationLayer, DEFAULT_BUDGET_MS, DEFAULT_MAX_ROUNDS, type Calibration } from '../measure/calibration.js';
import { divergenceIn, type Divergence } from '../measure/divergence.js';
import { classifyDifference } from '../measure/equivalence.js';
import { networkShapes } from '../models/network-shapes.js';
import type { Scenario } from '../scenario/schema.js';
import type { StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import { referenceStrategy } from '../strategies/reference.js';
import { tf } from '../tf.js';
import { pytorchMisfit, WORKER_BUDGET_VARIABLE } from './pytorch-footprint.js';
import { encodeTrainingData, harnessInitialWeights, toCheckpoint } from './pytorch-training.js';
import { EAGER_FP32, type BackendSession, type Checkpoint, type EquivalenceOutcome, type PreparedStrategies, type RoundOutcome, type StepVariant, type VariantCheck } from './session.js';
import { BATCH_POOL } from './shared.js';

/** Makes the tfjs backend that evaluates (and builds the initial weights) active: wasm, else cpu. */
async function startEvaluationBackend(): Promise<void> {
  try {
    await wasmBackend.start();
  } catch {
    await tf.setBackend('cpu');
  }
}

const failureText = (failure: WorkerFailure) => `${failure.type}: ${failure.message}`;

/** A line's divergence where the worker reports one (the protocol's `diverged`). */
function divergedOf(line: { diverged: Divergence | null }): Divergence | null {
  return line.diverged;
}

/** A failed request is data; a gone worker ends the session. */
function rethrowIfGone(error: unknown): void {
  if (error instanceof WorkerGoneError) throw error;
}

/** Starts a worker (throws BackendUnavailableError without a Python that has PyTorch). */
export async function startPytorchSession(options: { python?: string; variant?: StepVariant } = {}): Promise<BackendSession> {
  const variant = options.variant ?? EAGER_FP32;
  // --python: that interpreter, as if GAN_BENCH_PYTHON named it. The worker limits its own address space to what is
  // free now (gan_worker/memory_limit.py).
  const env = { ...process.env, [WORKER_BUDGET_VARIABLE]: String(freemem()), ...(options.python === undefined ? {} : { [PYTHON_VARIABLE]: options.python }) };
  const pytorch = await startPytorchWorker({ env });
  const { worker } = pytorch;
  const isDefaultVariant = variant.compile === EAGER_FP32.compile && variant.precision === EAGER_FP32.precision;
  // Every strategy's step in observe, time and checkVariant runs under the variant (gan_worker/variant.py); a PyTorch
  // or device that cannot run it fails each observe with the reason: errored cells, the run goes on.
  const variantParams = isDefaultVariant ? {} : { variant: { compile: variant.compile, precision: variant.precision } };
  // The scenario the worker's GANs are set up for under the variant (prepare's setup), which checkVariant reuses.
  let preparedScenario: Scenario | null = null;
  try {
    await startEvaluationBackend();
  } catch (error) {
    await worker.close();
    throw error;
  }
  const device = pytorch.device.description;
  return {
    started: { provider: pytorchBackend, device: pytorch.device, passedOver: [] },
    label: `pytorch (${device})`,
    versions: { torch: pytorch.hello.torch, python: pytorch.hello.python },
    misfit: (scenario, ids) => pytorchMisfit(scenario, ids.length, pytorch.hello.device),
    async calibrate(scenario, phase): Promise<Calibration> {
      await phase("calibrating the backend (the step's products and an elementwise op)");
      const layer = calibrationLayer(networkShapes(scenario), scenario.batchSize);
      const identity = { scenario: scenario.name, backend: 'pytorch' as const, device };
      try {
        const measured = await calibratePytorch(worker, layer, { budgetMs: DEFAULT_BUDGET_MS, maxRounds: DEFAULT_MAX_ROUNDS, peak: true });
        return { ...identity, ...measured, error: null };
      } catch (error) {
        rethrowIfGone(error);
        return { ...identity, layer, products: [], elementwise: null, rounds: 0, elapsedMs: 0, error: messageOf(error) };
      }
    },
    async checkEquivalence(scenario, ids, reference, steps, phase) {
      const outcomes = new Map<StrategyId, EquivalenceOutcome>();
      if (steps === 0) return outcomes;
      await phase(`update equivalence in float64 on the cpu (pytorch, ${steps} steps per strategy)`);
      try {
        await worker.request('setup', { scenario, strategies: ids, referenceStrategy: reference, batchPool: BATCH_POOL });
        const check = await worker.request('equivalence', { steps });
        for (const line of check.results) {
          const id = line.strategy as StrategyId;
          if (!ids.includes(id) || strategies[id].raises !== undefined) continue;
          const diverged = divergedOf(line);
          if (diverged) outcomes.set(id, { result: null, note: null, diverged });
          else if (line.error || line.maxParamDiff === null || !Number.isFinite(line.maxParamDiff)) {
            const why = line.error ? failureText(line.error) : line.maxParamDiff === null ? 'no difference reported' : `the difference is ${line.maxParamDiff}`;
            outcomes.set(id, { result: null, note: `equivalence check failed: ${why}`, diverged: null });
          } else {
            const reference = check.reference as StrategyId;
            const equivalence = line.strategy === check.reference ? 'reference' : classifyDifference(line.maxParamDiff);
            const result = { strategy: id, reference, maxParamDiff: line.maxParamDiff, equivalence, maxRunningStatsDiff: line.maxRunningStatsDiff ?? null } as const;
            outcomes.set(id, { result, note: null, diverged: null });
          }
        }
      } catch (error) {
        rethrowIfGone(error);
        for (const id of ids) outcomes.set(id, { result: null, note: `equivalence check failed: ${messageOf(error)}`, diverged: null });
      }
      return outcomes;
    },
    async prepare(scenario, ids, { training } = {}): Promise<PreparedStrategies> {
      // The reference matters to the equivalence check only; setup names it whatever the session does next.
      const pool = { referenceStrategy: referenceStrategy(ids), batchPool: BATCH_POOL };
      if (training) {
        const data = encodeTrainingData(scenario, training, BATCH_POOL);
        await worker.request('setup', { scenario, strategies: ids, ...pool, ...variantParams, training: { data, weights: await harnessInitialWeights(scenario) } });
      } else {
        await worker.request('setup', { scenario, strategies: ids, ...pool, ...variantParams });
      }
      preparedScenario = scenario;
      let deviceBytes: number | null = null;
      return {
        async observe(id) {
          try {
            const { variant: measured, ...record } = await worker.request('observe', { strategy: id });
            return { record, diverged: divergedOf(record), ...(measured ? { variant: measured } : {}) };
          } catch (error) {
            rethrowIfGone(error);
            // A step PyTorch refused on non-finite values leaves no record: the failure says where it diverged.
            const failure = error instanceof WorkerRequestError ? error.failure : null;
            const diverged = failure?.diverged ?? null;
            const measured = failure?.variant ? { variant: failure.variant } : {};
            return diverged ? { record: null, diverged, ...measured } : { record: null, error, diverged: null, ...measured };
          }
        },
        async timeRound(timed, plan) {
          const answer = await worker.request('time', { strategies: timed, ...plan });
          deviceBytes = answer.deviceBytes;
          const outcomes = new Map<StrategyId, RoundOutcome>();
          for (const line of answer.results) {
            const id = line.strategy as StrategyId;
            const measured = line.variant && Object.keys(line.variant).length > 0 ? { variant: line.variant } : {};
            outcomes.set(id, { samplesMs: line.samplesMs, error: line.error ? failureText(line.error) : null, diverged: divergedOf(line), ...measured });
          }
          return outcomes;
        },
        deviceMemory: () => (deviceBytes === null ? { bytes: null, isEstimate: null } : { bytes: deviceBytes, isEstimate: false }),
        harnessOverheadMs: async () => null,
        async dispose() {},
      };
    },
    ...(isDefaultVariant
      ? {}
      : {
          async checkVariant(scenario, ids, steps) {
            const checks = new Map<StrategyId, VariantCheck>();
            if (steps === 0 || ids.length === 0) return checks;
            try {
              if (preparedScenario !== scenario) {
                await worker.request('setup', { scenario, strategies: ids, referenceStrategy: referenceStrategy(ids), batchPool: BATCH_POOL, ...variantParams });
                preparedScenario = scenario;
              }
              const answer = await worker.request('checkVariant', { steps, strategies: ids });
              for (const line of answer.results) checks.set(line.strategy as StrategyId, { maxParamDiff: line.maxParamDiff, error: line.error });
            } catch (error) {
              rethrowIfGone(error);
              for (const id of ids) checks.set(id, { maxParamDiff: null, error: messageOf(error) });
            }
            return checks;
          },
        }),
    train: (request, onCheckpoint) => trainInWorker(worker, request, onCheckpoint),
    close: () => worker.close(),
  };
}

/**
 * A training through the worker. The worker trains on while TypeScript evaluates a checkpoint (handed to
 * `onCheckpoint` in order, each awaited before the next); a training that fails keeps the checkpoints it reached,
 * evaluated, and then rejects with the worker's error. A checkpoint whose samples or parameters are not finite
 * is the training's divergence: it and every later one are not handed on.
 */
export async function trainInWorker(
  worker: PytorchWorker,
  request: Parameters<BackendSession['train']>[0],
  onCheckpoint: (checkpoint: Checkpoint) => void | Promise<void>,
): Promise<{ diverged: Divergence | null }> {
  const { scenario, strategy, steps, checkpoints, data, evaluationNoise, withParameters } = request;
  const params: TrainParams = {
    scenario,
    strategy,
    steps,
    checkpoints,
    data: encodeTrainingData(scenario, data, steps),
    evaluationNoise: encodeArray(evaluationNoise),
    withParameters,
    weights: await harnessInitialWeights(scenario),
  };
  let evaluated: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;
  let diverged: Divergence | null = null;
  const answered = worker.request('train', params, {
    onProgress: (line) => {
      const progress = line as TrainProgress;
      if (progress.phase !== 'checkpoint') return;
      evaluated = evaluated
        .then(async () => {
          if (failure || diverged) return;
          const checkpoint = toCheckpoint(progress);
          diverged = checkpointDivergence(checkpoint);
          if (!diverged) await onCheckpoint(checkpoint);
        })
        .catch((error: unknown) => {
          failure ??= { error };
        });
    },
  });
  let answer: TrainResult;
  try {
    answer = await answered;
  } finally {
    await evaluated;
  }
  if (failure) throw (failure as { error: unknown }).error;
  return { diverged: divergedOf(answer) ?? diverged };
}

/** Where a checkpoint's parameters or samples are not finite. */
function checkpointDivergence({ step, samples, parameters }: Checkpoint): Divergence | null {
  if (parameters) {
    for (const [network, arrays] of Object.entries(parameters)) {
      for (const values of arrays) {
        const diverged = divergenceIn(values, `${network} parameters`, step);
        if (diverged) return diverged;
      }
    }
  }
  return divergenceIn(samples, "G's samples", step);
}
