import { describe, expect, it } from 'vitest';
import { mergeRuns } from '../../src/report/merge.js';
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
