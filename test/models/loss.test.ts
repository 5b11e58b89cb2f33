import { beforeAll, describe, expect, it } from 'vitest';
import { gradientsOf } from '../helpers/gradients.js';
import { binaryCrossEntropy } from '../../src/models/loss.js';
import { BCE_GRAD_KERNEL, BCE_KERNEL } from '../../src/kernels/bce.js';
import { hasKernels } from '../../src/kernels/kernel.js';
import { profileStep } from '../../src/measure/memory.js';
import { tf, type Tensor } from '../../src/tf.js';

/** The loss written op by op, differentiated by tfjs itself: what the fused gradient must agree with. */
const opByOp = (p: Tensor, t: Tensor) =>
  tf.neg(tf.mean(tf.add(tf.mul(t, tf.maximum(tf.log(p), -100)), tf.mul(tf.sub(1, t), tf.maximum(tf.log(tf.sub(1, p)), -100)))));

describe('binaryCrossEntropy', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals -mean(t log p + (1 - t) log(1 - p)) by hand', async () => {
    const value = binaryCrossEntropy(tf.tensor2d([[0.8], [0.3]]), tf.tensor2d([[1], [0]]));
    expect((await value.data())[0]).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 6);
  });

  it('clamps a saturated log at -100, as PyTorch does', async () => {
    const value = binaryCrossEntropy(tf.tensor2d([[0]]), tf.tensor2d([[1]]));
    expect((await value.data())[0]).toBeCloseTo(100, 4);
  });

  it('back-propagates PyTorch\'s gradient, matching tfjs\'s own differentiation of the formula', async () => {
    const p = tf.variable(tf.tensor2d([[0.9], [0.2], [0.6]]), true, 'bce-p');
    const t = tf.tensor2d([[1], [0], [1]]);
    const { gradients: [ours] } = gradientsOf([p], () => binaryCrossEntropy(p, t));
    const theirs = tf.grad((x: Tensor) => opByOp(x, t))(p);
    const expected = [0.9, 0.2, 0.6].map((q, i) => (q - [1, 0, 1][i]!) / (q * (1 - q)) / 3);
    Array.from(await ours!.data()).forEach((g, i) => {
      expect(g).toBeCloseTo(expected[i]!, 5);
      expect(g).toBeCloseTo((theirs.dataSync() as Float32Array)[i]!, 5);
    });
  });

  it('runs fewer kernels than the op-by-op formula for value and gradient, and no wrapper counts as a kernel', async () => {
    const p = tf.variable(tf.fill([4, 1], 0.5), true, 'bce-count');
    const t = tf.ones([4, 1]);
    const count = async (loss: (x: Tensor) => Tensor) =>
      (
        await profileStep(() =>
          tf.tidy(() => {
            gradientsOf([p], () => loss(p));
          }),
        )
      ).kernels;
    const fused = await count((x) => binaryCrossEntropy(x, t));
    const separate = await count((x) => opByOp(x, t));
    expect(fused.length).toBeLessThan(separate.length);
    expect(fused.every(({ name }) => tf.getKernel(name, 'cpu') !== undefined)).toBe(true);
  });

  it("runs PyTorch's kernels: the per-element loss and the mean forward, one gradient kernel backward", async () => {
    expect(hasKernels(BCE_KERNEL, BCE_GRAD_KERNEL)).toBe(true);
    const p = tf.variable(tf.fill([4, 1], 0.25), true, 'bce-kernels');
    const t = tf.ones([4, 1]);
    const { kernels } = await profileStep(() =>
      tf.tidy(() => {
        gradientsOf([p], () => binaryCrossEntropy(p, t));
      }),
    );
    const dispatching = kernels.map(({ name }) => name).filter((name) => !['Identity', 'Reshape', 'OnesLike', 'Fill'].includes(name));
    expect(dispatching).toEqual([BCE_KERNEL, 'Mean', BCE_GRAD_KERNEL]);
    tf.dispose([p, t]);
  });
});
