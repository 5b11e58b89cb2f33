/**
 * The training loop on a TensorFlow.js backend: the GAN and step runner `npm run bench` times (src/models/gan.ts,
 * src/strategies/context.ts), fed each step's arrays as fresh tensors, and G run on the evaluation noise at each
 * checkpoint.
 */
import type { AdamImplementation } from '../../models/adam.js';
import { createGan, type Gan } from '../../models/gan.js';
import { createStepRunner } from '../../strategies/context.js';
import { strategies } from '../../strategies/index.js';
import type { Batch } from '../../strategies/strategy.js';
import { tf, type Tensor } from '../../tf.js';
import type { BatchArrays } from '../data/data.js';
import type { Checkpoint, QualityTrainer } from './trainer.js';

/** Batch tensors from a step's arrays; `valid` and `fake` are shared across steps. */
export function toBatch(arrays: BatchArrays, latentSize: number, dataSize: number, labels: Pick<Batch, 'valid' | 'fake'>): Batch {
  const batchSize = arrays.z.length / latentSize;
  return {
    z: tf.tensor2d(arrays.z, [batchSize, latentSize]),
    realImgs: tf.tensor2d(arrays.real, [batchSize, dataSize]),
    ...labels,
  };
}

/** G's output on `noise` ([count, latentSize]), read back as one array. */
export async function generate(gan: Gan, noise: Float32Array, latentSize: number): Promise<Float32Array> {
  const output = tf.tidy(() => gan.generator.apply(tf.tensor2d(noise, [noise.length / latentSize, latentSize])));
  try {
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}

async function readAll(tensors: readonly Tensor[]): Promise<Float32Array[]> {
  return (await Promise.all(tensors.map((tensor) => tensor.data()))) as Float32Array[];
}

/** A trainer on the active tfjs backend, with Adam in the implementation PyTorch would pick there. */
export function createTfjsTrainer(adam: AdamImplementation): QualityTrainer {
  return {
    async train(request, onCheckpoint) {
      const { scenario, steps, checkpoints, data, evaluationNoise, withParameters } = request;
      const latentSize = scenario.generator.latentSize;
      const dataSize = scenario.generator.outputSize;
      const gan = createGan(scenario, adam);
      const labels = { valid: tf.ones([scenario.batchSize, 1]), fake: tf.zeros([scenario.batchSize, 1]) };
      const run = createStepRunner(gan);
      const strategy = strategies[request.strategy];
      const wanted = new Set(checkpoints);
      const checkpoint = async (step: number) => {
        const result: Checkpoint = { step, samples: await generate(gan, evaluationNoise, latentSize) };
        if (withParameters) {
          result.parameters = { generator: await readAll(gan.generator.variables), discriminator: await readAll(gan.discriminator.variables) };
        }
        await onCheckpoint(result);
      };
      try {
        for (let step = 0; step < steps; step++) {
          if (wanted.has(step)) await checkpoint(step);
          const batch = toBatch(data.batch(step), latentSize, dataSize, labels);
          try {
            run(strategy, batch);
          } finally {
            batch.z.dispose();
            batch.realImgs.dispose();
          }
        }
        if (wanted.has(steps)) await checkpoint(steps);
      } finally {
        gan.dispose();
        labels.valid.dispose();
        labels.fake.dispose();
      }
    },
  };
}
