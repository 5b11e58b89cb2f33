import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../src/backends/backend.js';
import { tensorflowBackend, tensorflowGpuBackend } from '../../src/backends/tensorflow.js';

const requireFromHere = createRequire(import.meta.url);

function isInstalled(packageName: string): boolean {
  try {
    requireFromHere.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

describe('tensorflow backends without their packages', () => {
  it.skipIf(isInstalled('@tensorflow/tfjs-node'))(
    "tensorflow: start() says @tensorflow/tfjs-node is missing and how to install it",
    async () => {
      const failure = await tensorflowBackend.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(BackendUnavailableError);
      const error = failure as BackendUnavailableError;
      expect(error.backend).toBe('tensorflow');
      expect(error.message).toContain('@tensorflow/tfjs-node is not installed');
      expect(error.message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    },
  );

  it.skipIf(isInstalled('@tensorflow/tfjs-node-gpu'))(
    'tensorflow-gpu: start() says @tensorflow/tfjs-node-gpu is missing, what it needs and how to install it',
    async () => {
      const failure = await tensorflowGpuBackend.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(BackendUnavailableError);
      const error = failure as BackendUnavailableError;
      expect(error.backend).toBe('tensorflow-gpu');
      expect(error.message).toContain('@tensorflow/tfjs-node-gpu is not installed');
      expect(error.message).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
      expect(error.message).toContain('Linux x64');
      expect(error.message).toContain('CUDA 11.2');
      expect(error.message).toContain('cuDNN 8.1');
    },
  );

  it('ids, sync() and memory() work without the packages', async () => {
    expect(tensorflowBackend.id).toBe('tensorflow');
    expect(tensorflowGpuBackend.id).toBe('tensorflow-gpu');
    await expect(tensorflowBackend.sync()).resolves.toBeUndefined();
    expect(tensorflowBackend.memory()).toEqual({ isEstimate: true });
    expect(tensorflowGpuBackend.memory()).toEqual({ isEstimate: true });
  });
});
