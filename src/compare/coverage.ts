/**
 * Which baseline cells a run will not produce, known before it starts: they would be missing from its
 * comparison, which fails by default, so `bench --baseline` refuses to measure for nothing (exit 2).
 */
import { keyId, type CellKey } from '../results/key.js';
import type { RunResults } from '../results/run.js';

/** What coverage needs of a plan (src/run/plan.ts): each unit's key and the strategies it runs. */
export interface PlannedUnits {
  units: readonly (Omit<CellKey, 'strategy'> & { strategies: readonly string[]; distributedOnly: readonly string[] })[];
}

/**
 * The baseline's cells that no planned cell matches: the same key, but for the framework's version (a comparison
 * pairs cells across an upgrade, and says so).
 */
export function cellsOutsidePlan(baseline: RunResults, plan: PlannedUnits): RunResults['cells'] {
  const planned = new Set(
    plan.units.flatMap((unit) => [...unit.strategies, ...unit.distributedOnly].map((strategy) => keyId({ ...unit, strategy }, ['framework']))),
  );
  return baseline.cells.filter((cell) => !planned.has(keyId(cell, ['framework'])));
}
