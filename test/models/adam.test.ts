import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdam } from '../../src/models/adam.js';
import { profileStep } from '../../src/measure/memory.js';
import { tf, type Tensor, type Variable } from '../../src/tf.js';

const options = { learningRate: 0.01, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 };

describe('Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('moves each parameter by lr * g / (|g| + eps) on the first step, as PyTorch does', async () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]), true, 'adam-w');
    const b = tf.variable(tf.tensor1d([3]), true, 'adam-b');
    const adam = createAdam([w, b], options);
    adam.step(new Map<Variable, Tensor>([[w, tf.tensor2d([[0.5, -0.1]])], [b, tf.tensor1d([2])]]));
    const step = (g: number) => (0.01 * g) / (Math.abs(g) + 1e-8);
    expect(Array.from(await w.data())[0]).toBeCloseTo(1 - step(0.5), 6);
    expect(Array.from(await w.data())[1]).toBeCloseTo(-2 - step(-0.1), 6);
    expect(Array.from(await b.data())[0]).toBeCloseTo(3 - step(2), 6);
    expect(adam.steps).toBe(1);
    adam.dispose();
  });

  it.each(['foreach', 'for-loop'] as const)('frees the old moments as soon as the new ones exist, as PyTorch updates them in place (%s)', async (implementation) => {
    // One 1,024-float parameter (4 KiB a buffer), measured as a cell's peak memory is (profileStep): the new moments
    // are stored before the update is computed, so the old ones are gone before the new value exists: the step's peak
    // is two buffers (the new moments, then the new moments' place taken by the new value), not three or four.
    const w = tf.variable(tf.zeros([1024]), true, `adam-peak-${implementation}`);
    const adam = createAdam([w], options, implementation);
    const grad = tf.ones([1024]);
    adam.step(new Map<Variable, Tensor>([[w, grad]])); // a first step's scalars and caches
    const { peakBytes, leakedTensors } = await profileStep(() => adam.step(new Map<Variable, Tensor>([[w, grad]])));
    expect({ peakBytes, leakedTensors }).toEqual({ peakBytes: 2 * 4096, leakedTensors: 0 });
    adam.dispose();
  });

  it.each(['foreach', 'for-loop'] as const)('tracks tf.train.adam over several steps to float32 precision (%s)', async (implementation) => {
    const init = [tf.randomNormal([4, 3], 0, 1, 'float32', 1), tf.randomNormal([3], 0, 1, 'float32', 2)];
    const ours = init.map((value, i) => tf.variable(value.clone(), true, `ours-${implementation}-${i}`));
    const theirs = init.map((value, i) => tf.variable(value.clone(), true, `theirs-${implementation}-${i}`));
    const adam = createAdam(ours, options, implementation);
    expect(adam.implementation).toBe(implementation);
    const reference = tf.train.adam(options.learningRate, options.beta1, options.beta2, options.epsilon);
    for (let step = 0; step < 5; step++) {
      const grads = init.map((value, i) => tf.randomNormal(value.shape, 0, 1, 'float32', 10 * step + i));
      adam.step(new Map(ours.map((variable, i) => [variable, grads[i]!])));
      reference.applyGradients(Object.fromEntries(theirs.map((variable, i) => [variable.name, grads[i]!])) as unknown as Record<string, Variable>);
      tf.dispose(grads);
    }
    for (let i = 0; i < ours.length; i++) {
      const difference = tf.max(tf.abs(tf.sub(ours[i]!, theirs[i]!)));
      expect((await difference.data())[0]).toBeLessThan(1e-6);
    }
    adam.dispose();
    reference.dispose();
  });

  it.each(['foreach', 'for-loop'] as const)(
    "skips a variable without a gradient, as PyTorch skips a .grad of None: it stays, and counts its own steps (%s)",
    async (implementation) => {
      // Lazy R1's phase leaves D's output bias without a gradient. torch.optim.Adam keeps `state['step']` per
      // parameter: a tf.train.adam per variable, applied only where that variable has a gradient, is the reference.
      const init = [tf.randomNormal([4, 3], 0, 1, 'float32', 1), tf.randomNormal([3], 0, 1, 'float32', 2), tf.randomNormal([3, 1], 0, 1, 'float32', 3), tf.randomNormal([1], 0, 1, 'float32', 4)];
      const ours = init.map((value, i) => tf.variable(value.clone(), true, `skip-ours-${implementation}-${i}`));
      const theirs = init.map((value, i) => tf.variable(value.clone(), true, `skip-theirs-${implementation}-${i}`));
      const adam = createAdam(ours, options, implementation);
      const references = theirs.map(() => tf.train.adam(options.learningRate, options.beta1, options.beta2, options.epsilon));
      // Which variables have a gradient at each step: all; the last one skipped twice, then a middle one; all.
      const present = [[0, 1, 2, 3], [0, 1, 2], [0, 1, 2], [0, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]];
      for (const [step, indices] of present.entries()) {
        const grads = init.map((value, i) => tf.randomNormal(value.shape, 0, 1, 'float32', 10 * step + i));
        adam.step(new Map(indices.map((i) => [ours[i]!, grads[i]!])));
        for (const i of indices) references[i]!.applyGradients({ [theirs[i]!.name]: grads[i]! } as unknown as Record<string, Variable>);
        tf.dispose(grads);
      }
      expect(adam.steps).toBe(present.length);
      for (let i = 0; i < ours.length; i++) {
        const difference = tf.max(tf.abs(tf.sub(ours[i]!, theirs[i]!)));
        expect((await difference.data())[0], `variable ${i}`).toBeLessThan(1e-6);
      }
      // Without any gradient a step is no step.
      adam.step(new Map());
      expect(adam.steps).toBe(present.length);
      adam.dispose();
      for (const reference of references) reference.dispose();
    },
  );

  it.each(['foreach', 'for-loop'] as const)('leaves no tensor behind after a step, also one that skips a variable (%s)', (implementation) => {
    const [w, b] = [tf.variable(tf.ones([2, 2]), true, `adam-skip-leak-${implementation}`), tf.variable(tf.ones([2]), true, `adam-skip-leak-b-${implementation}`)];
    const adam = createAdam([w, b], options, implementation);
    const [gw, gb] = [tf.ones([2, 2]), tf.ones([2])];
    adam.step(new Map([[w, gw]]));
    const before = tf.memory().numTensors;
    adam.step(new Map([[w, gw]]));
    adam.step(new Map([[w, gw], [b, gb]]));
    expect(tf.memory().numTensors).toBe(before);
    adam.dispose();
  });

  it.each(['foreach', 'for-loop'] as const)('leaves no tensor behind after a step (%s)', (implementation) => {
    const w = tf.variable(tf.ones([2, 2]), true, `adam-leak-${implementation}`);
    const adam = createAdam([w], options, implementation);
    const grad = tf.ones([2, 2]);
    adam.step(new Map([[w, grad]]));
    const before = tf.memory().numTensors;
    adam.step(new Map([[w, grad]]));
    expect(tf.memory().numTensors).toBe(before);
    adam.dispose();
  });
});
