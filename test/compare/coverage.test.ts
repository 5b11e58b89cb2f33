import { describe, expect, it } from 'vitest';
import { cellsOutsidePlan } from '../../src/compare/coverage.js';
import { makeCell, makeRun } from './fixtures.js';

describe('cellsOutsidePlan', () => {
  const baseline = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' }), makeCell({ scenario: 'other' })] });

  it("lists the baseline's cells that no planned cell will produce", () => {
    const planned = [{ scenario: 'tiny', backend: 'cpu', strategy: 'retain-graph' }];
    expect(cellsOutsidePlan(baseline, planned)).toEqual([
      { scenario: 'tiny', backend: 'cpu', strategy: 'g-first' },
      { scenario: 'other', backend: 'cpu', strategy: 'retain-graph' },
    ]);
  });

  it("takes a planned 'auto' backend to match any backend, and another backend to match none", () => {
    const plan = (backend: string) =>
      ['tiny', 'other'].flatMap((scenario) => ['retain-graph', 'g-first'].map((strategy) => ({ scenario, backend, strategy })));
    expect(cellsOutsidePlan(baseline, plan('auto'))).toEqual([]);
    expect(cellsOutsidePlan(baseline, plan('wasm'))).toHaveLength(3);
  });
});
