import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { makeRun } from '../report/fixtures.js';
import { cli } from './run-cli.js';

const report = (args: string[]) => cli('report', args);

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

  it('exits 2 naming a file that is not a results.json, and one whose scenarios lack what the report reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const file = join(dir, 'results.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 7 }));
    const thin = join(dir, 'thin.json');
    await writeFile(thin, JSON.stringify(makeRun({ scenarios: [{ name: 'tiny' }] as never })));
    const [wrong, lacking] = await Promise.all([report([file, '--out', join(dir, 'out')]), report([thin, '--out', join(dir, 'out')])]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(file);
    expect(lacking.code).toBe(2);
    expect(lacking.stderr).toContain(`${thin}: is not a schemaVersion 1 results.json`);
    expect(lacking.stderr).toMatch(/at scenarios\[0\]\.generatorWidths/);
  });

  it('exits 2 at once for --out /proc/x, where creating the folder would never return', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    await writeFile(join(dir, 'results.json'), JSON.stringify(makeRun()));
    const { code, stderr } = await report([dir, '--out', '/proc/x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^report: error: --out \/proc\/x: cannot be written: ENOENT[^\n]*\n$/);
  });
});
