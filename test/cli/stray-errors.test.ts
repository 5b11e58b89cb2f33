import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/exit.js';
import { ScenarioErrorWatch } from '../../src/cli/stray-errors.js';
import { failUnits } from '../../src/results/make.js';
import type { RunResults } from '../../src/types.js';
import { makeRun } from '../report/fixtures.js';
import { cli, root } from './run-cli.js';

const bench = (args: string[]) => cli('bench', args);
const tmp = () => mkdtemp(join(tmpdir(), 'stray-'));

/** The tiny fixture under another name, `prelude` at its top level, `extra` merged in. */
async function tinyScenario(dir: string, name: string, prelude: string, extra = ''): Promise<string> {
  const file = join(dir, `${name}.ts`);
  const tiny = join(root, 'test/fixtures/tiny.js');
  await writeFile(file, `import tiny from ${JSON.stringify(tiny)};\n${prelude}\nexport default { ...tiny, name: '${name}'${extra} };\n`);
  return file;
}

describe('a scenario file that throws asynchronously', () => {
  it('is bad input while it loads (a timer or a promise nobody awaited): exit 2, the file named, nothing written', async () => {
    const dir = await tmp();
    const timer = await tinyScenario(dir, 'timer', "setTimeout(() => { throw new TypeError('boom'); }, 0);");
    const rejected = await tinyScenario(dir, 'rejected', "Promise.reject(new Error('nobody awaits me'));");
    const out = join(dir, 'run');
    const [fromTimer, fromPromise] = await Promise.all([
      bench(['test/fixtures/tiny.ts', timer, '--out', out]),
      bench([rejected, '--out', out]),
    ]);
    expect(fromTimer).toMatchObject({ code: 2, stderr: `bench: error: ${timer}: threw after it was imported (a timer or a promise nobody awaited): boom\n` });
    expect(fromPromise).toMatchObject({
      code: 2,
      stderr: `bench: error: ${rejected}: threw after it was imported (a timer or a promise nobody awaited): nobody awaits me\n`,
    });
    expect(existsSync(out)).toBe(false);
  });

  it('fails the cells of the scenario it throws in, keeps the run going and the results valid, and exits 1', async () => {
    const dir = await tmp();
    // Fires well after loading (3 s after the import), while the scenario's 2 x 2 timing rounds of 2.5 s each run.
    const late = await tinyScenario(dir, 'late', "setTimeout(() => { throw new Error('late boom'); }, 3000);", ', measure: { ...tiny.measure, minTimeMs: 2500 }');
    const out = join(dir, 'run');
    const { code, stderr } = await bench([late, 'test/fixtures/tiny.ts', '--strategies', 'g-first,single-forward', '--out', out]);
    expect(code, stderr).toBe(1);
    const message = `${late} threw while scenario late ran on cpu (a timer or a promise nobody awaited): late boom`;
    expect(stderr).toContain(`error: ${message}; its cells are marked errored, the run goes on`);
    expect(stderr).toMatch(/\[1\/2\] late: done in .*, 0\/2 cells ok/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map(({ scenario, status, error }) => ({ scenario, status, error }))).toEqual([
      { scenario: 'late', status: 'errored', error: message },
      { scenario: 'late', status: 'errored', error: message },
      { scenario: 'tiny', status: 'ok', error: '' },
      { scenario: 'tiny', status: 'ok', error: '' },
    ]);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.complete).toBe(true);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain(`**g-first errored:** ${message}`);
  });

  it("fails the cells of a scenario on backend 'auto' (the schema's default): the cells carry the backend auto resolved to", async () => {
    const dir = await tmp();
    const late = await tinyScenario(dir, 'late-auto', "setTimeout(() => { throw new Error('late boom'); }, 3000);", ", backend: 'auto', measure: { ...tiny.measure, minTimeMs: 2500 }");
    const out = join(dir, 'run');
    const { code, stderr } = await bench([late, '--strategies', 'g-first,single-forward', '--out', out]);
    expect(code, stderr).toBe(1);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const backend = rows[0]!.backend!;
    expect(backend).not.toBe('auto');
    const message = `${late} threw while scenario late-auto ran on ${backend} (a timer or a promise nobody awaited): late boom`;
    expect(rows.map(({ status, error }) => ({ status, error }))).toEqual([
      { status: 'errored', error: message },
      { status: 'errored', error: message },
    ]);
  });

  it('is still a crash of the harness (exit 3, with the stack) when its stack names no scenario file', async () => {
    const dir = await tmp();
    // JSON.parse itself is the timer's callback: the stack holds node's frames only, nothing ties it to the file.
    const anonymous = await tinyScenario(dir, 'anonymous', "setTimeout(JSON.parse, 3000, '{');", ', measure: { ...tiny.measure, minTimeMs: 2500 }');
    const { code, stderr } = await bench([anonymous, '--strategies', 'single-forward', '--out', join(dir, 'run')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^bench: internal error \(exit code 3\): SyntaxError: [^\n]*JSON[^\n]*\n {4}at /m);
  });
});

describe('ScenarioErrorWatch', () => {
  const thrownIn = (file: string) => Object.assign(new Error('boom'), { stack: `Error: boom\n    at Timeout._onTimeout (${file}:2:9)` });

  it("blames, while a file loads, the file the error's stack names, else the one loading", async () => {
    const watch = new ScenarioErrorWatch(() => {});
    await watch.loading('a.ts', '/s/a.ts', async () => null);
    const fromA = watch.loading('b.ts', '/s/b.ts', async () => watch.claim(thrownIn('/s/a.ts')));
    await expect(fromA).rejects.toThrow(new UsageError('a.ts: threw after it was imported (a timer or a promise nobody awaited): boom'));
    const anonymous = watch.loading('c.ts', '/s/c.ts', async () => watch.claim('no stack'));
    await expect(anonymous).rejects.toThrow('c.ts: threw after it was imported (a timer or a promise nobody awaited): no stack');
  });

  it("fails the running scenario's cells for an error its file threw, and leaves any other error a crash", async () => {
    const lines: string[] = [];
    const watch = new ScenarioErrorWatch((line) => lines.push(line));
    await watch.loading('tiny.ts', '/s/tiny.ts', async () => null);
    const [first] = makeRun().cells;
    watch.unitStarted(first!);
    expect(watch.claim(new Error('a harness bug'))).toBe(false);
    expect(watch.claim(thrownIn('/s/tiny.ts'))).toBe(true);
    const message = 'tiny.ts threw while scenario tiny ran on cpu (a timer or a promise nobody awaited): boom';
    expect(lines).toEqual([`error: ${message}; its cells are marked errored, the run goes on`]);
    const failed = failUnits(makeRun().cells, watch.failed());
    expect(failed.map(({ status, error }) => ({ status, error }))).toEqual(makeRun().cells.map(() => ({ status: 'errored', error: message })));
    // The same scenario on another backend, or at another world size, ran apart from it: its cells stand.
    const onWasm = makeRun().cells.map((cell) => ({ ...cell, backend: 'wasm' as const }));
    expect(failUnits(onWasm, watch.failed())).toEqual(onWasm);
    const atTwo = makeRun().cells.map((cell) => ({ ...cell, worldSize: 2 }));
    expect(failUnits(atTwo, watch.failed())).toEqual(atTwo);
  });
});
