/**
 * A quality run on a TensorFlow.js backend: the backend made active, Adam in the implementation PyTorch would pick
 * there, the step timing of `npm run bench` (tinybench, interleaved: src/measure/timing.ts) on the scenario's own
 * data, and the trainer of src/quality/training/tfjs-trainer.ts.
 */
import { dispatchesGpuKernels, startBackend, type BackendId } from '../../backends/index.js';
import { timeInterleaved } from '../../measure/timing.js';
import { createGan } from '../../models/gan.js';
import { createStepRunner } from '../../strategies/context.js';
import type { StrategyId } from '../../strategies/ids.js';
import { strategies } from '../../strategies/index.js';
import { tf } from '../../tf.js';
import { createTrainingData, scenarioForSeed } from '../data/data.js';
import { stepTimeOf, TIMING_BATCHES, type QualitySession } from './session.js';
import { createTfjsTrainer, toBatch } from './tfjs-trainer.js';

/** Starts `backend` (a tfjs one, or `auto`) and makes it TensorFlow.js's active backend. */
export async function startTfjsSession(backend: Exclude<BackendId, 'pytorch'>): Promise<QualitySession> {
  const started = await startBackend(backend);
  const adam = dispatchesGpuKernels(started.provider.id) ? 'foreach' : 'for-loop';
  const sync = started.provider.sync;
  return {
    started,
    versions: {},
    trainer: createTfjsTrainer(adam),
    async timeSteps(scenario, ids) {
      const seeded = scenarioForSeed(scenario, 0);
      const data = createTrainingData(scenario, 0);
      const labels = { valid: tf.ones([scenario.batchSize, 1]), fake: tf.zeros([scenario.batchSize, 1]) };
      const batches = Array.from({ length: TIMING_BATCHES }, (_, step) =>
        toBatch(data.batch(step), scenario.generator.latentSize, scenario.generator.outputSize, labels),
      );
      const gans = ids.map(() => createGan(seeded, adam));
      try {
        const timings = await timeInterleaved(
          ids.map((id, i) => {
            const run = createStepRunner(gans[i]!);
            let next = 0;
            return { id, step: () => run(strategies[id], batches[next++ % batches.length]!) };
          }),
          { ...scenario.measure, sync },
        );
        return ids.map((strategy: StrategyId) => {
          const timing = timings.get(strategy);
          return stepTimeOf(strategy, timing?.samplesMs ?? [], timing?.error ? timing.error.message : null);
        });
      } finally {
        for (const gan of gans) gan.dispose();
        for (const batch of batches) tf.dispose([batch.z, batch.realImgs]);
        tf.dispose([labels.valid, labels.fake]);
      }
    },
    async close() {},
  };
}
