import { beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../src/autograd/graph.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { gradientsOf } from '../helpers/gradients.js';
import { backends } from '../../src/backends/index.js';
import { profileStep } from '../../src/measure/memory.js';
import { dense } from '../../src/models/dense.js';
import type { Activation } from '../../src/scenario/schema.js';
import { tf, type Tensor } from '../../src/tf.js';

/** The layer op by op, differentiated by tfjs's own gradients: what the fused kernel's gradient must equal. */
function opByOp(x: Tensor, kernel: Tensor, bias: Tensor, activation: Activation): Tensor {
  const pre = tf.add(tf.matMul(x, kernel), bias);
  switch (activation) {
    case 'linear':
      return pre;
    case 'relu':
      return tf.relu(pre);
    case 'leakyRelu':
      return tf.leakyRelu(pre, 0.2);
    case 'sigmoid':
      return tf.sigmoid(pre);
    case 'tanh':
      return tf.tanh(pre);
  }
}

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh'];

describe('dense', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(ACTIVATIONS)('gives the same value and gradients as the op-by-op layer (%s)', async (activation) => {
    const x = tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 1), true, `dense-x-${activation}`);
    const kernel = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 2), true, `dense-k-${activation}`);
    const bias = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 3), true, `dense-b-${activation}`);
    // A weighted sum, so that every output element gets a different upstream gradient.
    const weights = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
    const { value: ours, gradients } = gradientsOf([x, kernel, bias], () => tf.sum(tf.mul(dense(x, kernel, bias, activation), weights)));
    const theirs = tf.variableGrads(() => tf.sum(tf.mul(opByOp(x, kernel, bias, activation), weights)), [x, kernel, bias]);
    expect(ours.dataSync()[0]).toBeCloseTo(theirs.value.dataSync()[0]!, 5);
    for (const [i, variable] of [x, kernel, bias].entries()) {
      const a = gradients[i]!.dataSync();
      const b = theirs.grads[variable.name]!.dataSync();
      a.forEach((value, i) => expect(value).toBeCloseTo(b[i]!, 5));
    }
    tf.dispose([x, kernel, bias, weights, theirs.value, ...Object.values(theirs.grads)]);
  });

  it.each(['leakyRelu', 'sigmoid', 'tanh'] as const)(
    "back-propagates %s with one activation-gradient kernel, as PyTorch's *_backward",
    async (activation) => {
      const x = tf.randomNormal([5, 4], 0, 1, 'float32', 5);
      const kernel = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 6), true, `dense-count-k-${activation}`);
      const bias = tf.variable(tf.zeros([3]), true, `dense-count-b-${activation}`);
      const parameter = new Parameter(kernel, kernel.name);
      const graph = new Graph([parameter]);
      const loss = graph.record(() => tf.sum(dense(x, kernel, bias, activation)));
      const profile = await profileStep(() => tf.tidy(() => graph.grad(loss, [parameter]).gradients.get(parameter)!));
      graph.dispose();
      const names = profile.kernels.map(({ name }) => name).filter((name) => !['Identity', 'Reshape', 'OnesLike', 'Fill'].includes(name));
      // The Multiply is tf.sum's gradient (dy times ones); then the activation's kernel; then dW.
      expect(names).toEqual(['Multiply', 'GanActivationGrad', 'BatchMatMul']);
      tf.dispose([x, kernel, bias]);
    },
  );
});

describe('dense on wasm', () => {
  /** The layer's input and kernel gradients under a weighted-sum loss, on the active backend. */
  function gradients(): Float32Array[] {
    // batch 3 by 100 → 70: dY·Wᵀ takes the wrapper's swapped plan, Xᵀ·dY its direct one (src/kernels/wasm-transposed-matmul.ts).
    const x = tf.variable(tf.tensor2d(wave(3 * 100, 1), [3, 100]), true);
    const kernel = tf.variable(tf.tensor2d(wave(100 * 70, 2), [100, 70]), true);
    const bias = tf.variable(tf.tensor1d(wave(70, 3)), true);
    const weights = tf.tensor2d(wave(3 * 70, 4), [3, 70]);
    const { value: loss, gradients: grads } = gradientsOf([x, kernel], () => tf.sum(tf.mul(dense(x, kernel, bias, 'leakyRelu'), weights)));
    const values = grads.map((g) => Float32Array.from(g.dataSync()));
    tf.dispose([x, kernel, bias, weights, loss, ...grads]);
    return values;
  }

  /** Deterministic values in [-1, 1], the same on every backend. */
  function wave(length: number, phase: number): Float32Array {
    return Float32Array.from({ length }, (_, i) => Math.sin(i * 0.731 + phase) * Math.cos(i * 0.177 + 2 * phase));
  }

  it("back-propagates through the transposing BatchMatMul to cpu's gradients", async () => {
    await tf.setBackend('cpu');
    const reference = gradients();
    await backends.wasm.start();
    try {
      const ours = gradients();
      ours.forEach((values, i) => {
        const expected = reference[i]!;
        expect(values.length).toBe(expected.length);
        values.forEach((value, j) => expect(Math.abs(value - expected[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(expected[j]!))));
      });
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
