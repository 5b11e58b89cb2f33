import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DAWN_OPTIONS_ENV, dawnOptions } from '../../src/backends/webgpu.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

/** `npm run bench` in a child process (navigator.gpu, and so the Dawn options, are set once per process). */
async function benchWithDawn(options: string, args: string[]): Promise<{ code: number; stderr: string; out: string }> {
  const out = join(await mkdtemp(join(tmpdir(), 'dawn-')), 'run');
  const env = { ...process.env, [DAWN_OPTIONS_ENV]: options };
  try {
    const { stderr } = await run(tsx, ['src/cli/bench.ts', ...args, '--out', out], { cwd: root, env, timeout: 120_000 });
    return { code: 0, stderr, out };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr, out };
  }
}

async function readRows(out: string): Promise<Record<string, string>[]> {
  return parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
}

describe(`${DAWN_OPTIONS_ENV}`, () => {
  it('splits the options on spaces and rejects anything that is not name=value, naming the variable', () => {
    expect(dawnOptions({})).toEqual([]);
    expect(dawnOptions({ [DAWN_OPTIONS_ENV]: '  backend=null  enable-dawn-features=skip_validation,disable_robustness ' })).toEqual([
      'backend=null',
      'enable-dawn-features=skip_validation,disable_robustness',
    ]);
    expect(() => dawnOptions({ [DAWN_OPTIONS_ENV]: 'skip_validation' })).toThrow(
      /GAN_BENCH_DAWN_OPTIONS: 'skip_validation' is not a Dawn option/,
    );
  });

  it("runs every strategy on Dawn's null device, marked as host overhead only, with the same counts as on cpu", async () => {
    const [nullDevice, cpu] = await Promise.all([
      benchWithDawn('backend=null', ['test/fixtures/tiny.ts', '--backend', 'webgpu']),
      benchWithDawn('', ['test/fixtures/tiny.ts', '--backend', 'cpu']),
    ]);
    expect(nullDevice.code, nullDevice.stderr).toBe(0);
    expect(cpu.code, cpu.stderr).toBe(0);
    const rows = await readRows(nullDevice.out);
    const cpuRows = await readRows(cpu.out);
    expect(rows.map((row) => row.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'raised', 'raised']);
    // GPU dispatches of one step (retain-graph, detach-d-first, g-first, single-forward): counted on webgpu only;
    // the printed strategies raise before a step is observed. Each of the first three runs one add per parameter of
    // one network (G has 4, D has 4) where a backward accumulates into a `.grad` that zero_grad has not cleared,
    // as PyTorch's AccumulateGrad does: retain-graph's d_loss into G's, detach-d-first's and g-first's g_loss into D's.
    // frozen-d is detach-d-first without D's two weight-gradient products, two bias sums and four accumulating adds.
    expect(rows.map((row) => row.gpu_dispatches)).toEqual(['84', '78', '78', '68', '70', '', '']);
    expect(cpuRows.map((row) => row.gpu_dispatches)).toEqual(['', '', '', '', '', '', '']);
    for (const [index, row] of rows.entries()) {
      expect(row.device).toMatch(/Dawn null device: nothing computed, times are host overhead only, Dawn options: backend=null/);
      const cpuRow = cpuRows[index]!;
      for (const column of ['strategy', 'flops', 'g_forwards', 'd_forwards', 'g_backwards', 'd_backwards', 'wasted_grad_elems']) {
        expect(row[column], column).toBe(cpuRow[column]);
      }
    }
  });

  it('fails the cells, exit 1, with a message naming the variable when Dawn rejects an option', async () => {
    const { code, stderr, out } = await benchWithDawn('backend=abacus', ['test/fixtures/tiny.ts', '--backend', 'webgpu']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/GAN_BENCH_DAWN_OPTIONS='backend=abacus'.*unrecognised backend 'abacus'/);
    const rows = await readRows(out);
    expect(rows.every((row) => row.status === 'errored')).toBe(true);
  });
});
