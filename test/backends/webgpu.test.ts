import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/tf.js';
import type { DeviceInfo } from '../../src/backends/backend.js';
import { webgpuAdapterSummary, webgpuBackend, webgpuOverheadFlags } from '../../src/backends/webgpu.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { createStepRunner } from '../../src/models/step-runner.js';
import { RUNNABLE_STRATEGY_IDS, strategies } from '../../src/strategies/index.js';
import tiny from '../fixtures/tiny.js';

const TOLERANCE = 1e-4;
const SLOW_TEST_MS = 60_000;

/** Deterministic values in [-1, 1] without a seeded RNG, identical on every backend. */
function wave(length: number, phase: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 0.731 + phase) * Math.cos(i * 0.177 + 2 * phase));
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}

/** Runs `compute` with `backendName` active and returns its tensors' values. */
async function runOn(backendName: 'cpu' | 'webgpu', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  expect(await tf.setBackend(backendName)).toBe(true);
  const tensors = compute();
  const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(tensors);
  return values;
}

function matmul(): tf.Tensor[] {
  return [tf.matMul(tf.tensor2d(wave(37 * 100, 0.1), [37, 100]), tf.tensor2d(wave(100 * 29, 0.7), [100, 29]))];
}

/** Loss and gradients of a 2-layer MLP (5 -> 16 relu -> 1, mean squared error). */
function mlpLossAndGradients(): tf.Tensor[] {
  const x = tf.tensor2d(wave(8 * 5, 0.3), [8, 5]);
  const target = tf.tensor2d(wave(8, 1.9), [8, 1]);
  const w1 = tf.variable(tf.tensor2d(wave(5 * 16, 0.5), [5, 16]));
  const b1 = tf.variable(tf.tensor1d(wave(16, 1.1)));
  const w2 = tf.variable(tf.tensor2d(wave(16, 2.3), [16, 1]));
  const b2 = tf.variable(tf.tensor1d([0.05]));
  const { value, grads } = tf.variableGrads(() => {
    const hidden = tf.relu(tf.add(tf.matMul(x, w1), b1));
    return tf.mean(tf.square(tf.sub(tf.add(tf.matMul(hidden, w2), b2), target)));
  }, [w1, b1, w2, b2]);
  const gradients = [w1, b1, w2, b2].map((v) => {
    const grad = grads[v.name];
    if (grad === undefined) throw new Error(`no gradient for ${v.name}`);
    return grad;
  });
  tf.dispose([x, target, w1, b1, w2, b2]);
  return [value, ...gradients];
}

/** Sets WEBGPU_CPU_FORWARD for one block: false forces even tiny tensors through WGSL kernels. */
async function withCpuForward<T>(cpuForward: boolean, run: () => Promise<T>): Promise<T> {
  const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
  tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
  try {
    return await run();
  } finally {
    tf.env().set('WEBGPU_CPU_FORWARD', previous);
  }
}

describe('webgpu backend (Dawn; lavapipe on machines without a GPU)', () => {
  let info: DeviceInfo;

  beforeAll(async () => {
    try {
      info = await webgpuBackend.start();
    } catch (error) {
      throw new Error(
        `the webgpu backend did not start: ${String(error)}\n` +
          'CI installs the software Vulkan driver with scripts/install-lavapipe.sh; run it here as root.',
        { cause: error },
      );
    }
  }, SLOW_TEST_MS);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is active and reports its adapter (lavapipe: a fallback adapter, not a GPU)', () => {
    expect(tf.getBackend()).toBe('webgpu');
    const adapter = webgpuAdapterSummary();
    expect(adapter).toBeDefined();
    const isLavapipe = /llvmpipe|lavapipe/i.test(`${adapter?.device} ${adapter?.description}`);
    expect(info.isFallback).toBe(isLavapipe || adapter?.isFallbackAdapter === true);
    expect(info.isGpu).toBe(!info.isFallback);
    expect(info.description).toContain(adapter?.description ?? '');
    if (isLavapipe) {
      expect(info).toMatchObject({ isFallback: true, isGpu: false });
      expect(info.description).toContain('software fallback adapter');
    }
  });

  it('records the tfjs WebGPU flags that shape per-kernel overhead', () => {
    expect(webgpuOverheadFlags()).toMatchObject({
      WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: expect.any(Number),
      WEBGPU_CPU_FORWARD: expect.any(Boolean),
      DEBUG: false,
    });
  });

  it.each([false, true])(
    'matmul and an MLP variableGrads match the cpu backend within 1e-4 (WEBGPU_CPU_FORWARD=%s)',
    async (cpuForward) => {
      const [cpuProduct] = await runOn('cpu', matmul);
      const cpuMlp = await runOn('cpu', mlpLossAndGradients);
      const [gpuProduct, gpuMlp] = await withCpuForward(cpuForward, async () => [
        (await runOn('webgpu', matmul))[0],
        await runOn('webgpu', mlpLossAndGradients),
      ] as const);

      expect(maxAbsDifference(gpuProduct ?? [], cpuProduct ?? [])).toBeLessThan(TOLERANCE);
      expect(gpuMlp).toHaveLength(5);
      cpuMlp.forEach((cpuValues, i) => {
        expect(maxAbsDifference(gpuMlp[i] ?? [], cpuValues), `output ${i} (loss, dW1, db1, dW2, db2)`).toBeLessThan(
          TOLERANCE,
        );
      });
      // The gradients are not trivially zero (a relu stuck at zero would compare equal on both).
      expect(Math.max(...(cpuMlp[1] ?? []).map(Math.abs))).toBeGreaterThan(1e-3);
    },
    SLOW_TEST_MS,
  );

  it(
    'trains every strategy without reading anything back from the GPU, and counts its dispatches',
    async () => {
      expect(await tf.setBackend('webgpu')).toBe(true);
      const backend = tf.findBackend('webgpu') as unknown as Record<string, (...args: unknown[]) => unknown>;
      const reads: string[] = [];
      const originals = Object.fromEntries(['read', 'readSync', 'readToGPU'].map((name) => [name, backend[name]!]));
      for (const [name, original] of Object.entries(originals)) {
        backend[name] = function (this: unknown, ...args: unknown[]) {
          reads.push(name);
          return original.apply(this, args);
        };
      }
      const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');
      const batches = createBatches(scenario, 2);
      try {
        for (const id of RUNNABLE_STRATEGY_IDS) {
          const gan = createGan(scenario, 'foreach');
          const run = createStepRunner(gan);
          for (let step = 0; step < 3; step++) {
            const before = webgpuBackend.dispatches!();
            run(strategies[id], batches[step % 2]!);
            await webgpuBackend.sync();
            expect(webgpuBackend.dispatches!() - before, id).toBeGreaterThan(20);
          }
          gan.dispose();
        }
      } finally {
        Object.assign(backend, originals);
        disposeBatches(batches);
      }
      // The harness's sync waits with onSubmittedWorkDone: no step pulls a tensor's data to the host.
      expect(reads).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  it(
    'sync() submits the pending batch and resolves once the queue is idle',
    async () => {
      expect(await tf.setBackend('webgpu')).toBe(true);
      const internals = tf.findBackend('webgpu') as unknown as { commandEncoder: unknown };
      const a = tf.tensor2d(wave(64 * 64, 0.2), [64, 64]);
      // Fewer dispatches than WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: tfjs keeps them in an open encoder.
      const outputs = [1, 2, 3].map((k) => tf.mul(a, k));
      expect(internals.commandEncoder).not.toBeNull();
      await webgpuBackend.sync();
      expect(internals.commandEncoder).toBeNull();
      await webgpuBackend.sync(); // nothing pending: still resolves
      expect(Array.from((await outputs[2]?.data())?.slice(0, 2) ?? [])).toEqual(
        Array.from(wave(2, 0.2)).map((v) => Math.fround(Math.fround(v) * 3)),
      );
      tf.dispose([a, ...outputs]);
    },
    SLOW_TEST_MS,
  );

  it(
    'memory() reports the bytes of GPU buffers tensors hold, as an exact figure',
    async () => {
      expect(await tf.setBackend('webgpu')).toBe(true);
      await webgpuBackend.sync();
      const before = webgpuBackend.memory();
      expect(before.isEstimate).toBe(false);
      expect(before.deviceBytes).toBeGreaterThanOrEqual(0);

      const input = tf.zeros([512, 512]); // 1 MiB; uploaded when a kernel reads it
      const output = tf.add(input, 1); // 1 MiB output buffer
      await webgpuBackend.sync();
      const during = webgpuBackend.memory().deviceBytes ?? 0;
      expect(during - (before.deviceBytes ?? 0)).toBeGreaterThanOrEqual(2 * 512 * 512 * 4);

      tf.dispose([input, output]);
      await webgpuBackend.sync();
      expect(webgpuBackend.memory().deviceBytes).toBeLessThanOrEqual(before.deviceBytes ?? 0);
    },
    SLOW_TEST_MS,
  );

  it('switches back to the cpu backend', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data())).toEqual([2, 3]);
  });
});
