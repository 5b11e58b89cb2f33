import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GradientTape } from '../../src/autograd/tape.js';
import { tf, type Tensor, type Variable } from '../../src/tf.js';

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.5, 'float32', seed);

function smallNetwork() {
  const w1 = tf.variable(seeded([3, 4], 1), true, `w1-${Math.random()}`);
  const b1 = tf.variable(seeded([4], 2), true, `b1-${Math.random()}`);
  const w2 = tf.variable(seeded([4, 2], 3), true, `w2-${Math.random()}`);
  const x = seeded([5, 3], 4);
  const forward = () => tf.tanh(tf.matMul(tf.leakyRelu(tf.add(tf.matMul(x, w1), b1), 0.2), w2));
  const lossA = (y: Tensor) => tf.mean(tf.square(y));
  const lossB = (y: Tensor) => tf.sum(tf.sigmoid(y));
  const dispose = () => tf.dispose([w1, b1, w2, x]);
  return { variables: [w1, b1, w2] as Variable[], forward, lossA, lossB, dispose };
}

async function expectClose(actual: ReadonlyMap<Variable, Tensor>, expected: Record<string, Tensor>, variables: Variable[]) {
  for (const variable of variables) {
    const got = actual.get(variable);
    expect(got, variable.name).toBeDefined();
    expect(Array.from(await got!.data())).toEqual(Array.from(await expected[variable.name]!.data()));
  }
}

describe('GradientTape', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('gives the same gradients as tf.variableGrads for two losses from one recorded forward', async () => {
    const net = smallNetwork();
    const tape = new GradientTape();
    const { a, b } = tape.record(() => {
      const y = net.forward();
      return { a: net.lossA(y), b: net.lossB(y) };
    });
    const fromTapeA = tape.gradients(a, net.variables);
    const fromTapeB = tape.gradients(b, net.variables);
    const expectedA = tf.variableGrads(() => net.lossA(net.forward()) as tf.Scalar, net.variables);
    const expectedB = tf.variableGrads(() => net.lossB(net.forward()) as tf.Scalar, net.variables);
    await expectClose(fromTapeA.grads, expectedA.grads, net.variables);
    await expectClose(fromTapeB.grads, expectedB.grads, net.variables);
    tape.dispose();
    net.dispose();
  });

  it('differentiates a loss recorded after the first backward pass, through the same forward', async () => {
    const net = smallNetwork();
    const tape = new GradientTape();
    const y = tape.record(() => net.forward());
    tape.gradients(tape.record(() => net.lossA(y)), net.variables);
    const later = tape.gradients(tape.record(() => net.lossB(y)), net.variables);
    const expected = tf.variableGrads(() => net.lossB(net.forward()) as tf.Scalar, net.variables);
    await expectClose(later.grads, expected.grads, net.variables);
    tape.dispose();
    net.dispose();
  });

  it('returns gradients only for the requested variables that the loss reaches', () => {
    const net = smallNetwork();
    const unused = tf.variable(tf.ones([2]), true, `unused-${Math.random()}`);
    const tape = new GradientTape();
    const loss = tape.record(() => net.lossA(net.forward()));
    const { grads } = tape.gradients(loss, [net.variables[0]!, unused]);
    expect([...grads.keys()]).toEqual([net.variables[0]]);
    tape.dispose();
    net.dispose();
  });

  it('frees every saved tensor on dispose and refuses to back-propagate afterwards', () => {
    const net = smallNetwork();
    const before = tf.memory().numTensors;
    const tape = new GradientTape();
    const loss = tape.record(() => net.lossA(net.forward()));
    expect(tape.savedBytes()).toBeGreaterThan(0);
    const { grads } = tape.gradients(loss, net.variables);
    tape.dispose();
    tf.dispose([loss, ...grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tape.gradients(loss, net.variables)).toThrow(/after dispose/);
    net.dispose();
  });

  it('restores the engine so that tf.grads still works after recording', async () => {
    const tape = new GradientTape();
    const x = tf.scalar(3);
    tape.record(() => tf.square(x));
    tape.dispose();
    const [dx] = tf.grads((v: Tensor) => tf.square(v))([x]);
    expect(await dx!.data()).toEqual(new Float32Array([6]));
  });
});
