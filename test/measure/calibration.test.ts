import { describe, expect, it } from 'vitest';
import { backends } from '../../src/backends/index.js';
import {
  anotherRoundFits,
  calibrationLayer,
  lopsidedForms,
  measureCalibration,
  type CalibrationLayer,
  type CalibrationWorkloads,
  type ProductForm,
  type Workload,
} from '../../src/measure/calibration.js';
import { calibrateBackend, scenarioLayers } from '../../src/session/tfjs-calibration.js';
import { parseScenario } from '../../src/scenario/load.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

/** A clock that only moves when a fake workload says so. */
function fakeClock() {
  let now = 0;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

/**
 * Fake workloads: each call of a workload takes the next of its durations (the last one repeating), and making
 * its operands takes `prepareMs`, which is wall time but not timed.
 */
function fakeWorkloads(advance: (ms: number) => void, durations: Record<ProductForm | 'elementwise', number[]>, prepareMs = 0) {
  const calls: Record<string, number> = {};
  const workload = (name: ProductForm | 'elementwise'): Workload => ({
    prepare() {
      advance(prepareMs);
      return () => {
        const index = calls[name] ?? 0;
        calls[name] = index + 1;
        const list = durations[name];
        advance(list[Math.min(index, list.length - 1)]!);
        return () => {};
      };
    },
  });
  let disposed = false;
  const workloads: CalibrationWorkloads = {
    products: { plain: workload('plain'), transposeA: workload('transposeA'), transposeB: workload('transposeB') },
    elementwise: { kernel: 'Multiply', elements: 1_000_000, workload: workload('elementwise') },
    dispose: () => (disposed = true),
  };
  return { workloads, calls, isDisposed: () => disposed };
}

const LAYER: CalibrationLayer = { network: 'G', index: 4, inputSize: 1024, outputSize: 784, batchSize: 64 };
const sync = async () => {};

describe('calibrationLayer', () => {
  it("picks the layer with the most multiply-adds over both networks, at the scenario's batch", () => {
    const layers = {
      generator: [{ inputSize: 100, outputSize: 128 }, { inputSize: 1024, outputSize: 784 }],
      discriminator: [{ inputSize: 784, outputSize: 512 }, { inputSize: 512, outputSize: 1 }],
    };
    expect(calibrationLayer(layers, 64)).toEqual({ network: 'G', index: 1, inputSize: 1024, outputSize: 784, batchSize: 64 });
    const largerD = { ...layers, discriminator: [{ inputSize: 784, outputSize: 1100 }] };
    expect(calibrationLayer(largerD, 16)).toEqual({ network: 'D', index: 0, inputSize: 784, outputSize: 1100, batchSize: 16 });
  });

  it("takes the generator's layer on a tie, and the earlier layer within a network", () => {
    const layers = {
      generator: [{ inputSize: 8, outputSize: 4 }, { inputSize: 4, outputSize: 8 }],
      discriminator: [{ inputSize: 16, outputSize: 2 }],
    };
    expect(calibrationLayer(layers, 2)).toMatchObject({ network: 'G', index: 0 });
  });

  it("reads the scenario's layers as createGan builds them", () => {
    const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');
    expect(scenarioLayers(scenario)).toEqual({
      generator: [{ inputSize: 2, outputSize: 3 }, { inputSize: 3, outputSize: 4 }],
      discriminator: [{ inputSize: 4, outputSize: 5 }, { inputSize: 5, outputSize: 1 }],
    });
    expect(calibrationLayer(scenarioLayers(scenario), 2)).toMatchObject({ network: 'D', index: 0, inputSize: 4, outputSize: 5 });
  });
});

describe('anotherRoundFits', () => {
  it('always runs a first round, then rounds while the time so far plus the last round fits, up to the maximum', () => {
    expect(anotherRoundFits(0, 10_000, 10_000, 300, 5)).toBe(true);
    expect(anotherRoundFits(1, 200, 100, 300, 5)).toBe(true);
    expect(anotherRoundFits(1, 201, 100, 300, 5)).toBe(false);
    expect(anotherRoundFits(5, 0, 1, 300, 5)).toBe(false);
  });
});

describe('measureCalibration', () => {
  it('times each form after an untimed warm-up and turns medians into GFLOP/s and GB/s', async () => {
    const { clock, advance } = fakeClock();
    // Warm-up 50 ms each, then the rounds: plain 10, 12, 11 ms (median 11); elementwise 1, 3, 2 ms (median 2).
    const { workloads, isDisposed } = fakeWorkloads(advance, {
      plain: [50, 10, 12, 11],
      transposeA: [50, 20],
      transposeB: [50, 100],
      elementwise: [50, 1, 3, 2],
    });
    const result = await measureCalibration({ layer: LAYER, workloads, clock, sync, budgetMs: 10_000, maxRounds: 3 });
    const flops = 2 * 64 * 1024 * 784; // 102,760,448
    expect(result.rounds).toBe(3);
    expect(result.products).toEqual([
      { form: 'plain', flops, medianMs: 11, gflops: flops / 11 / 1e6 },
      { form: 'transposeB', flops, medianMs: 100, gflops: flops / 100 / 1e6 },
      { form: 'transposeA', flops, medianMs: 20, gflops: flops / 20 / 1e6 },
    ]);
    expect(result.products[0]!.gflops).toBeCloseTo(9.3419, 4);
    // Two float32 inputs and one output per element: 12 MB in 2 ms = 6 GB/s.
    expect(result.elementwise).toEqual({ kernel: 'Multiply', elements: 1_000_000, bytes: 12_000_000, medianMs: 2, gbPerS: 6 });
    expect(result.elapsedMs).toBe(4 * 50 + (10 + 12 + 11) + 3 * 100 + 3 * 20 + (1 + 3 + 2));
    expect(isDisposed()).toBe(false); // the caller's to dispose
  });

  it('stops adding rounds when the next would overrun the budget, counting untimed operand making as time spent', async () => {
    const { clock, advance } = fakeClock();
    // Each round: 4 workloads x (5 ms making operands + 10 ms timed) = 60 ms; warm-up 60 ms.
    const { workloads, calls } = fakeWorkloads(advance, { plain: [10], transposeA: [10], transposeB: [10], elementwise: [10] }, 5);
    const result = await measureCalibration({ layer: LAYER, workloads, clock, sync, budgetMs: 200, maxRounds: 10 });
    // After the warm-up (60) and rounds at 120 and 180, a fourth would end at 240 > 200.
    expect(result.rounds).toBe(2);
    expect(calls.plain).toBe(3);
    expect(result.elapsedMs).toBe(180);
    expect(result.products[0]!.medianMs).toBe(10);
  });

  it('still times one round after the warm-up when the warm-up alone used up the budget (shader compilation)', async () => {
    const { clock, advance } = fakeClock();
    const { workloads, calls } = fakeWorkloads(advance, { plain: [5000, 400], transposeA: [400], transposeB: [400], elementwise: [5] });
    const result = await measureCalibration({ layer: LAYER, workloads, clock, sync, budgetMs: 300 });
    expect(result.rounds).toBe(1);
    expect(calls.plain).toBe(2);
    expect(result.products.map(({ medianMs }) => medianMs)).toEqual([400, 400, 400]);
    expect(result.elapsedMs).toBe(5000 + 400 + 400 + 5 + 1205);
  });

  it('times the sync: a sample ends when the device has finished', async () => {
    const { clock, advance } = fakeClock();
    const { workloads } = fakeWorkloads(advance, { plain: [1], transposeA: [1], transposeB: [1], elementwise: [1] });
    const result = await measureCalibration({ layer: LAYER, workloads, clock, sync: async () => void advance(4), budgetMs: 1000, maxRounds: 2 });
    // Each sample: 1 ms of work and the 4 ms sync after it (the sync before it, after making operands, is not timed).
    expect(result.products.map(({ medianMs }) => medianMs)).toEqual([5, 5, 5]);
  });
});

describe('lopsidedForms', () => {
  const products = (plain: number, transposeB: number, transposeA: number) =>
    ([['plain', plain], ['transposeB', transposeB], ['transposeA', transposeA]] as const).map(([form, gflops]) => ({ form, gflops, flops: 1, medianMs: 1 }));

  it("names the forms below half the fastest form's throughput, with their fraction of it", () => {
    expect(lopsidedForms({ products: products(14, 1, 7) })).toEqual([{ form: 'transposeB', ofFastest: 1 / 14, fastest: 'plain' }]);
    expect(lopsidedForms({ products: products(10, 5.5, 11) })).toEqual([]);
    expect(lopsidedForms({ products: products(10, 3, 4) }, 0.35)).toEqual([{ form: 'transposeB', ofFastest: 0.3, fastest: 'plain' }]);
  });

  it('names a forward slower than the backward too', () => {
    expect(lopsidedForms({ products: products(4, 9, 10) })).toEqual([{ form: 'plain', ofFastest: 0.4, fastest: 'transposeA' }]);
  });

  it('says nothing without products', () => {
    expect(lopsidedForms({ products: [] })).toEqual([]);
  });
});

describe('calibrateBackend', () => {
  const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');

  it('measures the three product forms and Multiply on the cpu backend and leaves no tensor behind', async () => {
    await backends.cpu.start();
    const before = tf.memory().numTensors;
    const calibration = await calibrateBackend(scenario, backends.cpu, { description: 'cpu (test)' });
    expect(tf.memory().numTensors).toBe(before);
    expect(calibration).toMatchObject({ scenario: 'tiny', backend: 'cpu', device: 'cpu (test)', error: null });
    expect(calibration.layer).toEqual({ network: 'D', index: 0, inputSize: 4, outputSize: 5, batchSize: 2 });
    expect(calibration.products.map(({ form, flops }) => [form, flops])).toEqual([
      ['plain', 80],
      ['transposeB', 80],
      ['transposeA', 80],
    ]);
    expect(calibration.elementwise).toMatchObject({ kernel: 'Multiply', elements: 20, bytes: 240 });
    expect(calibration.rounds).toBeGreaterThan(0);
  });

  it('turns a failure into a calibration with its error, and still frees its operands', async () => {
    await backends.cpu.start();
    const before = tf.memory().numTensors;
    const failing = { id: 'cpu' as const, sync: async () => Promise.reject(new Error('device lost')) };
    const calibration = await calibrateBackend(scenario, failing, { description: 'cpu (test)' });
    expect(calibration).toMatchObject({ error: 'device lost', products: [], elementwise: null, rounds: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
