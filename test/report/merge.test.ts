import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeRuns, readResults } from '../../src/report/merge.js';
import { makeCell, makeRun, makeScenario } from './fixtures.js';

describe('mergeRuns', () => {
  it('concatenates the cells of two runs, tagging each with its run index', () => {
    const first = makeRun();
    const second = makeRun({
      createdAt: '2025-02-01T00:00:00.000Z',
      scenarios: [makeScenario({ name: 'wide' })],
      cells: [makeCell('g-first', { scenario: 'wide', backend: 'wasm', device: 'wasm' })],
    });
    const merged = mergeRuns([first, second]);
    expect(merged.cells).toHaveLength(5);
    expect(merged.cells.map((cell) => cell.run)).toEqual([0, 0, 0, 0, 1]);
    expect(merged.scenarios.map((scenario) => scenario.name)).toEqual(['tiny', 'wide']);
    expect(merged.runs).toEqual([first, second]);
  });

  it('keeps the same cell twice when two runs measured it, and the scenario once', () => {
    const merged = mergeRuns([makeRun(), makeRun({ createdAt: '2025-02-01T00:00:00.000Z' })]);
    const gFirst = merged.cells.filter((cell) => cell.strategy === 'g-first');
    expect(gFirst.map((cell) => cell.run)).toEqual([0, 1]);
    expect(merged.scenarios).toHaveLength(1);
  });
});

describe('readResults', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'report-merge-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads a results folder and a results.json path alike', async () => {
    const run = makeRun();
    await writeFile(join(folder, 'results.json'), JSON.stringify(run));
    expect(await readResults(folder)).toEqual(run);
    expect(await readResults(join(folder, 'results.json'))).toEqual(run);
  });

  it('names the file when the schema version is wrong', async () => {
    const file = join(folder, 'results.json');
    await writeFile(file, JSON.stringify({ ...makeRun(), schemaVersion: 2 }));
    await expect(readResults(file)).rejects.toThrow(`results file ${file} is not a schemaVersion 1 results file`);
  });

  it('names the file when cells are missing', async () => {
    const file = join(folder, 'results.json');
    const { cells: _cells, ...withoutCells } = makeRun();
    await writeFile(file, JSON.stringify(withoutCells));
    await expect(readResults(file)).rejects.toThrow(/cells/);
  });

  it('names the file when it is not JSON', async () => {
    const file = join(folder, 'results.json');
    await writeFile(file, '{ not json');
    await expect(readResults(file)).rejects.toThrow(`results file ${file} is not valid JSON`);
  });

  it('names the file when a folder holds no results.json', async () => {
    const empty = join(folder, 'empty');
    await mkdir(empty);
    await expect(readResults(empty)).rejects.toThrow(`cannot read results file ${join(empty, 'results.json')}`);
  });
});
