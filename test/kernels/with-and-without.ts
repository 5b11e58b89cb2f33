import { expect } from 'vitest';
import { hasKernels } from '../../src/kernels/kernel.js';
import { tf, type Tensor } from '../../src/tf.js';

/**
 * Runs `compute` twice on the active backend: with `kernelNames` (this project's kernels) registered, and with
 * them unregistered, so that the callers fall back to composing tfjs ops one by one (what the tfjs-node backends
 * run). Returns both results' values; the kernels are registered again afterwards.
 */
export async function withAndWithoutKernels(
  kernelNames: readonly string[],
  compute: () => Tensor[],
): Promise<{ kernels: Float32Array[]; composed: Float32Array[] }> {
  const read = async (tensors: Tensor[]) => {
    const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(tensors);
    return values;
  };
  expect(hasKernels(...kernelNames)).toBe(true);
  const kernels = await read(compute());
  const backendName = tf.getBackend();
  const configs = kernelNames.map((name) => tf.getKernel(name, backendName)!);
  for (const name of kernelNames) tf.unregisterKernel(name, backendName);
  try {
    expect(hasKernels(...kernelNames)).toBe(false);
    return { kernels, composed: await read(compute()) };
  } finally {
    for (const config of configs) tf.registerKernel(config);
  }
}
