import { afterAll, describe, expect, it } from 'vitest';
import { gradientsOf } from '../helpers/gradients.js';
import { backends } from '../../src/backends/index.js';
import { ACTIVATION_GRAD_KERNEL } from '../../src/kernels/activation-grad.js';
import { ADAM_MOMENT_KERNEL, ADAM_UPDATE_KERNEL } from '../../src/kernels/adam.js';
import { BATCH_SUM_KERNEL } from '../../src/kernels/batch-sum.js';
import { BCE_GRAD_KERNEL, BCE_KERNEL } from '../../src/kernels/bce.js';
import { runKernel } from '../../src/kernels/kernel.js';
import { createAdam } from '../../src/models/adam.js';
import { dense } from '../../src/models/dense.js';
import { binaryCrossEntropy } from '../../src/models/loss.js';
import { tf, type Tensor } from '../../src/tf.js';
import { withAndWithoutKernels } from './with-and-without.js';

const OUR_KERNELS = [BCE_KERNEL, BCE_GRAD_KERNEL, BATCH_SUM_KERNEL, ADAM_MOMENT_KERNEL, ADAM_UPDATE_KERNEL, ACTIVATION_GRAD_KERNEL];

/** Deterministic values in (0, 1), saturated ends included. */
const PREDICTIONS = [0, 1e-8, 0.05, 0.3, 0.5, 0.7, 0.95, 1 - 1e-7, 1, 0.42];
const TARGETS = [1, 0, 1, 0, 1, 0, 1, 0, 0, 1];

function bceLossAndGradient(): Tensor[] {
  const p = tf.variable(tf.tensor2d(PREDICTIONS, [10, 1]), true);
  const t = tf.tensor2d(TARGETS, [10, 1]);
  const { value: loss, gradients: [gradient] } = gradientsOf([p], () => tf.mul(binaryCrossEntropy(p, t), 3));
  tf.dispose([p, t]);
  return [loss, gradient!];
}

/** Gradients of a dense layer with each activation: weights, bias and input (through the activation's kernel). */
function denseGradients(): Tensor[] {
  return (['relu', 'leakyRelu', 'sigmoid', 'tanh'] as const).flatMap((activation) => denseGradientsWith(activation));
}

function denseGradientsWith(activation: 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh'): Tensor[] {
  const x = tf.variable(tf.randomNormal([7, 5], 0, 1, 'float32', 11), true);
  const kernel = tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 12), true);
  const bias = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 13), true);
  const weights = tf.randomNormal([7, 3], 0, 1, 'float32', 14);
  const { value, gradients: result } = gradientsOf([x, kernel, bias], () => tf.sum(tf.mul(dense(x, kernel, bias, activation), weights)));
  tf.dispose([value, x, kernel, bias, weights]);
  return result;
}

/** Three Adam steps with 'foreach' and 'for-loop' on two variables: parameters after each implementation. */
function adamSteps(): Tensor[] {
  const results: Tensor[] = [];
  for (const implementation of ['foreach', 'for-loop'] as const) {
    const variables = [tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 21)), tf.variable(tf.randomNormal([3], 0, 1, 'float32', 22))];
    const adam = createAdam(variables, { learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 }, implementation);
    for (let step = 1; step <= 3; step++) {
      tf.tidy(() => {
        const grads = new Map(variables.map((v, i) => [v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 30 + step * 2 + i), step)]));
        adam.step(grads);
      });
    }
    results.push(...variables.map((v) => tf.clone(v)));
    adam.dispose();
    tf.dispose(variables);
  }
  return results;
}

const maxRelativeDifference = (a: Float32Array, b: Float32Array) =>
  Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6)));

describe.each(['cpu', 'wasm', 'webgpu'] as const)('our kernels on %s, against the composed tfjs ops they replace', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('BCE: the same loss and gradient, saturated predictions included', async () => {
    await backends[backend].start();
    const { kernels, composed } = await withAndWithoutKernels(OUR_KERNELS, bceLossAndGradient);
    kernels.forEach((values, i) => expect(maxRelativeDifference(values, composed[i]!), `output ${i}`).toBeLessThan(1e-5));
    expect(kernels[1]!.every(Number.isFinite)).toBe(true);
  });

  it("a dense layer's gradients (activation kernel, bias sum): the composed ops' values (bits on cpu)", async () => {
    await backends[backend].start();
    const { kernels, composed } = await withAndWithoutKernels(OUR_KERNELS, denseGradients);
    if (backend === 'cpu') expect(kernels).toEqual(composed);
    // wasm's and webgpu's Sum accumulate in float32, webgpu's in a tree: the same to rounding.
    kernels.forEach((values, i) => expect(maxRelativeDifference(values, composed[i]!), `output ${i}`).toBeLessThan(1e-5));
  });

  it('Adam, foreach and for-loop: the same bits as the twelve composed ops (to rounding on webgpu)', async () => {
    await backends[backend].start();
    const { kernels, composed } = await withAndWithoutKernels(OUR_KERNELS, adamSteps);
    if (backend === 'webgpu') {
      // WGSL may contract a multiply-add into one rounding: a last-place difference.
      kernels.forEach((values, i) => expect(maxRelativeDifference(values, composed[i]!), `output ${i}`).toBeLessThan(1e-5));
    } else {
      expect(kernels).toEqual(composed);
    }
    // foreach and for-loop do the same arithmetic per element.
    expect(kernels.slice(0, 2)).toEqual(kernels.slice(2));
  });
});

describe('the batch sum on webgpu', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    [7, 3],
    [3000, 5],
    [64, 700],
    [4096, 1],
  ])("sums a [%i, %i] matrix over its rows as the cpu backend does, to float32 rounding", async (rows, columns) => {
    const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 0.37) + 0.25);
    const sum = async (backend: 'cpu' | 'webgpu') => {
      await backends[backend].start();
      const x = tf.tensor2d(values, [rows, columns]);
      const result = runKernel(BATCH_SUM_KERNEL, { x });
      const data = Float32Array.from(await result.data());
      tf.dispose([x, result]);
      return data;
    };
    const [cpu, webgpu] = [await sum('cpu'), await sum('webgpu')];
    expect(webgpu).toHaveLength(columns);
    webgpu.forEach((value, i) => expect(Math.abs(value - cpu[i]!), `column ${i}`).toBeLessThan(1e-6 * rows));
  });
});
