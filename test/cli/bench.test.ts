import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { STRATEGY_IDS } from '../../src/strategies/index.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['src/cli/bench.ts', ...args], { cwd: root, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('npm run bench', () => {
  it('runs the tiny scenario end to end and writes one CSV row per strategy', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'run');
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[1\/1\] tiny: timing round 1\/2/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.strategy)).toEqual([...STRATEGY_IDS]);
    // The post's code as printed raises PyTorch's errors, as it must: reported, not a failure (exit 0).
    expect(rows.slice(4).map((row) => [row.strategy, row.status])).toEqual([
      ['retain-graph-printed', 'raised'],
      ['detach-d-first-printed', 'raised'],
    ]);
    expect(rows[4]!.error).toMatch(/^one of the variables needed for gradient computation has been modified by an inplace operation/);
    expect(rows[5]!.error).toMatch(/^Trying to backward through the graph a second time/);
    for (const row of rows.slice(0, 4)) {
      expect(row.status).toBe('ok');
      expect(row.leaked_tensors).toBe('0');
      expect(row.flops).toBe(row.flops_predicted);
      expect(Number(row.time_ms_mean)).toBeGreaterThan(0);
    }
    expect(rows.find((row) => row.strategy === 'retain-graph')).toMatchObject({ g_backwards: '2', wasted_grad_elems: '56', flops: '1032' });
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/Claims/);
    expect(JSON.parse(await readFile(join(out, 'results.json'), 'utf8')).cells).toHaveLength(STRATEGY_IDS.length);
  });

  it('runs only the strategies asked for', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'run');
    const { code } = await bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'g-first,single-forward']);
    expect(code).toBe(0);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.strategy)).toEqual(['g-first', 'single-forward']);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.scenarios[0].strategies).toEqual(['g-first', 'single-forward']);
  });

  it('exits 2 naming the flag for an unknown strategy or backend, and writes nothing', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'run');
    const strategy = await bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'retain-graph,g-last']);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/--strategies: unknown strategy 'g-last'/);
    const backend = await bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'tpu']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--backend: unknown backend 'tpu'/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 naming the file and field of a malformed scenario, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-'));
    const file = join(dir, 'bad.ts');
    await writeFile(file, "export default { name: 'bad', description: 'x', batchSize: -1 };\n");
    const out = join(dir, 'run');
    const { code, stderr } = await bench([file, '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(/batchSize/);
    expect(stderr).toMatch(/generator/);
    expect(existsSync(out)).toBe(false);
  });

  it('keeps the measured cells when a backend fails to start, and exits 1', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'run');
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'tensorflow']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/@tensorflow\/tfjs-node/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(STRATEGY_IDS.length);
    expect(rows.every((row) => row.status === 'errored' && /tfjs-node/.test(row.error!))).toBe(true);
  });
});
