import { afterAll, describe, expect, it } from 'vitest';
import { gradientsOf } from '../helpers/gradients.js';
import { backends } from '../../src/backends/index.js';
import { ACTIVATION_GRAD_KERNEL } from '../../src/kernels/activation-grad.js';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_KERNEL } from '../../src/kernels/batch-norm.js';
import { activate } from '../../src/models/activation.js';
import { batchNorm2d } from '../../src/models/batchnorm.js';
import { countKernelFlops } from '../../src/measure/flops.js';
import { profileStep } from '../../src/measure/memory.js';
import { tf, type Tensor } from '../../src/tf.js';
import { withAndWithoutKernels } from './with-and-without.js';

const OUR_KERNELS = [BATCH_NORM_KERNEL, BATCH_NORM_GRAD_KERNEL, ACTIVATION_GRAD_KERNEL];

/**
 * A BatchNorm2d forward on an NHWC batch [3, 4, 5, 6] (channel means and spreads differ), its new running
 * statistics, and the gradients of sum(y * w) for x, gamma and beta: y, running, dx, dgamma, dbeta.
 */
function batchNormOutputsAndGradients(): Tensor[] {
  const shape = [3, 4, 5, 6];
  const x = tf.variable(tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.range(1, 7)), tf.range(-3, 3)), true);
  const gamma = tf.variable(tf.randomNormal([6], 1, 0.3, 'float32', 2), true);
  const beta = tf.variable(tf.randomNormal([6], 0, 0.3, 'float32', 3), true);
  const running = tf.variable(tf.stack([tf.randomNormal([6], 0, 1, 'float32', 4), tf.randomUniform([6], 0.5, 2, 'float32', 5)]), false);
  const weights = tf.randomNormal(shape, 0, 1, 'float32', 6);
  const state = { gamma, beta, running };
  const { y, running: next } = batchNorm2d(x, state);
  const { value, gradients } = gradientsOf([x, gamma, beta], () => tf.sum(tf.mul(batchNorm2d(x, state).y, weights)));
  tf.dispose([value, x, gamma, beta, running, weights]);
  return [y, next, ...gradients];
}

/** Each activation on a conv-shaped input, through activate(): its output and the gradient of sum(out * w). */
function activationGradients(): Tensor[] {
  return (['relu', 'leakyRelu', 'sigmoid', 'tanh'] as const).flatMap((activation) => {
    const x = tf.variable(tf.randomNormal([2, 3, 3, 4], 0, 2, 'float32', 7), true);
    const weights = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 8);
    const y = activate(x, activation);
    const { value, gradients } = gradientsOf([x], () => tf.sum(tf.mul(activate(x, activation), weights)));
    tf.dispose([value, x, weights]);
    return [y, ...gradients];
  });
}

const maxRelativeDifference = (a: Float32Array, b: Float32Array) =>
  Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i]!) / Math.max(Math.abs(b[i]!), 1e-3)));

describe.each(['cpu', 'wasm', 'webgpu'] as const)('the BatchNorm kernels on %s, against tfjs ops one by one', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same output, running statistics and input, weight and bias gradients, to float32 rounding', async () => {
    await backends[backend].start();
    const { kernels, composed } = await withAndWithoutKernels(OUR_KERNELS, batchNormOutputsAndGradients);
    const names = ['y', 'running', 'dx', 'dgamma', 'dbeta'];
    expect(kernels.map((values) => values.length)).toEqual([360, 12, 360, 6, 6]);
    // The loops accumulate in float64 (as PyTorch's CPU kernel does), webgpu and the composed ops in float32.
    kernels.forEach((values, i) => expect(maxRelativeDifference(values, composed[i]!), names[i]).toBeLessThan(2e-4));
    // Not trivially equal: the gradient through the batch statistics is not the affine layer's.
    expect(Math.max(...kernels[2]!.map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it("gives an activation's gradient through the activation-gradient kernel the composed ops' values", async () => {
    await backends[backend].start();
    const { kernels, composed } = await withAndWithoutKernels(OUR_KERNELS, activationGradients);
    kernels.forEach((values, i) => expect(maxRelativeDifference(values, composed[i]!), `output ${i}`).toBeLessThan(1e-5));
    if (backend === 'cpu') expect(kernels).toEqual(composed);
  });
});

describe('the BatchNorm kernels in a profile', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are one kernel each way, where tfjs op by op runs many, and count no FLOPs', async () => {
    await backends.cpu.start();
    const kernelsOf = async () => {
      const profile = await profileStep(() => {
        tf.dispose(batchNormOutputsAndGradients());
      });
      return profile.kernels.map(({ name }) => name);
    };
    const ours = await kernelsOf();
    expect(ours.filter((name) => name === BATCH_NORM_KERNEL)).toHaveLength(2); // the plain forward and the taped one
    expect(ours.filter((name) => name === BATCH_NORM_GRAD_KERNEL)).toHaveLength(1);
    const configs = [BATCH_NORM_KERNEL, BATCH_NORM_GRAD_KERNEL].map((name) => tf.getKernel(name, 'cpu')!);
    for (const config of configs) tf.unregisterKernel(config.kernelName, 'cpu');
    try {
      const composed = await kernelsOf();
      expect(composed.length).toBeGreaterThan(ours.length + 20);
    } finally {
      for (const config of configs) tf.registerKernel(config);
    }
    expect(countKernelFlops(ours.map((name) => ({ name, inputShapes: [], outputShapes: [[1]] }))).flops).toBe(0);
  });
});
