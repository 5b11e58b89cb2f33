import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../../src/backends/index.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, batchNorm2d, batchNormComposed } from '../../src/models/batchnorm.js';
import { tf } from '../../src/tf.js';

/**
 * Two channels over a batch of 2 images of 1x2 (NHWC [2, 1, 2, 2]): channel 0 sees 1, 2, 3, 6 and channel 1 sees
 * -1, -1, 2, 4. By hand: means 3 and 1; biased variances (4 + 1 + 0 + 9) / 4 = 3.5 and (4 + 4 + 1 + 9) / 4 = 4.5;
 * unbiased 14 / 3 and 18 / 3 = 6.
 */
const X = [1, -1, 2, -1, 3, 2, 6, 4];
const MEANS = [3, 1];
const VARIANCES = [3.5, 4.5];
const UNBIASED = [14 / 3, 6];
const GAMMA = [2, 0.5];
const BETA = [0.25, -1];

/** y = (x - mean) / sqrt(var + eps) · gamma + beta, element by element, in float64. */
function expectedOutput(): number[] {
  return X.map((x, i) => {
    const c = i % 2;
    return ((x - MEANS[c]!) / Math.sqrt(VARIANCES[c]! + BATCH_NORM_EPSILON)) * GAMMA[c]! + BETA[c]!;
  });
}

/** PyTorch's update, `running = (1 - momentum) running + momentum batch`, `steps` times from mean 0 and variance 1. */
function expectedRunning(steps: number): number[] {
  let mean = [0, 0];
  let variance = [1, 1];
  for (let step = 0; step < steps; step++) {
    mean = mean.map((m, c) => (1 - BATCH_NORM_MOMENTUM) * m + BATCH_NORM_MOMENTUM * MEANS[c]!);
    variance = variance.map((v, c) => (1 - BATCH_NORM_MOMENTUM) * v + BATCH_NORM_MOMENTUM * UNBIASED[c]!);
  }
  return [...mean, ...variance];
}

describe.each(['cpu', 'wasm', 'webgpu'] as const)('BatchNorm2d in training mode on %s, against plain arithmetic', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['its kernel', batchNorm2d],
    ['tfjs ops one by one', (x: tf.Tensor, state: { gamma: tf.Tensor; beta: tf.Tensor; running: tf.Tensor }) => batchNormComposed(x, state.gamma, state.beta, state.running)],
  ] as const)(
    'normalises with the batch statistics and moves the running ones by momentum 0.1 towards the mean and unbiased variance (%s)',
    async (_, forward) => {
      await backends[backend].start();
      const x = tf.tensor4d(X, [2, 1, 2, 2]);
      const gamma = tf.tensor1d(GAMMA);
      const beta = tf.tensor1d(BETA);
      const running = tf.variable(tf.tensor2d([0, 0, 1, 1], [2, 2]), false);
      const outputs: number[][] = [];
      for (let step = 1; step <= 3; step++) {
        const { y, running: next } = forward(x, { gamma, beta, running });
        running.assign(next as tf.Tensor2D);
        outputs.push(Array.from(await y.data()));
        const values = Array.from(await running.data());
        values.forEach((value, i) => expect(value, `running statistic ${i} after ${step} forwards`).toBeCloseTo(expectedRunning(step)[i]!, 5));
        tf.dispose([y, next]);
      }
      // The output reads the batch only, never the running statistics: the same on every forward.
      for (const output of outputs) output.forEach((value, i) => expect(value, `y[${i}]`).toBeCloseTo(expectedOutput()[i]!, 5));
      tf.dispose([x, gamma, beta, running]);
    },
  );

  it('refuses a channel with a single value, as PyTorch does in training mode', async () => {
    await backends[backend].start();
    const x = tf.ones([1, 1, 1, 2]);
    const state = { gamma: tf.ones([2]), beta: tf.zeros([2]), running: tf.variable(tf.tensor2d([0, 0, 1, 1], [2, 2]), false) };
    expect(() => batchNorm2d(x, state)).toThrow(/expected more than 1 value per channel when training/);
    tf.dispose([x, state.gamma, state.beta, state.running]);
  });
});
