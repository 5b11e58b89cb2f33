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

describe('Graph: what it keeps and checks, kernel by kernel', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('back-propagates through the very first recorded node (a one-kernel loss)', () => {
    const w = parameter([3], 11, 'w');
    const x = tf.tensor1d([1, 2, 3]);
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(tf.mul(w.variable, x)));
    expect(values(graph.grad(loss, [w]).gradients.get(w))).toEqual([1, 2, 3]);
    graph.dispose();
  });

  it('checks the version of a parameter saved by the first node of the path', () => {
    const w = parameter([3, 2], 12, 'w');
    const x = seeded([5, 3], 13);
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(tf.matMul(x, w.variable)));
    graph.noGrad(() => w.variable.assign(tf.zerosLike(w.variable)));
    expect(thrown(() => graph.backward(loss)).kind).toBe('modified-in-place');
    graph.dispose();
  });

  it('lets a second backward through nodes that saved nothing, as PyTorch does for (-w).sum()', () => {
    const w = parameter([3], 14, 'w');
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(tf.neg(w.variable)));
    graph.backward(loss);
    expect(() => graph.backward(loss)).not.toThrow();
    expect(values(w.grad)).toEqual([-2, -2, -2]);
    graph.dispose();
  });

  it('keeps shapes, not tensors, for Sub, Reshape, ExpandDims, Sum and Mean, whose gradients read only shapes', () => {
    // x (5x3) is the only tensor kept: 60 bytes. Were any of the five kept as tfjs keeps it, the matmul's
    // output or c (5x2, 40 bytes) or the sum (4 bytes) would count too.
    const w = parameter([3, 2], 15, 'w');
    const x = seeded([5, 3], 16);
    const c = seeded([5, 2], 17);
    const graph = new Graph([w]);
    graph.record(() => tf.tidy(() => tf.mean(tf.sum(tf.expandDims(tf.reshape(tf.sub(tf.matMul(x, w.variable), c), [10]), 0), 1))));
    expect(graph.heldBytes()).toBe(60);
    graph.dispose();
  });

  it.each([
    ['Identity', (w: Tensor) => tf.clone(w)],
    ['ExpandDims and Squeeze', (w: Tensor) => tf.squeeze(tf.expandDims(w, 0), [0])],
  ] as const)('follows a parameter through %s: the saved view is the parameter to the version check', (_name, view) => {
    const w = parameter([3, 2], 18, 'w');
    const x = seeded([5, 3], 19);
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(tf.matMul(x, view(w.variable))));
    graph.noGrad(() => w.variable.assign(tf.zerosLike(w.variable)));
    expect(thrown(() => graph.backward(loss)).kind).toBe('modified-in-place');
    graph.dispose();
  });

  it('checks a parameter saved by a custom-gradient op too (its saved tensors are matched by buffer)', () => {
    const w = parameter([3], 20, 'w');
    const square = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const [input, save] = args as [Tensor, tf.GradSaveFunc];
      save([input]);
      return { value: tf.square(input), gradFunc: (dy: Tensor, [saved]: Tensor[]) => tf.mul(dy, tf.mul(saved!, 2)) };
    });
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(square(w.variable)));
    graph.noGrad(() => w.variable.assign(tf.zerosLike(w.variable)));
    expect(thrown(() => graph.backward(loss)).kind).toBe('modified-in-place');
    graph.dispose();
  });

  it("says which of PyTorch's errors: no grad_fn for a loss of frozen parameters, unused input for an input off the path", () => {
    const net = smallNetwork();
    const graph = new Graph(net.parameters);
    const { onlyW1 } = graph.record(() => ({ onlyW1: tf.sum(tf.matMul(net.x, net.w1.variable)) }));
    expect(thrown(() => graph.grad(onlyW1, [net.w2])).kind).toBe('unused-input');
    net.w1.requiresGrad = false;
    expect(thrown(() => graph.backward(onlyW1)).kind).toBe('no-grad-fn');
    graph.dispose();
  });

  it('refuses to record or differentiate once disposed, and disposing twice is harmless', () => {
    const w = parameter([3], 21, 'w');
    const graph = new Graph([w]);
    const loss = graph.record(() => tf.sum(tf.square(w.variable)));
    graph.dispose();
    expect(() => graph.dispose()).not.toThrow();
    expect(() => graph.record(() => tf.square(w.variable))).toThrow(/disposed at the end of its step/);
    expect(() => graph.backward(loss)).toThrow(/disposed at the end of its step/);
  });
});

describe('Parameter.grad', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('frees the tensor it held when replaced or set to None, keeps it when set to itself, hands it over with takeGrad', () => {
    const w = parameter([3], 22, 'w');
    const first = tf.ones([3]);
    const second = tf.ones([3]);
    w.grad = first;
    w.grad = first;
    expect(first.isDisposed).toBe(false);
    w.grad = second;
    expect(first.isDisposed).toBe(true);
    const taken = w.takeGrad();
    expect(taken).toBe(second);
    expect(w.grad).toBeNull();
    expect(second.isDisposed).toBe(false);
    w.grad = taken;
    w.grad = null;
    expect(second.isDisposed).toBe(true);
  });
});
