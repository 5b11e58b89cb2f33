import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutogradError } from '../../src/autograd/errors.js';
import { Graph } from '../../src/autograd/graph.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { activate } from '../../src/models/activation.js';
import { dense } from '../../src/models/dense.js';
import { countKernelFlops } from '../../src/measure/flops.js';
import { profileStep } from '../../src/measure/memory.js';
import { binaryCrossEntropy } from '../../src/models/loss.js';
import { tf, type Tensor } from '../../src/tf.js';

// Expected values: PyTorch 1.13 in float64, from a throwaway script building the same functions with every value
// from `values` below (tfjs layouts permuted to PyTorch's: a conv2dTranspose filter [kh, kw, out, in] is
// weight.permute(3, 2, 0, 1)), then
//   transposed: h = relu(z @ W0 + c0) as [2, 1, 1, 3]; y = tanh(conv_transpose2d(h, T, stride=2));
//               g, = autograd.grad(y.sum(), z, create_graph=True); (g.pow(2).sum()).backward()
//   filter:     y = tanh(conv2d(x, F)) (x [2, 3, 3, 1] NHWC requiring grad, F [2, 2, 1, 2]);
//               g, = autograd.grad(y.sum(), F, create_graph=True); (g.pow(2).sum()).backward()
//   bce:        loss = binary_cross_entropy(sigmoid(x @ w), t); g, = autograd.grad(loss, w, create_graph=True);
//               (g.pow(2).sum()).backward()
// printing the penalty and each .grad flattened.
const PYTORCH = {
  transposed: { penalty: 0.1945362798, grads: [[0.3245058682, 0.1796793952, 0, -0.3117618819, -0.1714224641, 0], [-0.06472172038, -0.07508911311, 0], [0.7238503606, 0.1483236661, 0, 0.77083893, 0.1884416148, 0, 0.7832513403, 0.1989562641, 0, 0.7370604409, 0.1593067527, 0]], zGrad: [-0.05240266975, 0.0284662288, -0.00179753261, 0.001934115147] },
  filter: { penalty: 8.109895152, filterGrad: [4.399948665, 3.850874012, -0.8036898104, -2.370148565, -1.780306519, -0.3684498416, 3.877461014, 4.92177814], xGrad: [3.654485094, 2.203459149, -2.094218726, 3.067968996, 5.68230047, 1.766935626, -0.8021839726, 5.446087795, 2.438526958, 2.551020677, 2.687815692, -1.822656969, 3.666565336, 3.969889139, 3.408194838, -1.308212173, 4.991626087, 3.825351772] },
  bce: { penalty: 0.09370395516, grad: [-0.02100694956, 0.05860090143, 0.05235829454] },
};

/** `scale * sin(phase + 1.3 i)` for i over the shape, row-major. */
const values = (shape: number[], phase: number, scale = 0.5) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(phase + 1.3 * i)), shape);
let instance = 0;
const parameter = (value: Tensor, name: string) => new Parameter(tf.variable(value, true, `${name}-double-${instance++}`), name);

function expectClose(actual: Tensor | null | number, expected: number[] | number): void {
  const got = typeof actual === 'number' ? [actual] : Array.from(actual!.dataSync());
  const want = typeof expected === 'number' ? [expected] : expected;
  expect(got).toHaveLength(want.length);
  const scale = Math.max(1e-3, ...want.map(Math.abs));
  got.forEach((value, i) => expect(Math.abs(value - want[i]!)).toBeLessThan(2e-6 * scale + 1e-7));
}

function thrown(fn: () => unknown): AutogradError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AutogradError);
    return error as AutogradError;
  }
  throw new Error('expected an AutogradError');
}

/** The tiny GAN's D, 4-5-1 (LeakyReLU 0.2, sigmoid), at batch 2, on a real batch that requires grad. */
function tinyDiscriminator() {
  const weights = [parameter(values([4, 5], 0.1), 'w0'), parameter(values([5], 0.2, 0.1), 'b0'), parameter(values([5, 1], 0.3), 'w1'), parameter(values([1], 0.4, 0.1), 'b1')];
  const [w0, b0, w1, b1] = weights.map((p) => p.variable);
  const forward = (x: Tensor) => dense(dense(x, w0!, b0!, 'leakyRelu'), w1!, b1!, 'sigmoid');
  return { weights, forward, real: values([2, 4], 0.5, 0.9) };
}

describe('createGraph: a backward of a backward', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('through a fused ReLU layer, a transposed convolution and tanh: the gradients PyTorch gives', () => {
    const W0 = parameter(values([2, 3], 1.1), 'W0');
    const c0 = parameter(values([3], 1.2, 0.1), 'c0');
    const T = parameter(values([2, 2, 1, 3], 1.3), 'T');
    const graph = new Graph([W0, c0, T]);
    const z = values([2, 2], 1.4, 0.9);
    const penalty = graph.record(() => {
      graph.requiresGrad_(z);
      const h = tf.reshape(dense(z, W0.variable, c0.variable, 'relu'), [2, 1, 1, 3]) as tf.Tensor4D;
      const y = activate(tf.conv2dTranspose(h, T.variable as tf.Tensor4D, [2, 2, 2, 1], 2, 'valid'), 'tanh');
      const [g] = graph.grad(tf.sum(y), [z], { createGraph: true }).gradients.values();
      const value = tf.sum(tf.square(g!));
      graph.backward(value);
      return value;
    });
    expectClose(penalty.dataSync()[0]!, PYTORCH.transposed.penalty);
    [W0, c0, T].forEach((p, i) => expectClose(p.grad, PYTORCH.transposed.grads[i]!));
    expectClose(graph.gradOf(z), PYTORCH.transposed.zGrad);
    graph.dispose();
  });

  it("through a convolution's filter gradient (Conv2DBackpropFilter, whose gradient tfjs lacks)", () => {
    const filter = parameter(values([2, 2, 1, 2], 3.1), 'F');
    const graph = new Graph([filter]);
    const x = values([2, 3, 3, 1], 3.2, 0.9) as tf.Tensor4D;
    const penalty = graph.record(() => {
      graph.requiresGrad_(x);
      const y = activate(tf.conv2d(x, filter.variable as tf.Tensor4D, 1, 'valid'), 'tanh');
      const [g] = graph.grad(tf.sum(y), [filter], { createGraph: true }).gradients.values();
      const value = tf.sum(tf.square(g!));
      graph.backward(value);
      return value;
    });
    expectClose(penalty.dataSync()[0]!, PYTORCH.filter.penalty);
    expectClose(filter.grad, PYTORCH.filter.filterGrad);
    expectClose(graph.gradOf(x), PYTORCH.filter.xGrad);
    graph.dispose();
  });

  it("through BCE's gradient: PyTorch's binary_cross_entropy double backward", () => {
    const w = parameter(values([3, 1], 1.5), 'w');
    const graph = new Graph([w]);
    const x = values([4, 3], 1.6, 0.9);
    const t = tf.tensor2d([[1], [0], [1], [0]]);
    const penalty = graph.record(() => {
      const loss = binaryCrossEntropy(dense(x, w.variable, null, 'sigmoid'), t);
      const [g] = graph.grad(loss, [w], { createGraph: true }).gradients.values();
      const value = tf.sum(tf.square(g!));
      graph.backward(value);
      return value;
    });
    expectClose(penalty.dataSync()[0]!, PYTORCH.bce.penalty);
    expectClose(w.grad, PYTORCH.bce.grad);
    graph.dispose();
  });

  it('holds the forward and the recorded backward after grad(createGraph), byte for byte, and frees both with the penalty', () => {
    // D(real)'s forward saves real (2x4) 32, layer 0's LeakyReLU output (2x5) 40 (also layer 1's input: one
    // buffer), the sigmoid output (2x1) 8; the weights are parameters (by reference). The recorded backward saves
    // what PyTorch's create_graph backward saves: sigmoid_backward its incoming ones (2x1) 8 and the output (held
    // already), the product dPre1 . W1^T its dPre1 (2x1) 8 and W1, leaky_relu_backward its incoming dh (2x5) 40 and
    // h (held), the product dPre0 . W0^T its dPre0 (2x5) 40 and W0. 80 + 96 = 176 bytes. The penalty's square
    // saves g (2x4) 32 more: 208. The penalty's backward (retain_graph False) frees all of it.
    const { weights, forward, real } = tinyDiscriminator();
    const graph = new Graph(weights);
    graph.record(() => {
      graph.requiresGrad_(real);
      const [g] = graph.grad(tf.sum(forward(real)), [real], { createGraph: true }).gradients.values();
      expect(graph.heldBytes()).toBe(176);
      const penalty = tf.mean(tf.sum(tf.square(g!), 1));
      expect(graph.heldBytes()).toBe(208);
      graph.backward(penalty);
      expect(graph.heldBytes()).toBe(0);
    });
    graph.dispose();
  });

  it("retains the graph by default with createGraph (PyTorch's retain_graph=create_graph), frees it without", () => {
    const { weights, forward, real } = tinyDiscriminator();
    const graph = new Graph(weights);
    graph.record(() => {
      graph.requiresGrad_(real);
      const output = tf.sum(forward(real));
      graph.grad(output, [real], { createGraph: true });
      expect(() => graph.grad(output, [real])).not.toThrow();
      expect(thrown(() => graph.grad(output, [real])).kind).toBe('graph-freed');
    });
    graph.dispose();
  });

  it('a second backward through a freed recorded backward raises the freed-graph error', () => {
    const { weights, forward, real } = tinyDiscriminator();
    const graph = new Graph(weights);
    graph.record(() => {
      graph.requiresGrad_(real);
      const [g] = graph.grad(tf.sum(forward(real)), [real], { createGraph: true }).gradients.values();
      const penalty = tf.sum(tf.square(g!));
      graph.backward(penalty);
      expect(thrown(() => graph.backward(penalty)).kind).toBe('graph-freed');
    });
    graph.dispose();
  });

  it("accumulates a data tensor's .grad over backward calls, as PyTorch's real.grad, and leaves nothing behind", () => {
    const { weights, forward, real } = tinyDiscriminator();
    const before = tf.memory().numTensors;
    const graph = new Graph(weights);
    tf.tidy(() =>
      graph.record(() => {
        graph.requiresGrad_(real);
        const loss = tf.sum(forward(real));
        graph.backward(loss, { retainGraph: true });
        const once = tf.clone(graph.gradOf(real)!);
        graph.backward(loss);
        expectClose(graph.gradOf(real), Array.from(tf.mul(once, 2).dataSync()));
      }),
    );
    graph.dispose();
    for (const p of weights) p.grad = null;
    expect(tf.memory().numTensors).toBe(before);
  });

  it("computes a convolution's gradient for a constant incoming gradient in the double backward, as PyTorch", async () => {
    // PyTorch's convolution double backward (_convolution_double_backward) computes ggO = conv(ggI, w) whether or
    // not the incoming gradient needs one. Measured with FlopCounterMode (PyTorch 1.13 and 2.13 alike): x [2, 2, 2, 2]
    // requiring grad, w [1, 2, 2, 2]; g, = autograd.grad(conv2d(x, w).sum(), x, create_graph=True);
    // g.pow(2).sum().backward() costs 64 FLOPs, two convolutions of 2 x 2 x 8 = 32: gW = conv(ggI, gO) and ggO,
    // thrown away (gO is sum's gradient, a constant). Here the same shapes, NHWC.
    const w = parameter(values([2, 2, 2, 1], 4.1), 'w');
    const graph = new Graph([w]);
    const x = values([2, 2, 2, 2], 4.2, 0.9) as tf.Tensor4D;
    let penalty: Tensor | undefined;
    graph.record(() => {
      graph.requiresGrad_(x);
      const [g] = graph.grad(tf.sum(tf.conv2d(x, w.variable as tf.Tensor4D, 1, 'valid')), [x], { createGraph: true }).gradients.values();
      penalty = tf.sum(tf.square(g!));
    });
    const { kernels } = await profileStep(() => graph.record(() => graph.backward(penalty!)));
    expect(countKernelFlops(kernels).flops).toBe(64);
    expect(kernels.map(({ name }) => name).filter((name) => name.startsWith('Conv2D')).sort()).toEqual(['Conv2D', 'Conv2DBackpropFilter']);
    graph.dispose();
  });
});

// PyTorch 1.13's messages for the same calls (torch.autograd.grad on w * x with w requiring grad, x not).
describe("PyTorch's errors for grad()", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it('words each as PyTorch 1.13 does, in its order: outputs first, then inputs', () => {
    const w = parameter(values([3], 2.1), 'w');
    const x = values([3], 2.2);
    const graph = new Graph([w]);
    graph.record(() => {
      const y = tf.mul(w.variable, x);
      expect(thrown(() => graph.grad(y, [w])).message).toBe('grad can be implicitly created only for scalar outputs');
      expect(thrown(() => graph.grad(tf.sum(y), [x])).message).toBe('One of the differentiated Tensors does not require grad');
      expect(thrown(() => graph.grad(tf.sum(x), [w])).message).toBe('element 0 of tensors does not require grad and does not have a grad_fn');
      expect(thrown(() => graph.grad([tf.sum(y), tf.sum(x)], [w])).message).toBe('element 1 of tensors does not require grad and does not have a grad_fn');
      expect(thrown(() => graph.grad(tf.sum(x), [x])).message).toBe('element 0 of tensors does not require grad and does not have a grad_fn');
      expect(thrown(() => graph.grad(y, [w], { gradOutputs: tf.ones([2]) })).message).toBe(
        'Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3]).',
      );
      expect(thrown(() => graph.backward(tf.sum(x))).message).toBe('element 0 of tensors does not require grad and does not have a grad_fn');
    });
    graph.dispose();
  });

  it('weights a non-scalar output by grad_outputs, as a vector-Jacobian product', () => {
    const w = parameter(values([3], 2.1), 'w');
    const x = values([3], 2.2);
    const graph = new Graph([w]);
    graph.record(() => {
      const [g] = graph.grad(tf.mul(w.variable, x), [w], { gradOutputs: tf.tensor1d([1, 2, 3]) }).gradients.values();
      expectClose(g!, Array.from(tf.mul(x, tf.tensor1d([1, 2, 3])).dataSync()));
    });
    graph.dispose();
  });
});
