/**
 * `Conv2DBackpropFilter` for tfjs's wasm backend, which has every kernel a small CNN's training needs but this
 * one (tfjs 4.22), so that the MNIST classifier trains at XNNPACK speed instead of on the JavaScript cpu backend
 * (many minutes an epoch on two cores). The filter gradient as a matrix product (im2col): for a stride-1 'valid'
 * convolution, dW[i, j, c, o] = sum over batch and output positions of x[b, y + i, x + j, c] dy[b, y, x, o]; the
 * kh x kw shifted windows of x are concatenated channel-last ([positions, kh kw cin]) and multiplied by dy
 * ([positions, cout]). Only what the classifier uses (NHWC, stride 1, no dilation, 'valid') is supported.
 */
import { tf, type Tensor } from '../tf.js';

interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: string;
  filterShape: [number, number, number, number];
}

const ones = (value: number | [number, number]) => (Array.isArray(value) ? value.every((v) => v === 1) : value === 1);

/** dW of a stride-1 'valid' NHWC convolution of `x` with a filter of `filterShape`, given the output's gradient. */
export function convFilterGradient(x: Tensor, dy: Tensor, filterShape: readonly [number, number, number, number]): Tensor {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const [batch, , , channels] = x.shape as [number, number, number, number];
    const [, outHeight, outWidth] = dy.shape as [number, number, number, number];
    if (channels !== cin) throw new Error(`Conv2DBackpropFilter: x has ${channels} channels, the filter ${cin}`);
    const positions = batch * outHeight * outWidth;
    const windows: Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) windows.push(tf.reshape(tf.slice(x, [0, i, j, 0], [batch, outHeight, outWidth, cin]), [positions, cin]));
    }
    const columns = tf.concat(windows, 1);
    return tf.reshape(tf.matMul(columns, tf.reshape(dy, [positions, cout]), true, false), [kh, kw, cin, cout]);
  });
}

/** Registers the kernel for wasm, once; a no-op where wasm has its own. */
export function registerWasmConvFilterGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: Tensor; dy: Tensor };
      const { strides, pad, dataFormat, filterShape, dimRoundingMode } = attrs as unknown as Conv2DBackpropFilterAttrs;
      if (!ones(strides) || pad !== 'valid' || dataFormat !== 'NHWC' || dimRoundingMode != null) {
        throw new Error(`Conv2DBackpropFilter on wasm: only stride 1, 'valid', NHWC (got ${JSON.stringify({ strides, pad, dataFormat })})`);
      }
      return convFilterGradient(x, dy, filterShape);
    },
  });
}
