import { describe, expect, it } from 'vitest';
import { countKernelFlops, kernelFlops, predictFlops } from '../../src/measure/flops.js';

describe('kernelFlops', () => {
  it('counts a batched matrix multiplication as 2*M*N*K per batch', () => {
    expect(kernelFlops({ name: 'BatchMatMul', inputShapes: [[1, 64, 100], [1, 100, 128]], outputShapes: [[1, 64, 128]] })).toBe(
      2 * 64 * 128 * 100,
    );
  });

  it('reads the inner dimension of a transposed operand from its size', () => {
    // dW = x^T dy: a is x [1, 64, 100] transposed, out [1, 100, 128]: K = 64.
    expect(kernelFlops({ name: 'BatchMatMul', inputShapes: [[1, 64, 100], [1, 64, 128]], outputShapes: [[1, 100, 128]] })).toBe(
      2 * 100 * 128 * 64,
    );
  });

  it('counts convolutions and their two gradients as 2 * output * kh * kw * in', () => {
    expect(kernelFlops({ name: 'Conv2D', inputShapes: [[2, 8, 8, 3], [3, 3, 3, 16]], outputShapes: [[2, 8, 8, 16]] })).toBe(
      2 * 2 * 8 * 8 * 16 * 27,
    );
    expect(
      kernelFlops({ name: 'Conv2DBackpropInput', inputShapes: [[2, 8, 8, 16], [3, 3, 3, 16]], outputShapes: [[2, 8, 8, 3]] }),
    ).toBe(2 * 2 * 8 * 8 * 16 * 27);
    expect(
      kernelFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[2, 8, 8, 3], [2, 8, 8, 16]], outputShapes: [[3, 3, 3, 16]] }),
    ).toBe(2 * 2 * 8 * 8 * 16 * 27);
  });

  it('counts elementwise kernels as zero but still counts them as kernels', () => {
    const kernels = [
      { name: 'Add', inputShapes: [[4], [4]], outputShapes: [[4]] },
      { name: 'BatchMatMul', inputShapes: [[1, 2, 3], [1, 3, 4]], outputShapes: [[1, 2, 4]] },
    ];
    expect(countKernelFlops(kernels)).toEqual({ flops: 48, kernels: 2 });
  });
});

describe('predictFlops', () => {
  const layersOf = {
    generator: [{ inputSize: 2, outputSize: 3 }, { inputSize: 3, outputSize: 4 }],
    discriminator: [{ inputSize: 4, outputSize: 5 }, { inputSize: 5, outputSize: 1 }],
  };

  it('charges a forward 2*B*I*O per layer', () => {
    expect(predictFlops({ forwards: [{ network: 'generator', batchSize: 2 }], backwards: [] }, layersOf)).toBe(72);
  });

  it('skips the first layer input gradient unless the gradient reached the network input', () => {
    const backward = (inputGradient: boolean) =>
      predictFlops(
        { forwards: [], backwards: [{ network: 'discriminator', batchSize: 2, parameterGradients: true, inputGradient }] },
        layersOf,
      );
    expect(backward(false)).toBe(100 + 20);
    expect(backward(true)).toBe(100 + 80 + 20);
  });

  it('computes no weight gradients when only the input needs one', () => {
    expect(
      predictFlops(
        { forwards: [], backwards: [{ network: 'discriminator', batchSize: 2, parameterGradients: false, inputGradient: true }] },
        layersOf,
      ),
    ).toBe(100);
  });
});

describe('kernelFlops on convolutions as tfjs runs them, against hand-computed counts', () => {
  // A conv2d 3 -> 8, 4x4 kernel, stride 2, padding 1, on a batch of 2 images of 16x16 (NHWC): output 8x8.
  // Each output element sums 4·4·3 = 48 products: 2 · (2·8·8·8 outputs) · 48 = 98,304 FLOPs.
  it('counts a convolution as 2 x outputs x k² x in', () => {
    expect(kernelFlops({ name: 'Conv2D', inputShapes: [[2, 16, 16, 3], [4, 4, 3, 8]], outputShapes: [[2, 8, 8, 8]] })).toBe(98_304);
  });

  it("counts its input gradient (Conv2DBackpropInput: dy [2, 8, 8, 8], the filter) and its filter gradient the same", () => {
    expect(kernelFlops({ name: 'Conv2DBackpropInput', inputShapes: [[2, 8, 8, 8], [4, 4, 3, 8]], outputShapes: [[2, 16, 16, 3]] })).toBe(98_304);
    expect(kernelFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[2, 16, 16, 3], [2, 8, 8, 8]], outputShapes: [[4, 4, 3, 8]] })).toBe(98_304);
  });

  // A transposed convolution 8 -> 3 (ConvTranspose2d(8, 3, 4, 2, 1)) on 2 inputs of 8x8: output 16x16. PyTorch's
  // count: every input element scatters into 4·4·3 outputs, 2 · (2·8·8·8 inputs) · 48 = 98,304: the convolution
  // above run backwards. tfjs's conv2dTranspose is that Conv2DBackpropInput kernel, its filter [4, 4, 3 (out), 8 (in)].
  it('counts a transposed convolution (tfjs: Conv2DBackpropInput) as 2 x inputs x k² x out, PyTorch\'s count', () => {
    expect(kernelFlops({ name: 'Conv2DBackpropInput', inputShapes: [[2, 8, 8, 8], [4, 4, 3, 8]], outputShapes: [[2, 16, 16, 3]] })).toBe(
      2 * (2 * 8 * 8 * 8) * 4 * 4 * 3,
    );
    // Its input gradient is a convolution of the output's gradient with the same filter; its filter gradient a
    // Conv2DBackpropFilter with x = the output's gradient [2, 16, 16, 3] and dy = its input [2, 8, 8, 8].
    expect(kernelFlops({ name: 'Conv2D', inputShapes: [[2, 16, 16, 3], [4, 4, 3, 8]], outputShapes: [[2, 8, 8, 8]] })).toBe(98_304);
    expect(kernelFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[2, 16, 16, 3], [2, 8, 8, 8]], outputShapes: [[4, 4, 3, 8]] })).toBe(98_304);
  });

  it('counts what a real transposed convolution and its gradients run, on the cpu backend, as the hand count', async () => {
    const { tf } = await import('../../src/tf.js');
    const { profileStep } = await import('../../src/measure/memory.js');
    const { gradientsOf } = await import('../helpers/gradients.js');
    await tf.setBackend('cpu');
    const x = tf.variable(tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 1));
    const filter = tf.variable(tf.randomNormal([4, 4, 3, 8], 0, 1, 'float32', 2));
    const profile = await profileStep(() => {
      const { value, gradients } = gradientsOf([x, filter], () => tf.sum(tf.conv2dTranspose(x as never, filter as never, [2, 16, 16, 3], 2, 1)));
      tf.dispose([value, ...gradients]);
    });
    const convolutions = profile.kernels.filter(({ name }) => name.startsWith('Conv2D'));
    expect(convolutions.map(({ name }) => name)).toEqual(['Conv2DBackpropInput', 'Conv2D', 'Conv2DBackpropFilter']);
    expect(countKernelFlops(convolutions).flops).toBe(3 * 98_304);
    tf.dispose([x, filter]);
  });
});

describe('predictFlops with convolutional layers', () => {
  const conv = (layer: 'conv2d' | 'convTranspose2d', inChannels: number, outChannels: number, inSide: number, outSide: number) => ({
    layer,
    inChannels,
    outChannels,
    kernelSize: 4,
    stride: 2,
    padding: 1,
    inHeight: inSide,
    inWidth: inSide,
    outHeight: outSide,
    outWidth: outSide,
    bias: false,
    batchNorm: false,
  });
  // G: one ConvTranspose2d 8 -> 3 from 8x8 to 16x16 (24,576 MACs per sample); D: one Conv2d 3 -> 8 back (24,576).
  const layersOf = { generator: [conv('convTranspose2d', 8, 3, 8, 16)], discriminator: [conv('conv2d', 3, 8, 16, 8)] };

  it('charges each forward 2·B·MACs and each backward product the same, as for dense layers', () => {
    expect(predictFlops({ forwards: [{ network: 'generator', batchSize: 2 }, { network: 'discriminator', batchSize: 2 }], backwards: [] }, layersOf)).toBe(
      2 * 98_304,
    );
    const backward = (parameterGradients: boolean, inputGradient: boolean) =>
      predictFlops({ forwards: [], backwards: [{ network: 'discriminator', batchSize: 2, parameterGradients, inputGradient }] }, layersOf);
    expect([backward(true, false), backward(true, true), backward(false, true)]).toEqual([98_304, 2 * 98_304, 98_304]);
  });
});
