import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../src/backends/index.js';
import {
  hasWasmTransposedMatMul,
  installWasmTransposedMatMul,
  planCosts,
  planTransposedProduct,
} from '../../src/kernels/wasm-transposed-matmul.js';
import { countKernelFlops } from '../../src/measure/flops.js';
import { profileStep } from '../../src/measure/memory.js';
import { tf, type Tensor } from '../../src/tf.js';

describe('planTransposedProduct', () => {
  it('counts the elements each plan transposes or packs', () => {
    // dY·Wᵀ at batch 64 through a 1024 → 784 layer: M = 64, K = 784, N = 1024.
    expect(planCosts({ m: 64, k: 784, n: 1024, transposeA: false, transposeB: true })).toEqual({
      direct: 784 * 1024 + 784 * 1024, // Wᵀ transposed, then packed
      swapped: 64 * 784 + 784 * 64 + 64 * 1024, // dY transposed, dYᵀ packed, the 1024×64 result transposed
    });
    // Xᵀ·dY: M = 1024, K = 64, N = 784.
    expect(planCosts({ m: 1024, k: 64, n: 784, transposeA: true, transposeB: false })).toEqual({
      direct: 1024 * 64 + 64 * 784,
      swapped: 64 * 784 + 64 * 1024 + 1024 * 784,
    });
  });

  it('swaps the input gradient at a small batch and keeps it direct at a large one; the weight gradient is always direct', () => {
    expect(planTransposedProduct({ m: 64, k: 784, n: 1024, transposeA: false, transposeB: true })).toBe('swapped');
    expect(planTransposedProduct({ m: 4096, k: 784, n: 1024, transposeA: false, transposeB: true })).toBe('direct');
    expect(planTransposedProduct({ m: 1024, k: 64, n: 784, transposeA: true, transposeB: false })).toBe('direct');
    expect(planTransposedProduct({ m: 1024, k: 4096, n: 784, transposeA: true, transposeB: false })).toBe('direct');
  });
});

/** Every value, bit for bit (NaN and -0 included). */
const bits = (tensor: Tensor) => Array.from(new Uint32Array(Float32Array.from(tensor.dataSync()).buffer));

/** The plain product of the explicitly transposed operands: what the wrapper must equal. */
function explicitly(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const swapLast = (x: Tensor) => tf.transpose(x, [...x.shape.keys()].map((i) => (i < x.rank - 2 ? i : i === x.rank - 2 ? x.rank - 1 : x.rank - 2)));
  return tf.tidy(() => tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b));
}

describe('the transposing BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await backends.wasm.start();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is installed when the wasm backend starts, once however often it is installed', () => {
    expect(hasWasmTransposedMatMul()).toBe(true);
    const before = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    installWasmTransposedMatMul();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(before);
  });

  // K = 100 > 48, the block of wasm's fallback loop, whose blocked sums round differently: without the wrapper
  // these products are not bit-identical to the plain product.
  const CASES: Array<[string, number[], number[], boolean, boolean]> = [
    ['dY·Wᵀ at a small batch (swapped)', [1, 3, 100], [1, 70, 100], false, true],
    ['dY·Wᵀ at a large batch (direct)', [1, 90, 100], [1, 5, 100], false, true],
    ['Xᵀ·dY (direct)', [1, 100, 6], [1, 100, 7], true, false],
    ['both transposed', [100, 4], [9, 100], true, true],
    ['rank-2 operands', [5, 100], [8, 100], false, true],
    ['a single row', [1, 100], [1, 100], true, false],
  ];

  it.each(CASES)('computes %s bit for bit as the plain product of the transposed operand', (_, aShape, bShape, transposeA, transposeB) => {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
    const ours = tf.matMul(a, b, transposeA, transposeB);
    const reference = explicitly(a, b, transposeA, transposeB);
    expect(ours.shape).toEqual(reference.shape);
    expect(bits(ours)).toEqual(bits(reference));
    tf.dispose([a, b, ours, reference]);
  });

  it('leaves batched products to wasm itself, with the values of the plain product', () => {
    const a = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 3);
    const b = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 4);
    const ours = tf.matMul(a, b, false, true);
    const reference = explicitly(a, b, false, true);
    expect(ours.shape).toEqual([2, 4, 5]);
    const [x, y] = [ours.dataSync(), reference.dataSync()];
    x.forEach((value, i) => expect(value).toBeCloseTo(y[i]!, 5));
    tf.dispose([a, b, ours, reference]);
  });

  it('runs as one BatchMatMul kernel with the plain product\'s FLOPs, and frees its scratch buffers', async () => {
    const a = tf.randomNormal([1, 3, 100], 0, 1, 'float32', 5);
    const b = tf.randomNormal([1, 70, 100], 0, 1, 'float32', 6);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffersBefore = backend.numDataIds();
    let result: Tensor | undefined;
    const profile = await profileStep(() => {
      result = tf.matMul(a, b, false, true);
    });
    expect(profile.kernels.map(({ name }) => name)).toEqual(['BatchMatMul']);
    expect(countKernelFlops(profile.kernels)).toEqual({ flops: 2 * 3 * 100 * 70, kernels: 1 });
    expect(backend.numDataIds()).toBe(buffersBefore + 1); // the result and nothing else
    tf.dispose([a, b, result!]);
    expect(backend.numDataIds()).toBe(buffersBefore - 2);
  });
});
