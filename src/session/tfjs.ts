/**
 * The session on a TensorFlow.js backend, in this process (src/session/session.ts): the backend made active, Adam
 * in the implementation PyTorch would pick there, the equivalence check on cpu (deterministic kernels; once per
 * scenario for every tfjs backend of a run), the step observed by observeStep, one tinybench round per timeRound,
 * and the training of src/session/tfjs-training.ts. Divergence checks read the parameters after the observed
 * step and after each round, outside the timed region.
 */
import { dispatchesGpuKernels, startBackend, type BackendId, type StartedBackend } from '../backends/index.js';
import { messageOf } from '../errors.js';
import { calibrateBackend } from './tfjs-calibration.js';
import { backendCapacity } from '../backends/capacity.js';
import { parametersDivergence } from '../measure/divergence.js';
import { checkEquivalenceStates } from '../measure/equivalence.js';
import { estimateFootprint, footprintProblem } from '../measure/footprint.js';
import { observeStep } from '../measure/observe.js';
import { recordObservedStep } from '../measure/record.js';
import { measureHarnessOverhead, timeRound } from '../measure/timing.js';
import type { AdamImplementation } from '../models/adam.js';
import { createBatches, createGan, disposeBatches, type Gan } from '../models/gan.js';
import type { Scenario } from '../scenario/schema.js';
import { createStepRunner, type StepRunner } from '../models/step-runner.js';
import type { StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import type { Batch } from '../strategies/strategy.js';
import { tf } from '../tf.js';
import type { BackendSession, EquivalenceOutcome, PreparedStrategies, PrepareOptions, RoundOutcome } from './session.js';
import { BATCH_POOL, type SharedChecks } from './shared.js';
import { networksOf, toBatch, trainOnTfjs } from './tfjs-training.js';

/** Starts `backend` (a tfjs one, or `auto`) and makes it TensorFlow.js's active backend. */
export async function startTfjsSession(backend: Exclude<BackendId, 'pytorch'>, shared: SharedChecks): Promise<BackendSession> {
  const started: StartedBackend = await startBackend(backend);
  const { provider, device } = started;
  const adam: AdamImplementation = dispatchesGpuKernels(provider.id) ? 'foreach' : 'for-loop';
  return {
    started,
    label: `${provider.id} (${device.description})`,
    versions: {},
    misfit: (scenario, ids) => footprintProblem(estimateFootprint(scenario, { gans: ids.length, batches: BATCH_POOL, adam }), backendCapacity(provider.id)),
    async calibrate(scenario, phase) {
      await phase("calibrating the backend (the step's products and an elementwise kernel)");
      return calibrateBackend(scenario, provider, device);
    },
    checkEquivalence(scenario, ids, reference, steps, phase) {
      let check = shared.tfjsEquivalence.get(scenario);
      if (!check) {
        check = equivalenceOnCpu(scenario, ids, reference, steps, phase);
        shared.tfjsEquivalence.set(scenario, check);
      }
      return check;
    },
    prepare: (scenario, ids, options) => prepareOnTfjs(scenario, ids, adam, started, options),
    train: (request, onCheckpoint) => trainOnTfjs(request, adam, onCheckpoint),
    async close() {},
  };
}

/** The update-equivalence check on cpu, the active backend restored after it. */
async function equivalenceOnCpu(
  scenario: Scenario,
  ids: readonly StrategyId[],
  reference: StrategyId,
  steps: number,
  phase: (text: string) => void | Promise<void>,
): Promise<Map<StrategyId, EquivalenceOutcome>> {
  const outcomes = new Map<StrategyId, EquivalenceOutcome>();
  if (steps === 0) return outcomes;
  await phase(`update equivalence on cpu (${steps} steps per strategy)`);
  const active = tf.getBackend();
  try {
    const misfit = footprintProblem(estimateFootprint(scenario, { gans: 1, batches: steps, adam: 'for-loop' }), backendCapacity('cpu'));
    if (misfit) throw new Error(misfit);
    await tf.setBackend('cpu');
    const check = await checkEquivalenceStates(scenario, ids, reference, steps);
    for (const result of check.results) outcomes.set(result.strategy, { result, note: null, diverged: null });
    for (const [id, diverged] of check.diverged) outcomes.set(id, { result: null, note: null, diverged });
    for (const [id, message] of check.failed) outcomes.set(id, { result: null, note: `equivalence check failed: ${message}`, diverged: null });
  } catch (error) {
    for (const id of ids) outcomes.set(id, { result: null, note: `equivalence check failed: ${messageOf(error)}`, diverged: null });
  } finally {
    if (active && tf.getBackend() !== active) await tf.setBackend(active);
  }
  return outcomes;
}

interface Trainee {
  gan: Gan;
  run: StepRunner;
  /** Training steps taken so far (observed, warm-up and timed ones alike): where a divergence is found. */
  steps: number;
  next: number;
}

async function prepareOnTfjs(
  scenario: Scenario,
  ids: readonly StrategyId[],
  adam: AdamImplementation,
  { provider, device }: StartedBackend,
  { training }: PrepareOptions = {},
): Promise<PreparedStrategies> {
  // On a device that computes nothing (Dawn's null device) the values are meaningless: nothing diverges there.
  const divergence = (gan: Gan, steps: number) => (device.computesNothing ? Promise.resolve(null) : parametersDivergence(networksOf(gan), steps));
  const batches: Batch[] = [];
  const trainees = new Map<StrategyId, Trainee>();
  const dispose = () => {
    for (const trainee of trainees.values()) trainee.gan.dispose();
    disposeBatches(batches);
  };
  try {
    if (training) {
      const labels = { valid: tf.ones([scenario.batchSize, 1]), fake: tf.zeros([scenario.batchSize, 1]) };
      for (let step = 0; step < BATCH_POOL; step++) {
        batches.push(toBatch(training.batch(step), scenario.generator.latentSize, scenario.generator.outputSize, labels));
      }
    } else {
      batches.push(...createBatches(scenario, BATCH_POOL));
    }
    for (const id of ids) {
      if (trainees.has(id)) continue;
      const gan = createGan(scenario, adam);
      trainees.set(id, { gan, run: createStepRunner(gan), steps: 0, next: 0 });
    }
  } catch (error) {
    dispose();
    throw new Error(`could not allocate the models and batches: ${messageOf(error)}`);
  }
  const trainee = (id: StrategyId) => trainees.get(id)!;
  return {
    async observe(id) {
      const { gan } = trainee(id);
      try {
        const record = recordObservedStep(await observeStep(gan, strategies[id], batches[0]!, batches[1]!, provider));
        trainee(id).steps += 2;
        return { record, diverged: await divergence(gan, trainee(id).steps) };
      } catch (error) {
        return { record: null, error, diverged: null };
      }
    },
    async timeRound(timed, plan) {
      const tasks = timed.map((id) => {
        const state = trainee(id);
        return {
          id,
          step: () => {
            state.steps++;
            state.run(strategies[id], batches[state.next++ % batches.length]!);
          },
        };
      });
      const timings = await timeRound(tasks, plan, { sync: provider.sync });
      const outcomes = new Map<StrategyId, RoundOutcome>();
      for (const id of timed) {
        const timing = timings.get(id);
        const error = timing?.error ? messageOf(timing.error) : null;
        const diverged = error ? null : await divergence(trainee(id).gan, trainee(id).steps);
        outcomes.set(id, { samplesMs: timing?.samplesMs ?? [], error, diverged });
      }
      return outcomes;
    },
    deviceMemory() {
      const memory = provider.memory();
      return memory.deviceBytes === undefined ? { bytes: null, isEstimate: null } : { bytes: memory.deviceBytes, isEstimate: memory.isEstimate };
    },
    harnessOverheadMs: () => measureHarnessOverhead(provider.sync),
    async dispose() {
      dispose();
    },
  };
}
