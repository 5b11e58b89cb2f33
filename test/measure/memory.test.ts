import { beforeAll, describe, expect, it } from 'vitest';
import { profileStep } from '../../src/measure/memory.js';
import { tf } from '../../src/tf.js';

describe('profileStep', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('measures 12 peak bytes for squaring three floats, the one new buffer', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const profile = await profileStep(() => tf.tidy(() => void tf.square(x)));
    expect(profile.peakBytes).toBe(12);
    expect(profile.leakedTensors).toBe(0);
    expect(profile.kernels.map((kernel) => kernel.name)).toEqual(['Square']);
  });

  it('counts a buffer shared by two handles once', async () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const profile = await profileStep(() => tf.tidy(() => void tf.reshape(tf.square(x), [2, 2])));
    expect(profile.peakBytes).toBe(16);
  });

  it('reports tensors a step leaves behind', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const profile = await profileStep(() => void tf.square(x));
    expect(profile.leakedTensors).toBe(1);
  });
});
