import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutogradError } from '../../src/autograd/errors.js';
import { Graph } from '../../src/autograd/graph.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { tf, type Tensor } from '../../src/tf.js';

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.5, 'float32', seed);
let instance = 0;
const parameter = (shape: number[], seed: number, name: string) =>
  new Parameter(tf.variable(seeded(shape, seed), true, `${name}-${instance++}`), name);

/** x (5x3) -> matmul w1 + b1 -> leakyRelu -> matmul w2 -> tanh: two layers whose products save w1 and w2. */
function smallNetwork() {
  const w1 = parameter([3, 4], 1, 'w1');
  const b1 = parameter([4], 2, 'b1');
  const w2 = parameter([4, 2], 3, 'w2');
  const x = seeded([5, 3], 4);
  const forward = () => tf.tanh(tf.matMul(tf.leakyRelu(tf.add(tf.matMul(x, w1.variable), b1.variable), 0.2), w2.variable));
  const lossA = (y: Tensor) => tf.mean(tf.square(y));
  const lossB = (y: Tensor) => tf.sum(tf.sigmoid(y));
  return { parameters: [w1, b1, w2], w1, b1, w2, x, forward, lossA, lossB };
}

const values = (tensor: Tensor | null | undefined) => Array.from(tensor!.dataSync());

function thrown(fn: () => unknown): AutogradError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AutogradError);
    return error as AutogradError;
  }
  throw new Error('expected an AutogradError');
}

const FREED =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already ' +
  'been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retain_graph=True if you need to backward through the graph a second time or if you need to access ' +
  'saved tensors after calling backward.';

describe('Graph (PyTorch autograd on the tfjs engine)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('gives the same gradients as tf.variableGrads for two losses from one recorded forward', () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { a, b } = graph.record(() => {
      const y = net.forward();
      return { a: net.lossA(y), b: net.lossB(y) };
    });
    const fromA = graph.grad(a, net.parameters, { retainGraph: true }).gradients;
    const fromB = graph.grad(b, net.parameters).gradients;
    const variables = net.parameters.map((p) => p.variable);
    const expectedA = tf.variableGrads(() => net.lossA(net.forward()) as tf.Scalar, variables).grads;
    const expectedB = tf.variableGrads(() => net.lossB(net.forward()) as tf.Scalar, variables).grads;
    for (const p of net.parameters) {
      expect(values(fromA.get(p))).toEqual(values(expectedA[p.variable.name]));
      expect(values(fromB.get(p))).toEqual(values(expectedB[p.variable.name]));
    }
    graph.dispose();
  });

  it('backward() accumulates into .grad, as PyTorch sums the gradients of two backward calls', () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { a, b } = graph.record(() => {
      const y = net.forward();
      return { a: net.lossA(y), b: net.lossB(y) };
    });
    const separate = graph.grad(a, [net.w1], { retainGraph: true }).gradients.get(net.w1)!;
    const other = graph.grad(b, [net.w1], { retainGraph: true }).gradients.get(net.w1)!;
    graph.backward(a, { retainGraph: true });
    graph.backward(b);
    expect(values(net.w1.grad)).toEqual(values(tf.add(separate, other)));
    graph.dispose();
  });

  it("a second backward through freed nodes raises PyTorch's error, word for word; retainGraph prevents it", () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { a, b } = graph.record(() => {
      const y = net.forward();
      return { a: net.lossA(y), b: net.lossB(y) };
    });
    graph.backward(a, { retainGraph: true });
    graph.backward(b);
    const error = thrown(() => graph.backward(a));
    expect(error.kind).toBe('graph-freed');
    expect(error.message).toBe(FREED);
    graph.dispose();
  });

  it('frees only the nodes a pass traversed: a branch it did not reach can still be back-propagated', () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { first, second } = graph.record(() => ({
      first: tf.sum(tf.matMul(net.x, net.w1.variable)),
      second: tf.sum(tf.square(net.b1.variable)),
    }));
    graph.backward(first);
    expect(() => graph.backward(second)).not.toThrow();
    expect(values(net.b1.grad)).toEqual(values(tf.mul(net.b1.variable, 2)));
    graph.dispose();
  });

  it('releases the saved tensors at the backward that frees them, and the rest when disposed', () => {
    const net = smallNetwork();
    const before = tf.memory().numTensors;
    const graph = new Graph(net.parameters);
    const loss = graph.record(() => tf.tidy(() => net.lossA(net.forward())));
    const held = graph.heldBytes();
    expect(held).toBeGreaterThan(0);
    graph.backward(loss);
    expect(graph.heldBytes()).toBe(0);
    tf.dispose([loss, ...net.parameters.map((p) => p.takeGrad()!)]);
    graph.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("counts held bytes of distinct buffers, without parameter values (PyTorch saves those by reference)", () => {
    // x (5x3) and the matmul's output (5x2) are saved: 60 + 40 bytes; w (3x2) is saved too, but is the parameter.
    const w = parameter([3, 2], 5, 'w');
    const x = seeded([5, 3], 6);
    const graph = new Graph([w]);
    graph.record(() => tf.tidy(() => tf.sum(tf.sigmoid(tf.matMul(x, w.variable)))));
    expect(graph.heldBytes()).toBe(60 + 40);
    graph.dispose();
  });

  it("raises PyTorch's in-place error, naming the parameter and its versions, when a saved parameter was assigned", () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const loss = graph.record(() => net.lossA(net.forward()));
    graph.noGrad(() => net.w2.variable.assign(tf.zerosLike(net.w2.variable)));
    const error = thrown(() => graph.backward(loss));
    expect(error.kind).toBe('modified-in-place');
    expect(error.message).toBe(
      'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
        '[float32 [4, 2] w2] is at version 2; expected version 1 instead. Hint: enable anomaly detection to find ' +
        'the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).',
    );
    graph.dispose();
  });

  it('does not mind an assignment to a parameter that no traversed node saved (an added bias)', () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const loss = graph.record(() => net.lossA(net.forward()));
    graph.noGrad(() => net.b1.variable.assign(tf.zerosLike(net.b1.variable)));
    expect(() => graph.backward(loss)).not.toThrow();
    graph.dispose();
  });

  it("raises PyTorch's errors for a non-scalar loss, a loss with no gradient path and an unused input", () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { y, constant, onlyW1 } = graph.record(() => ({
      y: net.forward(),
      constant: tf.sum(net.x),
      onlyW1: tf.sum(tf.matMul(net.x, net.w1.variable)),
    }));
    expect(thrown(() => graph.backward(y)).message).toBe('grad can be implicitly created only for scalar outputs');
    expect(thrown(() => graph.backward(constant)).message).toBe(
      'element 0 of tensors does not require grad and does not have a grad_fn',
    );
    expect(thrown(() => graph.grad(onlyW1, [net.w1, net.w2])).kind).toBe('unused-input');
    graph.dispose();
  });

  it('records nothing under noGrad, as an optimizer step under torch.no_grad()', () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    graph.record(() => graph.noGrad(() => net.forward()));
    expect(graph.size).toBe(0);
    graph.dispose();
  });
});
