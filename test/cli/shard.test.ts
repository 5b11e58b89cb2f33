import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/types.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

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
  await run(tsx, ['src/cli/bench.ts', ...args, '--strategies', 'g-first', '--out', out], { cwd: root });
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
});
