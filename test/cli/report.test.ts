import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { makeRun } from '../report/fixtures.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function report(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(join(root, 'node_modules/.bin/tsx'), ['src/cli/report.ts', ...args], { cwd: root });
    return { code: 0, stderr };
  } catch (error) {
    return error as { code: number; stderr: string };
  }
}

describe('npm run report', () => {
  it('merges two runs into one CSV with a run column, keeping the same cell from each run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const first = makeRun({ createdAt: '2026-01-01T00:00:00.000Z' });
    const second = makeRun({ createdAt: '2026-01-02T00:00:00.000Z' });
    for (const [name, results] of [['a', first], ['b', second]] as const) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'results.json'), JSON.stringify(results));
    }
    const out = join(dir, 'merged');
    const { code, stderr } = await report([join(dir, 'a'), join(dir, 'b', 'results.json'), '--out', out]);
    expect(code, stderr).toBe(0);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(first.cells.length + second.cells.length);
    expect(rows.filter((row) => row.run!.includes('2026-01-01'))).toHaveLength(first.cells.length);
    expect(rows.filter((row) => row.run!.includes('2026-01-02'))).toHaveLength(second.cells.length);
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    expect(markdown).toContain('run 2 (2026-01-02');
    expect(markdown).toMatch(/Claims/);
  });

  it('exits 2 naming a file that is not a results.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const file = join(dir, 'results.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 7 }));
    const { code, stderr } = await report([file, '--out', join(dir, 'out')]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
  });
});
