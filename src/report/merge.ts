/**
 * Merging several results.json files (shards, backends, machines) into one report's input, and reading them.
 * `mergeRuns` is pure; `readResults` is the one function in src/report/ that touches the file system.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CellResult, RunResults, ScenarioSummary } from '../types.js';

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

/** The minimal check before a file is trusted as RunResults: the layout version and the arrays reports walk. */
const runResultsShape = z.looseObject({
  schemaVersion: z.literal(1),
  cells: z.array(z.looseObject({ scenario: z.string(), strategy: z.string(), status: z.string() })),
  scenarios: z.array(z.looseObject({ name: z.string() })),
});

/** Reads a results.json, given its path or the results folder holding it; throws an Error naming the file. */
export async function readResults(path: string): Promise<RunResults> {
  const file = (await stat(path).catch(() => null))?.isDirectory() ? join(path, 'results.json') : path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read results file ${file}`, { cause });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new Error(`results file ${file} is not valid JSON`, { cause });
  }
  const parsed = runResultsShape.safeParse(data);
  if (!parsed.success) {
    throw new Error(`results file ${file} is not a schemaVersion 1 results file:\n${z.prettifyError(parsed.error)}`);
  }
  return data as RunResults;
}
