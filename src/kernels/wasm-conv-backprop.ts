/**
 * A convolution's two backward kernels on the wasm backend at XNNPACK's speed, still one kernel each.
 *
 * tfjs-backend-wasm 4.22 runs `Conv2DBackpropInput` (a transposed convolution's forward, and every convolution's
 * input gradient) in a scalar loop, about a tenth of the throughput of its XNNPACK `Conv2D` (measured at DCGAN's
 * shapes: 2.6 against 24 GFLOP/s), and has no `Conv2DBackpropFilter` at all. A DCGAN's generator is transposed
 * convolutions, so without this its forward would cost ten times a discriminator forward per FLOP, and a strategy
 * that runs more input gradients would pay for that loop, not for its work (docs/costs.md found the same for
 * transposed matrix products). PyTorch lowers both to matrix products (im2col / col2im around a GEMM).
 *
 * Both here do that: the product runs in wasm's own BatchMatMul (XNNPACK, through the transposing wrapper of
 * wasm-transposed-matmul.ts), the gather and scatter in JavaScript loops over the WebAssembly heap.
 * - filter gradient: colsᵀ [kh kw cin, positions] (x's windows, zero where they reach into the padding) times
 *   dy [positions, cout], in the filter's [kh, kw, cin, cout] order;
 * - input gradient: cols = dy [positions, cout] times the filter [kh kw cin, cout]ᵀ, each row scattered back
 *   (added) into dx at its window.
 * NHWC, no dilation; any stride and padding (numeric, 'same', 'valid' or explicit: computeConv2DInfo's padInfo).
 * The values equal wasm's and the cpu backend's to float32 rounding (test/kernels/conv-backprop.test.ts); the
 * engine, profiles and FLOP counts see the one kernel with its usual inputs and attributes.
 */
import { tf } from '../tf.js';
import { allocateOutput, callKernel, disposeIntermediate, readValues } from './kernel.js';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Padding = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Padding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: Padding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** The kernel functions this module installed, so that installing twice installs once. */
const installed = new WeakSet<tf.KernelFunc>();

/** The same buffer seen as one [rows, cols] matrix in a batch of one (no copy, no reference taken). */
const view = (info: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo => ({ dataId: info.dataId, shape: [1, rows, cols], dtype: info.dtype });

function convInfoOf(kernelName: string, xShape: [number, number, number, number], filterShape: [number, number, number, number], attrs: BackpropFilterAttrs | BackpropInputAttrs): Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`${kernelName} on wasm: only NHWC is supported, got ${attrs.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/**
 * Calls `visit(row, xOffset, column)` for every window element inside x: `row` indexes positions (b, y, x) of
 * the output, `column` the filter taps (i, j) times cin, `xOffset` the x element of channel 0 at that tap.
 */
function forEachWindow(info: Conv2DInfo, visit: (row: number, xOffset: number, tap: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const row = (b * outHeight + oy) * outWidth + ox;
        for (let i = 0; i < filterHeight; i++) {
          const y = oy * strideHeight - padInfo.top + i;
          if (y < 0 || y >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const x = ox * strideWidth - padInfo.left + j;
            if (x < 0 || x >= inWidth) continue;
            visit(row, ((b * inHeight + y) * inWidth + x) * inChannels, i * filterWidth + j);
          }
        }
      }
    }
  }
}

/** dW of a convolution of x (NHWC) with a filter of `filterShape`, from the output's gradient dy. */
export const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const options = attrs as unknown as BackpropFilterAttrs;
  const info = convInfoOf('Conv2DBackpropFilter', x.shape as [number, number, number, number], options.filterShape, options);
  const { inChannels, outChannels, filterHeight, filterWidth, batchSize, outHeight, outWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  // colsᵀ: row (i, j, c), column = output position; zero where a window reaches into the padding.
  const cols = allocateOutput(backend, [taps, positions]);
  cols.values.fill(0);
  const xv = readValues(backend, x);
  forEachWindow(info, (row, xOffset, tap) => {
    const base = tap * inChannels * positions + row;
    for (let c = 0; c < inChannels; c++) cols.values[base + c * positions] = xv[xOffset + c]!;
  });
  const product = callKernel(backend, 'BatchMatMul', { a: view(cols.info, taps, positions), b: view(dy, positions, outChannels) }, { transposeA: false, transposeB: false });
  disposeIntermediate(backend, cols.info);
  return { dataId: product.dataId, shape: [...options.filterShape], dtype: 'float32' };
};

/** dx of a convolution with `filter` (a transposed convolution's forward), from the output's gradient dy. */
export const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const options = attrs as unknown as BackpropInputAttrs;
  const info = convInfoOf('Conv2DBackpropInput', options.inputShape, filter.shape as [number, number, number, number], options);
  const { inChannels, outChannels, filterHeight, filterWidth, batchSize, outHeight, outWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  // cols [positions, taps] = dy · Wᵀ, W as [taps, cout]: the product every window's gradient is a row of.
  const cols = callKernel(backend, 'BatchMatMul', { a: view(dy, positions, outChannels), b: view(filter, taps, outChannels) }, { transposeA: false, transposeB: true });
  const dx = allocateOutput(backend, [...options.inputShape]); // before reading: see allocateOutput
  dx.values.fill(0);
  const colValues = readValues(backend, cols);
  forEachWindow(info, (row, xOffset, tap) => {
    const base = row * taps + tap * inChannels;
    for (let c = 0; c < inChannels; c++) dx.values[xOffset + c]! += colValues[base + c]!;
  });
  disposeIntermediate(backend, cols);
  return dx.info;
};

/**
 * Registers both on wasm (once): the input gradient in place of wasm's loop, the filter gradient where wasm has
 * none (replacing any narrower stand-in). Call after @tensorflow/tfjs-backend-wasm has registered its kernels.
 */
export function installWasmConvolutionBackprop(): void {
  for (const [kernelName, kernelFunc] of [
    ['Conv2DBackpropInput', conv2DBackpropInput],
    ['Conv2DBackpropFilter', conv2DBackpropFilter],
  ] as const) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (current && installed.has(current.kernelFunc)) continue;
    if (current) tf.unregisterKernel(kernelName, 'wasm');
    installed.add(kernelFunc);
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/** Whether both kernels on wasm are this module's (tests ask). */
export function hasWasmConvolutionBackprop(): boolean {
  return ['Conv2DBackpropInput', 'Conv2DBackpropFilter'].every((name) => {
    const current = tf.getKernel(name, 'wasm');
    return current !== undefined && installed.has(current.kernelFunc);
  });
}
