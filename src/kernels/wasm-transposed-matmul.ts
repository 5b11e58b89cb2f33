/**
 * Matrix products with a transposed operand at XNNPACK's speed on the wasm backend, still as one BatchMatMul.
 *
 * tfjs-backend-wasm 4.22 hands a product to XNNPACK's fully-connected operator only in the plain layout
 * (`fused_batch_mat_mul` in tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc: `!transpose_a && !transpose_b` and a
 * batch of one); with either transpose flag it runs `slow_batch_matmul`, a scalar, blocked triple loop with
 * strided loads, about a tenth of XNNPACK's throughput. A dense layer's backward is exactly one product of each
 * transposed form (dY·Wᵀ and Xᵀ·dY), so without this a backward FLOP cost ten times a forward one on wasm, a
 * property of that loop and not of the training step (PyTorch's BLAS takes either layout at full speed).
 *
 * The fix: wasm's BatchMatMul kernel is re-registered with a wrapper that, for a transposed product of single
 * matrices, lays the operands out with wasm's own Transpose kernel and runs wasm's own plain product. It is
 * still one BatchMatMul kernel to the engine, to profiles and to the FLOP count, as on every other backend.
 * Every output element is the same dot product summed in the same order (XNNPACK's kernels accumulate along
 * the inner dimension in order, whichever operand is packed), so the values are identical to the plain product
 * of the explicitly transposed operand (tested bit for bit). docs/costs.md has the measurements.
 */
import { tf } from '../tf.js';
import { callKernel, disposeIntermediate } from './kernel.js';

/**
 * How to compute `op(A)·op(B)` (M×K by K×N) with plain products only:
 * - `direct`: transpose each flagged operand, then `A'·B'`;
 * - `swapped`: `(op(B)ᵀ·op(A)ᵀ)ᵀ`, where a flagged operand is already in the layout the swapped product needs, so
 *   only the unflagged ones and the N×M result are transposed.
 */
export type ProductPlan = 'direct' | 'swapped';

export interface ProductDims {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Elements each plan moves besides the product itself: every transpose moves its operand once, and XNNPACK
 * repacks the right-hand operand of every product (its "weights", K×N) before it multiplies. Both cost about
 * the same per element (docs/costs.md), so the plan that moves fewer elements is the faster one.
 */
export function planCosts({ m, k, n, transposeA, transposeB }: ProductDims): Record<ProductPlan, number> {
  return {
    direct: (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n,
    swapped: (transposeA ? 0 : m * k) + (transposeB ? 0 : k * n) + k * m + m * n,
  };
}

/**
 * The cheaper plan. For dY·Wᵀ at a small batch (M = batch ≪ K, N) that is `swapped`: it transposes the two
 * batch-sized matrices instead of the weight matrix, and packs dYᵀ instead of Wᵀ. For Xᵀ·dY it is `direct`.
 */
export function planTransposedProduct(dims: ProductDims): ProductPlan {
  const costs = planCosts(dims);
  return costs.swapped < costs.direct ? 'swapped' : 'direct';
}

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** The kernel functions this module installed, so that installing twice wraps once. */
const installed = new WeakSet<tf.KernelFunc>();

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The same buffer seen as one [rows, cols] matrix in a batch of one (no copy, no reference taken). */
const view = (info: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo => ({ dataId: info.dataId, shape: [1, rows, cols], dtype: info.dtype });

/**
 * Wraps wasm's own BatchMatMul (kept as `plain`) so that a transposed product of single matrices runs plain;
 * `choosePlan` is exported for measuring the plans against each other (docs/costs.md).
 */
export function transposingBatchMatMul(plain: tf.KernelFunc, choosePlan: (dims: ProductDims) => ProductPlan = planTransposedProduct): tf.KernelFunc {
  const kernelFunc: tf.KernelFunc = (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    // Batched products (and float32 checks, and shape errors) stay wasm's own: its plain path needs a batch of one too.
    const single = product(a.shape.slice(0, -2)) === 1 && product(b.shape.slice(0, -2)) === 1;
    if ((!transposeA && !transposeB) || !single || a.shape.length < 2 || b.shape.length < 2 || a.dtype !== 'float32') {
      return plain(args);
    }
    const [aRows, aCols] = a.shape.slice(-2) as [number, number];
    const [bRows, bCols] = b.shape.slice(-2) as [number, number];
    const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
    const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
    if (k !== kB) return plain(args); // wasm's kernel throws its own message
    const transpose = (x: tf.TensorInfo) => callKernel(backend, 'Transpose', { x }, { perm: [0, 2, 1] });
    const multiply = (left: tf.TensorInfo, right: tf.TensorInfo) =>
      plain({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    const aView = view(a, aRows, aCols);
    const bView = view(b, bRows, bCols);
    let out: tf.TensorInfo;
    if (choosePlan({ m, k, n, transposeA, transposeB }) === 'direct') {
      const left = transposeA ? transpose(aView) : aView; // M×K
      const right = transposeB ? transpose(bView) : bView; // K×N
      out = multiply(left, right);
      disposeIntermediate(backend, ...(transposeA ? [left] : []), ...(transposeB ? [right] : []));
    } else {
      const left = transposeB ? bView : transpose(bView); // op(B)ᵀ: N×K
      const right = transposeA ? aView : transpose(aView); // op(A)ᵀ: K×M
      const swapped = multiply(left, right); // N×M
      out = transpose(swapped);
      disposeIntermediate(backend, swapped, ...(transposeB ? [] : [left]), ...(transposeA ? [] : [right]));
    }
    const batchRank = Math.max(a.shape.length, b.shape.length) - 2;
    return { dataId: out.dataId, shape: [...(new Array(batchRank).fill(1) as number[]), m, n], dtype: out.dtype };
  };
  installed.add(kernelFunc);
  return kernelFunc;
}

/**
 * Re-registers the wasm backend's BatchMatMul with the transposing wrapper (once; the original's setup, which
 * binds the WebAssembly export, is kept). Call after @tensorflow/tfjs-backend-wasm has registered its kernels.
 */
export function installWasmTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (original === undefined) throw new Error("installWasmTransposedMatMul: wasm's BatchMatMul kernel is not registered (import @tensorflow/tfjs-backend-wasm first)");
  if (installed.has(original.kernelFunc)) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: transposingBatchMatMul(original.kernelFunc) });
}

/** Whether the wasm backend's BatchMatMul is the transposing wrapper (tests and the calibration note ask). */
export function hasWasmTransposedMatMul(): boolean {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  return current !== undefined && installed.has(current.kernelFunc);
}
