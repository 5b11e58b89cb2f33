import { describe, expect, it } from 'vitest';
import { cellsOutsidePlan, type PlannedUnits } from '../../src/compare/coverage.js';
import { keyOf } from '../../src/results/key.js';
import { makeCell, makeRun } from './fixtures.js';
import { TINY_UNIT_KEY } from '../fixtures/plan.js';

const unit = (overrides: Partial<PlannedUnits['units'][number]> = {}): PlannedUnits['units'][number] => ({
  ...TINY_UNIT_KEY,
  strategies: ['retain-graph'],
  distributedOnly: [],
  ...overrides,
});
const keys = (cells: ReturnType<typeof cellsOutsidePlan>) => cells.map((cell) => ({ scenario: cell.scenario, backend: cell.backend, strategy: cell.strategy, worldSize: keyOf(cell).worldSize }));

describe('cellsOutsidePlan', () => {
  const baseline = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' }), makeCell({ scenario: 'other' })] });

  it("lists the baseline's cells that no planned cell will produce", () => {
    expect(keys(cellsOutsidePlan(baseline, { units: [unit()] }))).toEqual([
      { scenario: 'tiny', backend: 'cpu', strategy: 'g-first', worldSize: 1 },
      { scenario: 'other', backend: 'cpu', strategy: 'retain-graph', worldSize: 1 },
    ]);
  });

  it('matches the whole key but the framework version: another backend or world size matches nothing, a torch upgrade still matches', () => {
    const all = (overrides: Partial<PlannedUnits['units'][number]>) => ({
      units: ['tiny', 'other'].map((scenario) => unit({ scenario, strategies: ['retain-graph', 'g-first'], ...overrides })),
    });
    expect(cellsOutsidePlan(baseline, all({}))).toEqual([]);
    expect(cellsOutsidePlan(baseline, all({ framework: 'tfjs 5.0.0' }))).toEqual([]);
    expect(cellsOutsidePlan(baseline, all({ backend: 'wasm' }))).toHaveLength(3);
    expect(cellsOutsidePlan(baseline, all({ worldSize: 2 }))).toHaveLength(3);
  });
});
