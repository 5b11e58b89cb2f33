import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareAndRender, compareFiles } from '../../src/compare/api.js';
import { ResultsFileError } from '../../src/results/read.js';
import { makeCell, makeRun } from './fixtures.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'compare-api-'));
  await writeFile(join(directory, 'results.json'), JSON.stringify(makeRun({ cells: [makeCell({ kernels: 42 })] })));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('compareFiles and compareAndRender', () => {
  it('compares a results folder given as baseline with a results.json', async () => {
    const current = join(directory, 'current.json');
    await writeFile(current, JSON.stringify(makeRun({ cells: [makeCell({ kernels: 43 })] })));
    const { comparison, markdown } = await compareFiles(directory, current);
    expect(comparison.regressed).toBe(true);
    expect(markdown).toContain('| tiny / cpu / retain-graph | kernels | 42 | 43 | +1 | exact | ❌ changed |');
  });

  it('passes the options on', async () => {
    const { comparison } = compareAndRender(makeRun({ cells: [makeCell()] }), makeRun({ cells: [makeCell()] }), { mode: 'ratio', alpha: 0.01 });
    expect(comparison.mode).toBe('ratio');
    expect(comparison.alpha).toBe(0.01);
  });

  it('rejects a missing baseline with a ResultsFileError naming it', async () => {
    const missing = join(directory, 'missing.json');
    await expect(compareFiles(missing, directory)).rejects.toThrow(ResultsFileError);
    await expect(compareFiles(missing, directory)).rejects.toThrow(missing);
  });
});
