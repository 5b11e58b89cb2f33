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
