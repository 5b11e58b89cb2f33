import { beforeAll, describe, expect, it } from 'vitest';
import { detach } from '../../src/autograd/detach.js';
import { GradientTape } from '../../src/autograd/tape.js';
import { tf } from '../../src/tf.js';

describe('detach', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('shares the buffer without running a kernel, and each handle can be disposed alone', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const profile = await tf.profile(() => {
      const detached = detach(x);
      expect(detached.dataId).toBe(x.dataId);
      detached.dispose();
    });
    expect(profile.kernels).toHaveLength(0);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    x.dispose();
  });

  it('stops the gradient: a loss through the detached value gives its source variable no gradient', () => {
    const w = tf.variable(tf.tensor1d([2]), true, 'detach-w');
    const v = tf.variable(tf.tensor1d([3]), true, 'detach-v');
    const tape = new GradientTape();
    const loss = tape.record(() => tf.sum(tf.mul(detach(tf.mul(w, 5)), v)));
    const { grads } = tape.gradients(loss, [w, v]);
    expect(grads.has(w)).toBe(false);
    expect(grads.get(v)?.dataSync()).toEqual(new Float32Array([10]));
    tape.dispose();
  });
});
