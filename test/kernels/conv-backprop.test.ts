import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../src/backends/index.js';
import { hasWasmConvolutionBackprop, installWasmConvolutionBackprop } from '../../src/kernels/wasm-conv-backprop.js';
import { countKernelFlops } from '../../src/measure/flops.js';
import { profileStep } from '../../src/measure/memory.js';
import { tf, type Tensor } from '../../src/tf.js';

/** [batch, side, in channels, out channels, kernel, stride, padding]: DCGAN's shapes and some odd ones. */
const CASES: Array<[number, number, number, number, number, number, number | 'same' | 'valid']> = [
  [2, 8, 3, 4, 4, 2, 1],
  [3, 7, 5, 2, 7, 1, 0],
  [2, 5, 2, 3, 3, 2, 1],
  [1, 9, 4, 4, 3, 3, 0],
  [2, 6, 3, 5, 5, 1, 2],
  [2, 6, 3, 2, 3, 1, 'same'],
  [2, 7, 2, 3, 2, 2, 'valid'],
];

/** A convolution's input and filter gradients (Conv2DBackpropInput, Conv2DBackpropFilter) on the active backend. */
async function gradients([batch, side, cin, cout, k, stride, pad]: (typeof CASES)[number]): Promise<Float32Array[]> {
  const x = tf.randomNormal([batch, side, side, cin], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', 2);
  const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
  const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: x.shape } as never) as Tensor;
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter.shape } as never) as Tensor;
  const values = [Float32Array.from(await dx.data()), Float32Array.from(await dw.data())];
  expect([dx.shape, dw.shape]).toEqual([x.shape, filter.shape]);
  tf.dispose([x, filter, y, dy, dx, dw]);
  return values;
}

const maxScaledDifference = (a: Float32Array, b: Float32Array) => {
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i]!))) / scale;
};

describe("a convolution's gradients on wasm, as XNNPACK products", () => {
  beforeAll(async () => {
    await backends.wasm.start();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are installed when the wasm backend starts, once however often they are installed', () => {
    expect(hasWasmConvolutionBackprop()).toBe(true);
    const before = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
    installWasmConvolutionBackprop();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).toBe(before);
  });

  it.each(CASES)(
    'equal the cpu backend\'s to float32 rounding: batch %i, %ix%i with %i -> %i channels, kernel %i, stride %i, padding %s',
    async (...shape) => {
      const cases = shape as unknown as (typeof CASES)[number];
      await tf.setBackend('wasm');
      const wasm = await gradients(cases);
      await tf.setBackend('cpu');
      const cpu = await gradients(cases);
      wasm.forEach((values, i) => expect(maxScaledDifference(values, cpu[i]!), ['dx', 'dW'][i]).toBeLessThan(1e-5));
    },
  );

  it("run as one kernel each in a profile, with the convolution's FLOPs", async () => {
    await tf.setBackend('wasm');
    const profile = await profileStep(() => {
      void gradients([2, 8, 3, 4, 4, 2, 1]);
    });
    const names = profile.kernels.map(({ name }) => name);
    expect(names.filter((name) => name.startsWith('Conv2D'))).toEqual(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
    expect(names).not.toContain('BatchMatMul');
    // 2·(2·4·4·4 outputs)·(4·4·3) each.
    expect(countKernelFlops(profile.kernels.filter(({ name }) => name.startsWith('Conv2D'))).flops).toBe(3 * 2 * 128 * 48);
  });
});

describe("the cpu backend's filter gradient", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("is registered in place of tfjs's", async () => {
    const { hasCpuConvFilterGradient } = await import('../../src/kernels/cpu-conv-filter-gradient.js');
    expect(hasCpuConvFilterGradient()).toBe(true);
  });

  it.each(CASES)("gives tfjs's own values bit for bit: batch %i, %ix%i, %i -> %i channels, kernel %i, stride %i, padding %s", async (...shape) => {
    const [batch, side, cin, cout, k, stride, pad] = shape as unknown as (typeof CASES)[number];
    const { tfjsCpuConvFilterGradient } = await import('../../src/kernels/cpu-conv-filter-gradient.js');
    const x = tf.randomNormal([batch, side, side, cin], 0, 1, 'float32', 4);
    const dy = tf.randomNormal(tf.conv2d(x as tf.Tensor4D, tf.zeros([k, k, cin, cout]) as tf.Tensor4D, stride, pad).shape, 0, 1, 'float32', 5);
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [k, k, cin, cout] };
    const ours = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as Tensor;
    const backend = tf.backend();
    const info = tfjsCpuConvFilterGradient!({ inputs: { x, dy }, backend, attrs: attrs as never }) as tf.TensorInfo;
    const theirs = tf.engine().makeTensorFromTensorInfo(info);
    expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
    tf.dispose([x, dy, ours, theirs]);
  });
});
