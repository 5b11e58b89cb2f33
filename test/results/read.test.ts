import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asCellState } from '../helpers/cell-state.js';
import { makeDistributedOnlyCell, makeRun } from '../report/fixtures.js';
import { readRunResults } from '../../src/results/read.js';

describe('readRunResults', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'results-read-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads a results folder and a results.json path alike', async () => {
    const run = makeRun();
    await writeFile(join(folder, 'results.json'), JSON.stringify(run));
    expect(await readRunResults(folder)).toEqual(run);
    expect(await readRunResults(join(folder, 'results.json'))).toEqual(run);
  });

  it("reads a cell whose status is 'raised' (the post's printed code raising PyTorch's error)", async () => {
    const run = makeRun();
    run.cells[0] = asCellState({ ...run.cells[0]!, status: 'raised', error: 'Trying to backward through the graph a second time ...' });
    await writeFile(join(folder, 'results.json'), JSON.stringify(run));
    expect((await readRunResults(folder)).cells[0]!.status).toBe('raised');
  });

  it('names the file when the schema version is wrong', async () => {
    const file = join(folder, 'results.json');
    await writeFile(file, JSON.stringify({ ...makeRun(), schemaVersion: 2 }));
    await expect(readRunResults(file)).rejects.toThrow(`${file}: is not a schemaVersion 1 results.json`);
  });

  it('names the file when cells are missing', async () => {
    const file = join(folder, 'results.json');
    const { cells: _cells, ...withoutCells } = makeRun();
    await writeFile(file, JSON.stringify(withoutCells));
    await expect(readRunResults(file)).rejects.toThrow(/cells/);
  });

  it('names the file when it is not JSON', async () => {
    const file = join(folder, 'results.json');
    await writeFile(file, '{ not json');
    await expect(readRunResults(file)).rejects.toThrow(`${file}: is not valid JSON`);
  });

  it('names the file when a folder holds no results.json', async () => {
    const empty = join(folder, 'empty');
    await mkdir(empty);
    await expect(readRunResults(empty)).rejects.toThrow(`${join(empty, 'results.json')}: no such file`);
  });

  it('refuses negative or non-finite timing samples, naming the file and the field', async () => {
    const file = join(folder, 'results.json');
    const run = makeRun();
    const cells = run.cells.map((cell, i) => (i === 1 ? { ...cell, timing: { ...cell.timing!, samplesMs: [1, -0.5, 1] } } : cell));
    await writeFile(file, JSON.stringify({ ...run, cells }));
    await expect(readRunResults(file)).rejects.toThrow(`${file}: is not a schemaVersion 1 results.json`);
    await expect(readRunResults(file)).rejects.toThrow(/>=0[\s\S]*at cells\[1\]\.timing\.samplesMs\[1\]/);
    // JSON has no Infinity, but 1e999 parses as one.
    await writeFile(file, JSON.stringify({ ...run, cells: [] }).replace('"cells":[]', `"cells":[${JSON.stringify(run.cells[0]).replace('"meanMs":1.4', '"meanMs":1e999')}]`));
    await expect(readRunResults(file)).rejects.toThrow(/at cells\[0\]\.timing\.meanMs/);
  });

  it('reads whether the run finished, and takes files written before that field as they are', async () => {
    const file = join(folder, 'results.json');
    await writeFile(file, JSON.stringify({ ...makeRun(), complete: false }));
    expect((await readRunResults(file)).complete).toBe(false);
    await writeFile(file, JSON.stringify(makeRun()));
    expect((await readRunResults(file)).complete).toBeUndefined();
  });
  it('reads a diverged cell with its step and detail, and refuses one that does not say where it diverged', async () => {
    const file = join(folder, 'results.json');
    const run = makeRun();
    run.cells[0] = asCellState({ ...run.cells[0]!, status: 'diverged', error: 'diverged at step 4: d_loss is NaN', diverged: { step: 4, detail: 'd_loss is NaN' } });
    await writeFile(file, JSON.stringify(run));
    expect((await readRunResults(file)).cells[0]).toMatchObject({ status: 'diverged', diverged: { step: 4, detail: 'd_loss is NaN' }, timing: null });
    const { diverged: _diverged, ...unsaid } = run.cells[0] as unknown as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...run, cells: [unsaid] }));
    await expect(readRunResults(file)).rejects.toThrow(/diverged: \{ step, detail \}[\s\S]*at cells\[0\]\.diverged/);
  });

  it('reads an older file\'s failed cell without its timing, and its ok cell without a timing as errored, saying why', async () => {
    const file = join(folder, 'results.json');
    const run = makeRun();
    const [first, second] = run.cells as unknown as [Record<string, unknown>, Record<string, unknown>];
    const old = [{ ...first, status: 'errored', error: 'boom' }, { ...second, timing: null }];
    await writeFile(file, JSON.stringify({ ...run, cells: old }));
    const [errored, untimed] = (await readRunResults(file)).cells;
    expect(errored).toMatchObject({ status: 'errored', error: 'boom', timing: null, timeRatio: null, flops: first['flops'] });
    expect(untimed).toMatchObject({ status: 'errored', error: 'recorded as ok without a timing (a results file from an older version)' });
  });

  it("reads an older file's ok cell whose parameter difference was NaN (JSON writes it as null) as errored, not different", async () => {
    const file = join(folder, 'results.json');
    const run = makeRun();
    const nan = { ...run.cells[1]!, equivalence: 'different', maxParamDiff: Number.NaN };
    await writeFile(file, JSON.stringify({ ...run, cells: [nan] }));
    expect((await readRunResults(file)).cells[0]).toMatchObject({
      status: 'errored',
      error: 'recorded as ok with a parameter difference that was not finite (written as null) (a results file from an older version)',
      timing: null,
    });
  });

  it("reads a distributed-only cell at world size 2 as measured without counts, and one at world size 1 as errored", async () => {
    const file = join(folder, 'results.json');
    const atTwo = makeDistributedOnlyCell('stylegan2-ada');
    const atOne = { ...atTwo, worldSize: 1 };
    await writeFile(file, JSON.stringify({ ...makeRun(), cells: [atTwo, atOne] }));
    const [two, one] = (await readRunResults(file)).cells;
    expect(two).toEqual(atTwo);
    expect(one).toMatchObject({ status: 'errored', error: expect.stringMatching(/^recorded as ok without its flopsPredicted, /) });
  });
});
