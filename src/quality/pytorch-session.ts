/**
 * A quality run on the pytorch backend, through one Python worker per scenario (src/backends/pytorch/): the step
 * timing through the worker's `setup` (given the quality run's GANs and batches) and `time` operations, round by
 * round as `npm run bench` times there (roundPlan), and the trainer of src/quality/pytorch-trainer.ts. TypeScript
 * still evaluates the samples, on tfjs's wasm backend where it starts (the MNIST classifier's own), else on cpu.
 */
import { wasmBackend } from '../backends/wasm.js';
import { pytorchBackend, startPytorchWorker } from '../backends/pytorch/index.js';
import { roundPlan } from '../measure/timing.js';
import type { StrategyId } from '../strategies/ids.js';
import { tf } from '../tf.js';
import { createTrainingData, scenarioForSeed } from './data.js';
import { createPytorchTrainer, encodeTrainingData, harnessInitialWeights } from './pytorch-trainer.js';
import { stepTimeOf, TIMING_BATCHES, type QualitySession } from './session.js';

/** Makes the tfjs backend that evaluates (and builds the initial weights) active: wasm, else cpu. */
async function startEvaluationBackend(): Promise<void> {
  try {
    await wasmBackend.start();
  } catch {
    await tf.setBackend('cpu');
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Starts a worker (throws BackendUnavailableError without a Python that has PyTorch). */
export async function startPytorchSession(): Promise<QualitySession> {
  const pytorch = await startPytorchWorker();
  const { worker } = pytorch;
  try {
    await startEvaluationBackend();
  } catch (error) {
    await worker.close();
    throw error;
  }
  return {
    started: { provider: pytorchBackend, device: pytorch.device, passedOver: [] },
    versions: { torch: pytorch.hello.torch, python: pytorch.hello.python },
    trainer: createPytorchTrainer(worker),
    async timeSteps(scenario, ids) {
      const samples = new Map<StrategyId, number[]>(ids.map((id) => [id, []]));
      const errors = new Map<StrategyId, string>();
      try {
        const seeded = scenarioForSeed(scenario, 0);
        const data = encodeTrainingData(seeded, createTrainingData(scenario, 0), TIMING_BATCHES);
        await worker.request('setup', {
          scenario: seeded,
          strategies: ids,
          referenceStrategy: ids[0]!,
          batchPool: TIMING_BATCHES,
          training: { data, weights: await harnessInitialWeights(seeded) },
        });
        for (let round = 0; round < scenario.measure.rounds; round++) {
          const timed = ids.filter((id) => !errors.has(id));
          if (timed.length === 0) break;
          const answer = await worker.request('time', { strategies: timed, ...roundPlan(scenario.measure, round) });
          for (const result of answer.results) {
            samples.get(result.strategy as StrategyId)?.push(...result.samplesMs);
            if (result.error) errors.set(result.strategy as StrategyId, `${result.error.type}: ${result.error.message}`);
            else if (result.diverged) errors.set(result.strategy as StrategyId, `diverged at step ${result.diverged.step}: ${result.diverged.detail}`);
          }
        }
      } catch (error) {
        // The worker refused the scenario or is gone: every strategy not failed already fails with its message.
        for (const id of ids) if (!errors.has(id)) errors.set(id, messageOf(error));
      }
      return ids.map((id) => stepTimeOf(id, samples.get(id)!, errors.get(id) ?? null));
    },
    close: () => worker.close(),
  };
}
