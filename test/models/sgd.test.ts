import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSgd } from '../../src/models/sgd.js';
import { tf, type Tensor, type Variable } from '../../src/tf.js';

describe('SGD', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('moves each parameter with a gradient by -lr * g and skips one without, as PyTorch skips a .grad of None', async () => {
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgd-w');
    const b = tf.variable(tf.tensor1d([3]), true, 'sgd-b');
    const sgd = createSgd([w, b], { learningRate: 0.5 });
    sgd.step(new Map<Variable, Tensor>([[w, tf.tensor1d([0.5, -1])]]));
    expect(Array.from(await w.data())).toEqual([0.75, -1.5]);
    expect(Array.from(await b.data())).toEqual([3]);
    expect(sgd.steps).toBe(1);
    sgd.step(new Map());
    expect(sgd.steps).toBe(1);
    sgd.dispose();
  });
});
