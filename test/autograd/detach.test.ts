import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detach } from '../../src/autograd/detach.js';
import { Graph } from '../../src/autograd/graph.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { tf } from '../../src/tf.js';

describe('detach', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

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

  it('stops the gradient: a loss through the detached value gives its source parameter no gradient', () => {
    const w = new Parameter(tf.variable(tf.tensor1d([2]), true, 'detach-w'), 'w');
    const v = new Parameter(tf.variable(tf.tensor1d([3]), true, 'detach-v'), 'v');
    const graph = new Graph([w, v]);
    const loss = graph.record(() => tf.sum(tf.mul(detach(tf.mul(w.variable, 5)), v.variable)));
    graph.backward(loss);
    expect(w.grad).toBeNull();
    expect(v.grad?.dataSync()).toEqual(new Float32Array([10]));
    graph.dispose();
  });

  it("makes a tensor that requires no gradient: the graph keeps no node for kernels on it", () => {
    const w = new Parameter(tf.variable(tf.tensor1d([2]), true, 'detach-w2'), 'w');
    const graph = new Graph([w]);
    graph.record(() => {
      const y = tf.mul(w.variable, 5);
      const sizeAfterMul = graph.size;
      tf.exp(tf.sin(detach(y)));
      expect(graph.size).toBe(sizeAfterMul);
    });
    graph.dispose();
  });
});
