import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRun } from '../report/fixtures.js';
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
});
