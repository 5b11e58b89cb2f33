/**
 * Merging several results.json files (shards, backends, machines) into one report's input (reading them is
 * src/results/read.ts's job).
 */
import type { CellResult } from '../results/cell.js';
import type { RunResults, ScenarioSummary } from '../results/run.js';

/** A cell tagged with the index (into `MergedRuns.runs`) of the run it came from. */
export type TaggedCell = CellResult & { run: number };

export interface MergedRuns {
  /** Every cell of every run, in run order, each tagged with its run's index: nothing is deduplicated. */
  cells: TaggedCell[];
  /** Every scenario once, by name; the first run that describes it wins. */
  scenarios: ScenarioSummary[];
  runs: RunResults[];
}

/** Concatenates runs' cells (tagged by run) and their scenarios (deduplicated by name). */
export function mergeRuns(runs: readonly RunResults[]): MergedRuns {
  const scenarios = new Map<string, ScenarioSummary>();
  const cells: TaggedCell[] = [];
  runs.forEach((run, index) => {
    for (const scenario of run.scenarios) if (!scenarios.has(scenario.name)) scenarios.set(scenario.name, scenario);
    for (const cell of run.cells) cells.push({ ...cell, run: index });
  });
  return { cells, scenarios: [...scenarios.values()], runs: [...runs] };
}
