import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/types.js';
import { cli, root } from './run-cli.js';

/** A sweep of three variants of the tiny GAN (G 18 MACs per sample; D 4-w-1, 5w MACs), two strategies, on cpu. */
async function tinySweep(dir: string, axes = '{ discriminatorWidth: [1, 8, 64] }'): Promise<string> {
  const file = join(dir, 'tiny-sweep.ts');
  await writeFile(
    file,
    `import { defineSweep } from ${JSON.stringify(join(root, 'src/index.js'))};\n` +
      'export default defineSweep({\n' +
      "  name: 'tiny-sweep',\n" +
      "  description: 'The tiny GAN with D widened.',\n" +
      '  base: {\n' +
      '    generator: { latentSize: 2, hidden: [3], outputSize: 4 },\n' +
      '    discriminator: { hidden: [5] },\n' +
      '    data: { shape: [4] },\n' +
      '    batchSize: 2,\n' +
      '    measure: { warmupSteps: 1, minSamples: 4, minTimeMs: 0, rounds: 2, equivalenceSteps: 0 },\n' +
      "    strategies: ['retain-graph', 'g-first'],\n" +
      "    backend: 'cpu',\n" +
      '  },\n' +
      `  axes: ${axes},\n` +
      '});\n',
  );
  return file;
}

const rowsOf = async (dir: string) => parse(await readFile(join(dir, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];

describe('npm run bench with a sweep', () => {
  it('measures every variant as a scenario, with progress per variant, one row per variant and strategy, and the crossover section', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-'));
    const file = await tinySweep(dir);
    const out = join(dir, 'run');
    const { code, stderr } = await cli('bench', [file, '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`${file}: sweep tiny-sweep, 3 variants: tiny-sweep-d1x1, tiny-sweep-d8x1, tiny-sweep-d64x1`);
    expect(stderr).toMatch(/\[2\/3\] tiny-sweep-d8x1: timing round 1\/2/);
    expect(stderr).toMatch(/\[3\/3\] tiny-sweep-d64x1: done in/);

    const rows = await rowsOf(out);
    expect(rows.map((row) => [row.scenario, row.strategy, row.sweep, row.d_to_g_macs])).toEqual([
      ['tiny-sweep-d1x1', 'retain-graph', 'tiny-sweep', String(5 / 18)],
      ['tiny-sweep-d1x1', 'g-first', 'tiny-sweep', String(5 / 18)],
      ['tiny-sweep-d8x1', 'retain-graph', 'tiny-sweep', String(40 / 18)],
      ['tiny-sweep-d8x1', 'g-first', 'tiny-sweep', String(40 / 18)],
      ['tiny-sweep-d64x1', 'retain-graph', 'tiny-sweep', String(320 / 18)],
      ['tiny-sweep-d64x1', 'g-first', 'tiny-sweep', String(320 / 18)],
    ]);
    expect(rows.every((row) => row.status === 'ok')).toBe(true);

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.scenarios.map((scenario) => scenario.sweep)).toEqual([
      { name: 'tiny-sweep', values: { discriminatorWidth: 1 } },
      { name: 'tiny-sweep', values: { discriminatorWidth: 8 } },
      { name: 'tiny-sweep', values: { discriminatorWidth: 64 } },
    ]);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Crossover map: tiny-sweep');
    expect(report).toContain('![crossover: time per step relative to g-first against D/G](crossover-tiny-sweep.svg)');
    expect(report).toMatch(/\| 2 \| cpu · [^|]+ \| 3 \| [^|]+ \| D\/G ≈ [^|]+ \| D\/G = 1 \|/);
    expect(report).toContain('## tiny-sweep-d64x1');
    expect((await readFile(join(out, 'crossover-tiny-sweep.svg'), 'utf8')).startsWith('<svg')).toBe(true);
  });

  it('deals variants, not files, to --shard, and the merged shards give the whole crossover section', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-'));
    const file = await tinySweep(dir);
    const [first, second] = await Promise.all(
      [1, 2].map((index) => cli('bench', [file, '--shard', `${index}/2`, '--out', join(dir, `shard-${index}`)])),
    );
    expect(first!.code, first!.stderr).toBe(0);
    expect(second!.code, second!.stderr).toBe(0);
    // Sorted names (d1x1, d64x1, d8x1) dealt round-robin; each shard runs its own in the sweep's order.
    expect(first!.stderr).toContain('shard 1/2: tiny-sweep-d1x1, tiny-sweep-d8x1');
    expect(second!.stderr).toContain('shard 2/2: tiny-sweep-d64x1');
    expect([...new Set((await rowsOf(join(dir, 'shard-2'))).map((row) => row.scenario))]).toEqual(['tiny-sweep-d64x1']);
    const merged = await cli('report', [join(dir, 'shard-1'), join(dir, 'shard-2'), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    const report = await readFile(join(dir, 'merged', 'report.md'), 'utf8');
    expect(report).toMatch(/\| 2 \| cpu · [^|]+ \| 3 \|/);
    expect(report).toContain('Sweep `tiny-sweep`: 3 variants');
    expect((await rowsOf(join(dir, 'merged'))).map((row) => row.sweep)).toEqual(Array(6).fill('tiny-sweep'));
  });

  it('exits 2 naming the file and the axis of a bad sweep, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-'));
    const file = await tinySweep(dir, '{ discriminatorWidth: [4, 4] }');
    const out = join(dir, 'run');
    const { code, stderr } = await cli('bench', [file, '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^bench: error: ${file}: invalid sweep\\n✖ lists a value twice\\n  → at axes\\.discriminatorWidth`));
    expect(existsSync(out)).toBe(false);
  });
});
