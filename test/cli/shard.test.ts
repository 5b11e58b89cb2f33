import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/types.js';
import { cli, root } from './run-cli.js';

/** Three copies of the tiny scenario under different names, one strategy each run to stay quick. */
async function scenarioFiles(dir: string): Promise<string[]> {
  const tiny = join(root, 'test/fixtures/tiny.js');
  return Promise.all(
    ['alpha', 'bravo', 'charlie'].map(async (name) => {
      const file = join(dir, `${name}.ts`);
      await writeFile(file, `import tiny from ${JSON.stringify(tiny)};\nexport default { ...tiny, name: '${name}' };\n`);
      return file;
    }),
  );
}

async function bench(args: string[], out: string): Promise<RunResults> {
  const { code, stderr } = await cli('bench', [...args, '--strategies', 'g-first', '--out', out]);
  expect(code, stderr).toBe(0);
  return JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
}

/** What must not depend on how the sweep was split: each cell's identity and its exact counts. */
const exact = (results: RunResults[]) =>
  results
    .flatMap((r) => r.cells)
    .map(({ scenario, backend, strategy, flops, kernels, generatorForwards, discriminatorForwards, wastedGradientElements }) => ({
      scenario, backend, strategy, flops, kernels, generatorForwards, discriminatorForwards, wastedGradientElements,
    }))
    .sort((a, b) => a.scenario.localeCompare(b.scenario));

describe('--shard', () => {
  it('splits a sweep so that the shards merged give the same cells as one unsharded run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shard-'));
    const files = await scenarioFiles(dir);
    const whole = await bench(files, join(dir, 'whole'));
    const first = await bench([...files, '--shard', '1/2'], join(dir, 'shard-1'));
    const second = await bench([...files, '--shard', '2/2'], join(dir, 'shard-2'));
    expect(first.cells.length).toBeGreaterThan(0);
    expect(second.cells.length).toBeGreaterThan(0);
    expect(first.settings.shard).toEqual({ index: 1, count: 2 });
    expect(exact([first, second])).toEqual(exact([whole]));
  });

  it('writes a valid empty result for a shard with no scenario, which npm run report merges with the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shard-'));
    const [file] = await scenarioFiles(dir);
    const [full, empty] = await Promise.all([bench([file!, '--shard', '1/2'], join(dir, 'shard-1')), bench([file!, '--shard', '2/2'], join(dir, 'shard-2'))]);
    expect(empty).toMatchObject({ complete: true, scenarios: [], cells: [] });
    expect(empty.settings).toEqual({ backend: 'per scenario', strategies: ['g-first'], referenceStrategy: 'g-first', shard: { index: 2, count: 2 } });
    expect(await readFile(join(dir, 'shard-2', 'report.md'), 'utf8')).toContain(
      'This run had no scenario: it is shard 2/2, and every scenario of the sweep fell to the other shards.',
    );
    const merged = await cli('report', [join(dir, 'shard-1'), join(dir, 'shard-2'), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    const rows = parse(await readFile(join(dir, 'merged', 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(full.cells.length);
  });
});
