import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, formatCellLine, parseGpuCheckArgs, QUICK_BUDGET } from '../../scripts/gpu-check.js';
import type { CellResult } from '../../src/types.js';
import { asCellState } from '../helpers/cell-state.js';

describe('scripts/gpu-check.ts arguments', () => {
  it('defaults to both backends, both batch sizes, the post\'s three and the two-tape strategy, no flags and no Dawn options', () => {
    const args = parseGpuCheckArgs([], {});
    expect(args).toMatchObject({
      backends: ['webgpu', 'pytorch'],
      strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
      batchSizes: [64, 4096],
      flags: {},
      dawnOptions: [],
      budget: DEFAULT_BUDGET,
      out: 'gpu-check-out',
      label: 'default',
      with: [],
      table: 'gpu-check-out/gpu-check.md',
      render: false,
    });
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

describe('scripts/gpu-check.ts runs and tables', () => {
  it('takes the backends as a list, each once', () => {
    expect(parseGpuCheckArgs(['--backend', 'webgpu'], {}).backends).toEqual(['webgpu']);
    expect(() => parseGpuCheckArgs(['--backend', 'webgpu,webgpu'], {})).toThrow(/--backend: lists webgpu twice/);
  });

  it('adds earlier runs to the table by label, and renders without measuring only from them', () => {
    const args = parseGpuCheckArgs(['--label', 'null-device', '--with', 'default=out/main', '--table', 'out/gpu-check.md'], {});
    expect(args).toMatchObject({ label: 'null-device', with: [['default', 'out/main']], table: 'out/gpu-check.md' });
    expect(() => parseGpuCheckArgs(['--with', 'out/main'], {})).toThrow(/--with: expected LABEL=DIR/);
    expect(() => parseGpuCheckArgs(['--with', 'default=a'], {})).toThrow(/the label 'default' names two runs/);
    expect(() => parseGpuCheckArgs(['--render'], {})).toThrow(/--render needs at least one --with/);
    expect(parseGpuCheckArgs(['--render', '--with', 'default=a'], {}).render).toBe(true);
  });
});

describe('formatCellLine', () => {
  const cell = { backend: 'webgpu', strategy: 'g-first', batchSize: 64, status: 'ok', error: null, kernels: 338, dispatches: 118, flops: 1e9,
    timing: { meanMs: 10, p50Ms: 10, p99Ms: 12, samples: 30 } } as unknown as CellResult;

  it('reports dispatches, and FLOP/s only where the device computed something', () => {
    expect(formatCellLine(cell, true)).toContain('338 kernels/step (118 dispatches)  1.00 GFLOP/step  100 GFLOP/s');
    expect(formatCellLine(cell, false)).toContain('1.00 GFLOP/step  n/a');
  });

  it("says raised for the post's printed code and FAILED for a failed cell", () => {
    expect(formatCellLine(asCellState({ ...cell, status: 'raised', error: 'Trying to backward ...' }))).toMatch(/raised: Trying to backward/);
    expect(formatCellLine(asCellState({ ...cell, status: 'errored', error: 'device lost' }))).toMatch(/FAILED: device lost/);
  });
});
