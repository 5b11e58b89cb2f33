import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../../src/measure/calibration.js';
import { renderGpuCheck, type GpuCheckRun } from '../../../src/report/sections/gpu-check.js';
import type { StrategyId } from '../../../src/strategies/ids.js';
import type { CellResult } from '../../../src/types.js';
import { makeCell, makeErroredCell, makeRun, makeTiming } from '../fixtures.js';

const H100 = 'webgpu (NVIDIA: 580.159.04)';
const CUDA = 'pytorch 2.11.0+cu130 cuda (NVIDIA H100 80GB HBM3, cuBLAS (CUDA 13.0), TF32 off)';

function cell(backend: 'webgpu' | 'pytorch', strategy: StrategyId, batchSize: number, meanMs: number, extra: Partial<CellResult> = {}): CellResult {
  return makeCell(strategy, {
    scenario: `balanced-b${batchSize}`,
    batchSize,
    backend,
    device: backend === 'webgpu' ? H100 : CUDA,
    timing: makeTiming(meanMs),
    flops: 1_453_260_800,
    kernels: backend === 'webgpu' ? 358 : 176,
    dispatches: backend === 'webgpu' ? 145 : null,
    equivalence: null,
    equivalentTo: null,
    ...extra,
  });
}

const peak: Calibration = {
  scenario: 'balanced-b64',
  backend: 'pytorch',
  device: CUDA,
  layer: { network: 'G', index: 4, inputSize: 1024, outputSize: 784, batchSize: 64 },
  products: [],
  elementwise: null,
  rounds: 1,
  elapsedMs: 5,
  error: null,
  fp32Peak: { size: 8192, flops: 2 * 8192 ** 3, repeats: 5, bestMs: 21.99, flopsPerSecond: 50e12, precision: "fp32_precision = 'ieee'" },
};

const main: GpuCheckRun = {
  label: 'default',
  results: makeRun({
    versions: { tfjs: '4.22.0', torch: '2.11.0+cu130' },
    cells: [
      cell('webgpu', 'retain-graph', 64, 20, { equivalence: 'reference', equivalentTo: 'retain-graph' }),
      cell('webgpu', 'detach-d-first', 64, 12, { equivalence: 'identical', equivalentTo: 'retain-graph', maxParamDiff: 0 }),
      cell('pytorch', 'retain-graph', 64, 5, { equivalence: 'reference', equivalentTo: 'retain-graph' }),
      cell('pytorch', 'detach-d-first', 64, 5, { equivalence: 'different', equivalentTo: 'retain-graph', maxParamDiff: 4e-4 }),
      makeErroredCell('retain-graph', 'device lost', { scenario: 'balanced-b4096', batchSize: 4096, backend: 'webgpu', device: H100 }),
      cell('pytorch', 'retain-graph', 4096, 40),
    ],
    calibrations: [peak],
  }),
  meta: { adapter: { isNullDevice: false, isFallbackAdapter: false, dawnOptions: [] }, flagsRequested: {}, webgpuFlags: { WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 15 } },
};

const nullDevice: GpuCheckRun = {
  label: 'null-device',
  results: { ...makeRun({ cells: [cell('webgpu', 'retain-graph', 64, 4)] }), complete: false },
  meta: { adapter: { isNullDevice: true, dawnOptions: ['backend=null'] }, flagsRequested: {}, webgpuFlags: {} },
};

describe('renderGpuCheck', () => {
  it('sets each webgpu cell against PyTorch: times, ratio, goal, kernels, dispatches, FLOPs, FLOP/s and % of the measured peak', () => {
    const table = renderGpuCheck([main]);
    expect(table).toContain(
      '| default | retain-graph | 64 | 20.00 | 5.00 | 4.00× | no | 358 | 145 | 176 | 1.453 G | 1.453 G | 72.7 GFLOP/s | 0.145 % | 291 GFLOP/s | 0.581 % |',
    );
    expect(table).toContain('| default | detach-d-first | 64 | 12.00 | 5.00 | 2.40× | yes |');
    expect(table).toContain('| default | retain-graph | 4096 | n/a | 40.00 | n/a | failed: device lost |');
    expect(table).toContain('1 of 3 cells within 3x of PyTorch.');
    expect(table).toContain("- measured float32 peak: 50.0 TFLOP/s (best of 5 products of 8192³, fp32_precision = 'ieee')");
    expect(table).toContain(`- PyTorch: ${CUDA}; torch 2.11.0+cu130`);
  });

  it('says when an update check is not as expected, and lists the failed cells', () => {
    const table = renderGpuCheck([main]);
    // detach-d-first alternates: identical to retain-graph on tfjs is wrong, different on PyTorch is right.
    expect(table).toContain('- tfjs (cpu), balanced-b64: retain-graph reference; detach-d-first identical (max Δ 0) **NOT AS EXPECTED**.');
    expect(table).toContain('- PyTorch (float64, cpu), balanced-b64: retain-graph reference; detach-d-first different (max Δ 4.0e-4).');
    expect(table).toContain('- webgpu balanced-b4096 retain-graph: device lost');
  });

  it("adds a null-device run's rows against the main run's PyTorch cells, without FLOP/s, and marks it unfinished", () => {
    const table = renderGpuCheck([main, nullDevice]);
    expect(table).toContain('| null-device | retain-graph | 64 | 4.00 | 5.00 | 0.80× | yes | 358 | 145 | 176 | 1.453 G | 1.453 G | n/a | n/a | 291 GFLOP/s | 0.581 % |');
    expect(table).toContain("**`null-device` ran on Dawn's null device (backend=null): nothing was computed");
    expect(table).toContain('**`null-device` did not finish');
    expect(table.indexOf('| default |')).toBeLessThan(table.indexOf('| null-device |'));
  });

  it('renders what there is when PyTorch never ran and a run left no results', () => {
    const webgpuOnly: GpuCheckRun = { ...main, results: makeRun({ cells: [cell('webgpu', 'g-first', 64, 10)] }) };
    const table = renderGpuCheck([webgpuOnly, { label: 'null-device', results: null, meta: null, problem: 'no such file' }]);
    expect(table).toContain('| default | g-first | 64 | 10.00 | n/a | n/a | n/a | 358 | 145 | n/a |');
    expect(table).toContain('- measured float32 peak: n/a (PyTorch did not run on CUDA)');
    expect(table).toContain('- webgpu run `null-device`: no results (no such file)');
    expect(table).toContain('0 of 1 cells within 3x of PyTorch.');
  });
});
