/**
 * The training loop on a TensorFlow.js backend: the GAN and step runner `npm run bench` times (src/models/gan.ts,
 * src/models/step-runner.ts), fed each step's arrays as fresh tensors, and G run on the evaluation noise at each
 * checkpoint. After every step one on-device count of non-finite parameters is read (a non-finite loss makes
 * non-finite gradients, and Adam's step then non-finite parameters); at each checkpoint G's samples are checked
 * too. A diverged training stops there, before the checkpoint that saw it is handed on.
 */
import { divergenceIn, parametersDivergence, type Divergence } from '../measure/divergence.js';
import type { AdamImplementation } from '../models/adam.js';
import { createGan, type Gan } from '../models/gan.js';
import { createStepRunner } from '../models/step-runner.js';
import { strategies } from '../strategies/index.js';
import type { Batch } from '../strategies/strategy.js';
import { tf, type Tensor } from '../tf.js';
import type { BatchArrays, Checkpoint, TrainingOutcome, TrainingRequest } from './session.js';

/**
 * Batch tensors from a step's arrays; `valid` and `fake` are shared across steps. WGAN-GP's `alpha`, where the
 * arrays carry it, is [batchSize, 1], one weight per sample broadcast over it (PyTorch-GAN's [batch, 1, 1, 1] for
 * images).
 */
export function toBatch(arrays: BatchArrays, latentSize: number, dataSize: number, labels: Pick<Batch, 'valid' | 'fake'>): Batch {
  const batchSize = arrays.z.length / latentSize;
  return {
    z: tf.tensor2d(arrays.z, [batchSize, latentSize]),
    realImgs: tf.tensor2d(arrays.real, [batchSize, dataSize]),
    ...labels,
    ...(arrays.alpha ? { alpha: tf.tensor2d(arrays.alpha, [batchSize, 1]) } : {}),
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

/** G's and D's variables, named for a divergence's detail. */
export const networksOf = (gan: Gan) => [
  { name: 'generator', variables: gan.generator.variables },
  { name: 'discriminator', variables: gan.discriminator.variables },
];

/** Trains on the active tfjs backend, with Adam in the implementation PyTorch would pick there. */
export async function trainOnTfjs(
  request: TrainingRequest,
  adam: AdamImplementation,
  onCheckpoint: (checkpoint: Checkpoint) => void | Promise<void>,
): Promise<TrainingOutcome> {
  const { scenario, steps, checkpoints, data, evaluationNoise, withParameters } = request;
  const latentSize = scenario.generator.latentSize;
  const dataSize = scenario.generator.outputSize;
  const gan = createGan(scenario, adam);
  const labels = { valid: tf.ones([scenario.batchSize, 1]), fake: tf.zeros([scenario.batchSize, 1]) };
  const run = createStepRunner(gan);
  const strategy = strategies[request.strategy];
  const wanted = new Set(checkpoints);
  /** The checkpoint after `step` steps, or the divergence where its samples are not finite (each step checks the parameters). */
  const checkpoint = async (step: number): Promise<Divergence | null> => {
    const result: Checkpoint = { step, samples: await generate(gan, evaluationNoise, latentSize) };
    const diverged = divergenceIn(result.samples, "G's samples", step);
    if (diverged) return diverged;
    if (withParameters) {
      result.parameters = { generator: await readAll(gan.generator.variables), discriminator: await readAll(gan.discriminator.variables) };
    }
    await onCheckpoint(result);
    return null;
  };
  try {
    for (let step = 0; step < steps; step++) {
      if (wanted.has(step)) {
        const diverged = await checkpoint(step);
        if (diverged) return { diverged };
      }
      const batch = toBatch(data.batch(step), latentSize, dataSize, labels);
      try {
        run(strategy, batch);
      } finally {
        batch.z.dispose();
        batch.realImgs.dispose();
        batch.alpha?.dispose();
      }
      const diverged = await parametersDivergence(networksOf(gan), step + 1);
      if (diverged) return { diverged };
    }
    if (wanted.has(steps)) {
      const diverged = await checkpoint(steps);
      if (diverged) return { diverged };
    }
    return { diverged: null };
  } finally {
    gan.dispose();
    labels.valid.dispose();
    labels.fake.dispose();
  }
}
