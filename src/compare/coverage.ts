/**
 * Which baseline cells a run will not produce, known before it starts: they would be missing from its
 * comparison, which fails by default, so `bench --baseline` refuses to measure for nothing (exit 2).
 */
import type { CellKey } from './comparison.js';
import type { RunResults } from '../results/run.js';

/** A cell a run will measure, as known before it starts: its backend may still be 'auto' (any backend). */
export interface PlannedCell {
  scenario: string;
  backend: string;
  strategy: string;
}

/** The baseline's cells that no planned cell matches (same scenario and strategy, same backend unless 'auto'). */
export function cellsOutsidePlan(baseline: RunResults, planned: readonly PlannedCell[]): CellKey[] {
  return baseline.cells
    .filter(
      (cell) =>
        !planned.some(
          (plan) =>
            plan.scenario === cell.scenario &&
            plan.strategy === cell.strategy &&
            (plan.backend === 'auto' || plan.backend === cell.backend),
        ),
    )
    .map(({ scenario, backend, strategy }) => ({ scenario, backend, strategy }));
}
