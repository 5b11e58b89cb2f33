import { describe, expect, it } from 'vitest';
import { startBackend } from '../../src/backends/index.js';
import { registerWasmConvFilterGradient } from '../../src/quality/conv-filter-gradient.js';
import { tf } from '../../src/tf.js';

/** dL/dfilter of sum(conv2d(x, filter) * dy), on the active backend, from plain arrays. */
async function filterGradient(x: tf.Tensor4D, filter: tf.Tensor4D, dy: tf.Tensor4D): Promise<Float32Array> {
  const copy = <T extends tf.Tensor>(tensor: T) => tf.tensor(tensor.dataSync(), tensor.shape) as T;
  const [cx, cf, cdy] = [copy(x), copy(filter), copy(dy)];
  const gradient = tf.grad((f) => tf.sum(tf.mul(tf.conv2d(cx, f as tf.Tensor4D, 1, 'valid'), cdy)))(cf);
  return (await gradient.data()) as Float32Array;
}

describe("the wasm backend's Conv2DBackpropFilter (im2col)", () => {
  it("equals the cpu backend's filter gradient to float rounding", async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([3, 10, 9, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([5, 3, 2, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dy = tf.randomNormal([3, 6, 7, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const expected = await filterGradient(x, filter, dy);
    await startBackend('wasm');
    registerWasmConvFilterGradient();
    const before = tf.memory().numTensors;
    const actual = await filterGradient(x, filter, dy);
    expect(actual).toHaveLength(5 * 3 * 2 * 4);
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));
    expect(tf.memory().numTensors - before).toBe(4); // the three copies and the gradient: nothing leaked
  });

  it('refuses what it does not implement, naming it', async () => {
    await startBackend('wasm');
    registerWasmConvFilterGradient();
    const x = tf.ones([1, 6, 6, 1]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    expect(() => tf.grad((f) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 2, 'valid')))(filter)).toThrow(/only stride 1, 'valid', NHWC/);
  });
});
