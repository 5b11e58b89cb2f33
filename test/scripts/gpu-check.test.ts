import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, parseGpuCheckArgs, QUICK_BUDGET, summarizeCells } from '../../scripts/gpu-check.js';
import type { CellResult } from '../../src/types.js';

describe('scripts/gpu-check.ts arguments', () => {
  it('defaults to both batch sizes, every strategy, no flags and no Dawn options', () => {
    const args = parseGpuCheckArgs([], {});
    expect(args).toMatchObject({ batchSizes: [64, 4096], flags: {}, dawnOptions: [], budget: DEFAULT_BUDGET, out: 'gpu-check-out' });
    expect(parseGpuCheckArgs(['--quick'], {})).toMatchObject({ batchSizes: [64], budget: QUICK_BUDGET });
  });

  it('takes repeatable --flag NAME=VALUE and --dawn name=value, and names the flag at fault', () => {
    const args = parseGpuCheckArgs(
      ['--flag', 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=100', '--flag', 'WEBGPU_CPU_FORWARD=false', '--dawn', 'backend=null', '--dawn', 'enable-dawn-features=skip_validation'],
      {},
    );
    expect(args.flags).toEqual({ WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 100, WEBGPU_CPU_FORWARD: false });
    expect(args.dawnOptions).toEqual(['backend=null', 'enable-dawn-features=skip_validation']);
    expect(() => parseGpuCheckArgs(['--dawn', 'skip_validation'], {})).toThrow(/--dawn: expected name=value/);
    expect(() => parseGpuCheckArgs(['--flag', 'NOVALUE'], {})).toThrow(/--flag: expected NAME=VALUE/);
    expect(() => parseGpuCheckArgs(['--batch-sizes', '64,0'], {})).toThrow(/--batch-sizes: expected a positive integer/);
  });
});

describe('summarizeCells', () => {
  const cell = { strategy: 'g-first', batchSize: 64, status: 'ok', error: null, kernels: 338, dispatches: 118, flops: 1e9, flopsPredicted: 1e9,
    equivalence: null, maxParamDiff: null, timing: { meanMs: 10, p50Ms: 10, p99Ms: 12, samples: 30 } } as unknown as CellResult;

  it('reports dispatches, and FLOP/s only where the device computed something', () => {
    expect(summarizeCells([cell], true)[0]).toMatchObject({ dispatches: 118, kernels: 338, flopsPerSecond: 1e11 });
    expect(summarizeCells([cell], false)[0]).toMatchObject({ dispatches: 118, flopsPerSecond: null });
  });
});
