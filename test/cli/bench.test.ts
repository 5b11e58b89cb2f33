import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { RUNNABLE_STRATEGY_IDS, STRATEGY_IDS } from '../../src/strategies/index.js';
import type { RunResults } from '../../src/types.js';
import { makeRun } from '../report/fixtures.js';
import { cli, root, startCli } from './run-cli.js';

const bench = (args: string[]) => cli('bench', args);
const tmp = () => mkdtemp(join(tmpdir(), 'bench-'));

/** A copy of the tiny fixture under another name, with `extra` merged in (a scenario file is TypeScript). */
async function tinyScenario(dir: string, name: string, extra = ''): Promise<string> {
  const file = join(dir, `${name}.ts`);
  const tiny = join(root, 'test/fixtures/tiny.js');
  await writeFile(file, `import tiny from ${JSON.stringify(tiny)};\nexport default { ...tiny, name: '${name}'${extra} };\n`);
  return file;
}

describe('npm run bench', () => {
  it('runs the tiny scenario end to end and writes one CSV row per strategy', async () => {
    const out = join(await tmp(), 'run');
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[1\/1\] tiny: timing round 1\/2/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.strategy)).toEqual([...STRATEGY_IDS]);
    // The post's code as printed raises PyTorch's errors, as it must: reported, not a failure (exit 0).
    const row = (strategy: string) => rows.find((candidate) => candidate.strategy === strategy)!;
    expect(row('retain-graph-printed')).toMatchObject({
      status: 'raised',
      error: expect.stringMatching(/^one of the variables needed for gradient computation has been modified by an inplace operation/),
    });
    expect(row('detach-d-first-printed')).toMatchObject({
      status: 'raised',
      error: expect.stringMatching(/^Trying to backward through the graph a second time/),
    });
    for (const row of rows.filter(({ strategy }) => (RUNNABLE_STRATEGY_IDS as readonly string[]).includes(strategy!))) {
      expect(row.status).toBe('ok');
      expect(row.leaked_tensors).toBe('0');
      expect(row.flops).toBe(row.flops_predicted);
      expect(Number(row.time_ms_mean)).toBeGreaterThan(0);
    }
    expect(rows.find((row) => row.strategy === 'retain-graph')).toMatchObject({ g_backwards: '2', wasted_grad_elems: '56', flops: '1032' });
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/Claims/);
    expect(report).not.toMatch(/Incomplete/);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells).toHaveLength(STRATEGY_IDS.length);
    expect(results.complete).toBe(true);
  });

  it("under WGAN-GP refuses the strategies it has no form of, in their rows, and exits 0: a refusal is no failure", async () => {
    const out = join(await tmp(), 'run');
    const flags = ['--regularizer', 'wgan-gp', '--strategies', 'retain-graph,g-first,retain-graph-printed', '--out', out];
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', ...flags]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/1\/3 cells ok, 2 refused by the regularizer \(it has no form of them\)/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map(({ strategy, status }) => [strategy, status])).toEqual([
      ['retain-graph', 'refused'],
      ['g-first', 'ok'],
      ['retain-graph-printed', 'refused'],
    ]);
    expect(rows[0]!.error).toMatch(/^regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and G's loss/);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain("- retain-graph refused (no failure): regularizer wgan-gp does not fit this strategy");
    expect(report).not.toContain('**retain-graph errored');
  });

  it('runs only the strategies asked for', async () => {
    const out = join(await tmp(), 'run');
    const { code } = await bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'g-first,single-forward']);
    expect(code).toBe(0);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.strategy)).toEqual(['g-first', 'single-forward']);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.scenarios[0].strategies).toEqual(['g-first', 'single-forward']);
  });

  it('exits 2 naming the flag for an unknown strategy or backend, or a strategy or backend given twice, and writes nothing', async () => {
    const out = join(await tmp(), 'run');
    const [strategy, backend, twice, backendTwice, autoListed] = await Promise.all([
      bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'retain-graph,g-last']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'cpu,tpu']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'g-first,g-first']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'cpu,pytorch,cpu']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'auto,pytorch']),
    ]);
    expect(backendTwice.code).toBe(2);
    expect(backendTwice.stderr).toBe('bench: error: --backend: lists cpu twice\n');
    expect(autoListed.code).toBe(2);
    expect(autoListed.stderr).toMatch(/--backend: auto picks one backend and cannot be listed with others/);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/--strategies: unknown strategy 'g-last'/);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--backend: unknown backend 'tpu'/);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe('bench: error: --strategies: lists g-first twice\n');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 naming the flag and the value for an unknown compile mode, precision or format, and a --python without PyTorch, and writes nothing', async () => {
    const dir = await tmp();
    const out = join(dir, 'run');
    const noTorch = join(dir, 'python');
    await writeFile(noTorch, '#!/bin/sh\necho "ModuleNotFoundError: No module named torch" >&2\nexit 1\n', { mode: 0o755 });
    const [compile, precision, format, python, pythonWithoutPytorch, notPython] = await Promise.all([
      bench(['test/fixtures/tiny.ts', '--out', out, '--compile', 'eager,jit']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--precision', 'fp32,fp8']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--format', 'junit']),
      bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'pytorch', '--python', noTorch]),
      bench(['test/fixtures/tiny.ts', '--out', out, '--python', noTorch]),
      bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'pytorch', '--python', '/bin/true']),
    ]);
    expect(notPython).toMatchObject({ code: 2, stderr: "bench: error: --python /bin/true: does not run as a Python with torch (asked for its version and torch's, it printed nothing)\n" });
    expect(compile).toMatchObject({ code: 2, stderr: "bench: error: --compile: unknown value 'jit' (known: eager, modules, step)\n" });
    expect(precision.code).toBe(2);
    expect(precision.stderr).toMatch(/^bench: error: --precision: unknown value 'fp8' \(known: fp32, bf16, fp16/);
    expect(format).toMatchObject({ code: 2, stderr: "bench: error: --format: unknown value 'junit' (known: github-action-benchmark)\n" });
    expect(python).toMatchObject({ code: 2, stderr: `bench: error: --python ${noTorch}: ModuleNotFoundError: No module named torch\n` });
    expect(pythonWithoutPytorch.code).toBe(2);
    expect(pythonWithoutPytorch.stderr).toMatch(/--python: picks the pytorch backend's interpreter, but no scenario runs on pytorch/);
    expect(existsSync(out)).toBe(false);
  });

  it("says in every tfjs cell under a step variant that tfjs has none, and writes a benchmark-tracking action's file", async () => {
    const out = join(await tmp(), 'run');
    const { code } = await bench(['test/fixtures/tiny.ts', '--out', out, '--strategies', 'g-first', '--precision', 'fp32,bf16', '--format', 'github-action-benchmark']);
    expect(code).toBe(1);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map(({ precision, status, error }) => ({ precision, status, error }))).toEqual([
      { precision: 'fp32', status: 'ok', error: '' },
      { precision: 'bf16', status: 'errored', error: 'no mixed precision on tfjs (bf16 runs on the pytorch backend only; tfjs runs fp32)' },
    ]);
    const entries = JSON.parse(await readFile(join(out, 'github-action-benchmark.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    expect(entries.map(({ name, unit }) => ({ name, unit }))).toEqual([{ name: 'tiny / cpu / g-first', unit: 'ms/step' }]);
    expect(entries[0]!.value).toBeGreaterThan(0);
  });

  it('exits 2 naming the file and field of a malformed scenario, and writes nothing', async () => {
    const dir = await tmp();
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

  it('finds a bad output path before measuring anything, and exits 2 with one line naming the flag and path', async () => {
    const dir = await tmp();
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const baseline = join(dir, 'baseline.json');
    await writeFile(baseline, JSON.stringify(makeRun({ settings: { ...makeRun().settings, referenceStrategy: 'retain-graph' } })));
    const [existingFile, proc, empty, summary] = await Promise.all([
      bench(['test/fixtures/tiny.ts', '--out', file]),
      bench(['test/fixtures/tiny.ts', '--out', '/proc/x']),
      bench(['test/fixtures/tiny.ts', '--out', '']),
      bench(['test/fixtures/tiny.ts', '--out', join(dir, 'run'), '--baseline', baseline, '--summary', join(file, 'summary.md')]),
    ]);
    expect(existingFile).toMatchObject({ code: 2, stderr: `bench: error: --out ${file}: cannot be written: is a file, not a folder\n` });
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/^bench: error: --out \/proc\/x: cannot be written: ENOENT[^\n]*\n$/);
    expect(empty).toMatchObject({ code: 2, stderr: 'bench: error: --out: empty path\n' });
    expect(summary).toMatchObject({ code: 2, stderr: `bench: error: --summary ${join(file, 'summary.md')}: cannot be written: ${file} is a file, not a folder\n` });
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('refuses, before measuring, a baseline this run cannot be compared with', async () => {
    const dir = await tmp();
    const baseline = join(dir, 'baseline.json');
    // The report fixture: the tiny scenario's four strategies on cpu, times relative to single-forward.
    await writeFile(baseline, JSON.stringify(makeRun()));
    const run = ['test/fixtures/tiny.ts', '--strategies', 'g-first,single-forward', '--out', join(dir, 'run'), '--baseline', baseline];
    const [missing, reference] = await Promise.all([bench(run), bench([...run, '--allow-missing'])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `bench: error: --baseline ${baseline}: 2 of its 4 cells are not in this run (tiny / cpu / retain-graph; tiny / cpu / detach-d-first), ` +
        'so the comparison would fail: run them too, or pass --allow-missing\n',
    );
    expect(reference.code).toBe(2);
    expect(reference.stderr).toBe(
      `bench: error: --baseline ${baseline}: its time ratios are relative to single-forward, this run's would be relative to g-first: ` +
        'run single-forward too, or compare with --mode absolute\n',
    );
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('names both files when two scenarios share a name, and says where it looked for a missing one', async () => {
    const dir = await tmp();
    const copy = await tinyScenario(dir, 'tiny');
    const [twice, missing] = await Promise.all([
      bench(['test/fixtures/tiny.ts', copy]),
      cli('bench', ['fixtures/nope.ts'], { INIT_CWD: join(root, 'test') }),
    ]);
    expect(twice.stderr).toBe(`bench: error: two scenario files are named 'tiny': test/fixtures/tiny.ts and ${copy}\n`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `bench: error: scenario file fixtures/nope.ts: no such file or folder (looked for ${join(root, 'test/fixtures/nope.ts')} and ${join(root, 'fixtures/nope.ts')})\n`,
    );
  });

  it('fails the cells of a scenario too big for the machine, and runs the next one', async () => {
    const dir = await tmp();
    // 32 hidden layers of 65536 at batch 65536: terabytes, on any machine.
    const huge = await tinyScenario(
      dir,
      'huge',
      ", generator: { latentSize: 2, hidden: Array(32).fill(65536), outputSize: 4 }, batchSize: 65536",
    );
    const out = join(dir, 'run');
    const { code, stderr } = await bench([huge, 'test/fixtures/tiny.ts', '--out', out]);
    expect(code, stderr).toBe(1);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    const hugeCells = results.cells.filter((cell) => cell.scenario === 'huge');
    expect(hugeCells).toHaveLength(STRATEGY_IDS.length);
    for (const cell of hugeCells) {
      expect(cell.status).toBe('errored');
      expect(cell.error).toMatch(/^needs about [\d.]+ [GT]iB \(parameters [\d.]+ [GT]iB, Adam moments .*, more than the [\d.]+ [GMT]iB of free system memory cpu can use$/);
    }
    expect(results.cells.filter((cell) => cell.scenario === 'tiny' && cell.status === 'ok')).toHaveLength(RUNNABLE_STRATEGY_IDS.length);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('- **retain-graph errored:** needs about');
  });

  it('keeps a report beside the data it describes when a re-run into the same folder is interrupted', async () => {
    const dir = await tmp();
    const out = join(dir, 'run');
    await mkdir(out);
    await writeFile(join(out, 'report.md'), 'OLD REPORT\n');
    await writeFile(join(out, 'time.svg'), 'OLD CHART');
    const first = await tinyScenario(dir, 'alpha');
    const second = await tinyScenario(dir, 'bravo', ", measure: { ...tiny.measure, minTimeMs: 60000 }");
    const child = startCli('bench', [first, second, '--out', out]);
    let stderr = '';
    await new Promise<void>((done) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // bravo starts only once alpha's results are written: stop the run there, as a crash or a kill would.
        if (stderr.includes('[2/2] bravo:')) child.kill('SIGKILL');
      });
      child.on('exit', () => done());
    });
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.complete).toBe(false);
    expect(new Set(results.cells.map((cell) => cell.scenario))).toEqual(new Set(['alpha']));
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).not.toContain('OLD REPORT');
    expect(report).toContain(results.createdAt);
    expect(report).toContain('**Incomplete:** This run did not finish (interrupted, or still running): 1 of 2 scenarios measured');
    expect(await readFile(join(out, 'time.svg'), 'utf8')).not.toBe('OLD CHART');
  });

  it('keeps the measured cells when a backend fails to start, and exits 1', async () => {
    const out = join(await tmp(), 'run');
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--out', out, '--backend', 'tensorflow']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/@tensorflow\/tfjs-node/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(STRATEGY_IDS.length);
    expect(rows.every((row) => row.status === 'errored' && /tfjs-node/.test(row.error!))).toBe(true);
  });
});
