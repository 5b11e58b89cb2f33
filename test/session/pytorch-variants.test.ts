/**
 * The pytorch session under step variants (issue 22), through runBenchmark and the real worker on the PyTorch the
 * backend finds (the project's venv: 2.13): torch.compile of the whole step, bf16 and fp16 autocast, and Debian's
 * PyTorch 1.13, which has no torch.compile. Slow: a compiled step compiles with Inductor.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../src/backends/pytorch/index.js';
import type { CellResult } from '../../src/results/cell.js';
import { runBenchmark } from '../../src/run/runner.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { StrategyId } from '../../src/strategies/index.js';
import { testPlan } from '../fixtures/plan.js';

const python = await findPython().catch(() => null);
const torch2 = python !== null && Number(python.torch.split('.')[0]) >= 2;
const DEBIAN_PYTHON = '/usr/bin/python3';
const debianTorch = (() => {
  if (!existsSync(DEBIAN_PYTHON)) return null;
  try {
    return execFileSync(DEBIAN_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();

async function tinyRun(overrides: Parameters<typeof testPlan>[1], strategies: StrategyId[]): Promise<CellResult[]> {
  const scenario = await loadScenario('test/fixtures/tiny.ts');
  const quick = { ...scenario, measure: { ...scenario.measure, minSamples: 2, minTimeMs: 0, rounds: 2, warmupSteps: 1, equivalenceSteps: 3 } };
  const results = await runBenchmark({ plan: testPlan([{ scenario: quick, file: 'tiny.ts' }], { backend: 'pytorch', strategies, ...overrides }) });
  return results.cells;
}

const cellOf = (cells: CellResult[], strategy: string, precision = 'fp32') => cells.find((cell) => cell.strategy === strategy && cell.precision === precision)!;

describe.skipIf(!torch2)('the pytorch session under a step variant (PyTorch 2)', () => {
  it("compiles the whole step: the cell is ok, counted as eager's, with its compile time, Dynamo's counters and its update against eager fp32", { timeout: 900_000 }, async () => {
    const cells = await tinyRun({ compile: ['step'] }, ['g-first', 'retain-graph-printed']);
    const compiled = cellOf(cells, 'g-first');
    expect(compiled).toMatchObject({ status: 'ok', compile: 'step', precision: 'fp32' });
    expect(compiled.compileMs).toBeGreaterThan(500);
    expect(compiled.graphBreaks).toBeGreaterThan(0); // Tensor.backward() and zero_grad break a step's graph
    expect(compiled.recompiles).toEqual(expect.any(Number));
    expect(compiled.vsEagerFp32).toBeLessThan(1e-5);
    expect(compiled.flops).toBe(compiled.flopsPredicted);
    expect(compiled.timing!.samples).toBeGreaterThanOrEqual(2);
    // The post's strategy 1 as printed still meets PyTorch's in-place check inside the compiled step.
    expect(cellOf(cells, 'retain-graph-printed').status).toBe('raised');
  });

  it('runs bf16 and fp16 under autocast: bf16 further from eager fp32 than rounding, fp16 with its skipped steps and loss scales', { timeout: 600_000 }, async () => {
    const cells = await tinyRun({ precision: ['fp32', 'bf16', 'fp16', 'fp16-per-network'] }, ['g-first', 'single-forward']);
    for (const strategy of ['g-first', 'single-forward']) {
      const fp32 = cellOf(cells, strategy);
      const bf16 = cellOf(cells, strategy, 'bf16');
      expect(fp32.status).toBe('ok');
      expect(fp32.vsEagerFp32 ?? null).toBeNull();
      expect(bf16).toMatchObject({ status: 'ok', skippedSteps: null });
      // Eager fp32 against itself is 0 here, the same operations; 3 Adam steps at 2e-4 in bf16 forwards move ~5e-6.
      expect(bf16.vsEagerFp32).toBeGreaterThan(1e-6);
      expect(bf16.flops).toBe(fp32.flops);
      for (const precision of ['fp16', 'fp16-per-network']) {
        const fp16 = cellOf(cells, strategy, precision);
        expect(fp16.status).toBe('ok');
        expect(fp16.skippedSteps).toEqual(expect.any(Number)); // counted (none overflow here; test_variant.py forces some)
        // After each of the 2 rounds: the one scaler's scale, or G's and D's.
        expect(fp16.lossScales).toHaveLength(precision === 'fp16' ? 2 : 4);
        expect(fp16.vsEagerFp32).toEqual(expect.any(Number));
      }
    }
  });
});

describe.skipIf(debianTorch === null || !debianTorch.startsWith('1.'))("the pytorch session on Debian's PyTorch 1.13", () => {
  it('makes every compiled cell an errored row naming the version, and measures the rest of the run', { timeout: 300_000 }, async () => {
    const cells = await tinyRun({ pythons: [DEBIAN_PYTHON], compile: ['eager', 'modules'] }, ['g-first']);
    expect(cells.map((cell) => [cell.compile, cell.status])).toEqual([['eager', 'ok'], ['modules', 'errored']]);
    expect(cells[1]!.error).toContain(`compile modules, fp32: torch.compile needs PyTorch >= 2.0; this is PyTorch ${debianTorch}`);
  });
});
