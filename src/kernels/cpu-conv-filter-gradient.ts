/**
 * The cpu backend's `Conv2DBackpropFilter` (a convolution's weight gradient) with tfjs's own arithmetic, at the
 * speed of its other convolution kernels.
 *
 * tfjs-backend-cpu 4.22 computes each filter element as a dot product over the batch and the output positions,
 * reading every operand through `TensorBuffer.get` (an index computed from the strides, per element) with the
 * channel loops outermost: measured on DCGAN-MNIST's layers, about 0.007 GFLOP/s, fifteen times slower than its
 * own Conv2D and Conv2DBackpropInput (0.1 GFLOP/s). A strategy with more weight gradients would pay for that
 * loop on cpu, and the update-equivalence check (which runs on cpu) would take minutes per step.
 *
 * Here every filter element is the same sum in the same order (over b, then output row, then output column,
 * accumulated in float64 and rounded once), so the values are tfjs's own, bit for bit (tested); only the loops
 * are reordered (the two channel loops innermost, over contiguous memory) and the indexing is flat. NHWC only;
 * NCHW goes to tfjs's kernel.
 */
import { tf } from '../tf.js';

interface Attrs {
  strides: number | [number, number];
  pad: Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** tfjs's own kernel, for what this one does not take (NCHW). */
const original = tf.getKernel('Conv2DBackpropFilter', 'cpu');

const conv2DBackpropFilter: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Attrs;
  if (dataFormat !== 'NHWC' || !original || x.dtype !== 'float32') {
    if (!original) throw new Error('Conv2DBackpropFilter: no cpu kernel for this input');
    return original.kernelFunc(args);
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const cpu = backend as unknown as CpuBackend;
  const xv = cpu.data.get(x.dataId).values;
  const dyv = cpu.data.get(dy.dataId).values;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  const sums = new Float64Array(inChannels * outChannels);
  for (let wR = 0; wR < filterHeight; ++wR) {
    // tfjs's bounds: the output rows (columns) whose window covers filter row wR (column wC) inside x.
    const yRMin = Math.max(0, Math.ceil((top - wR) / strideHeight));
    const yRMax = Math.min(outHeight, (inHeight + top - wR) / strideHeight);
    for (let wC = 0; wC < filterWidth; ++wC) {
      const yCMin = Math.max(0, Math.ceil((left - wC) / strideWidth));
      const yCMax = Math.min(outWidth, (inWidth + left - wC) / strideWidth);
      sums.fill(0);
      for (let b = 0; b < batchSize; ++b) {
        for (let yR = yRMin; yR < yRMax; ++yR) {
          const xR = wR + yR * strideHeight - top;
          for (let yC = yCMin; yC < yCMax; ++yC) {
            const xC = wC + yC * strideWidth - left;
            const xOffset = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const dyOffset = ((b * outHeight + yR) * outWidth + yC) * outChannels;
            for (let d1 = 0; d1 < inChannels; ++d1) {
              const xValue = xv[xOffset + d1]!;
              const row = d1 * outChannels;
              for (let d2 = 0; d2 < outChannels; ++d2) sums[row + d2]! += xValue * dyv[dyOffset + d2]!;
            }
          }
        }
      }
      dW.set(sums, (wR * filterWidth + wC) * inChannels * outChannels);
    }
  }
  return cpu.makeTensorInfo([...filterShape], 'float32', dW);
};

/** Registers it on cpu in place of tfjs's (once: a second import leaves it as it is). */
function install(): void {
  const current = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (current?.kernelFunc === conv2DBackpropFilter) return;
  if (current) tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2DBackpropFilter });
}
install();

/** Whether the cpu backend's filter gradient is this one (tests ask). */
export function hasCpuConvFilterGradient(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc === conv2DBackpropFilter;
}

/** tfjs's own kernel function, for comparing against (tests). */
export const tfjsCpuConvFilterGradient = original?.kernelFunc;
