/** Renders cells as CSV, one row per cell (errored cells included), columns from `CSV_COLUMNS`. */
import { stringify } from 'csv-stringify/sync';
import type { CellResult } from '../../results/cell.js';
import type { ScenarioSummary } from '../../results/run.js';
import { CSV_COLUMNS, CSV_HEADERS } from './columns.js';

export interface CsvOptions {
  /** For merged runs: a last `run` column naming the run each cell came from. */
  runOf?: (cell: CellResult) => string;
  /** The runs' scenario summaries, by which the `sweep` and `d_to_g_macs` columns are filled (empty without). */
  scenarios?: readonly ScenarioSummary[];
}

/** The CSV text of these cells: a header line, then one row per cell in the order given. Null fields are empty. */
export function renderCsv(cells: readonly CellResult[], { runOf, scenarios = [] }: CsvOptions = {}): string {
  const byName = new Map<string, ScenarioSummary>();
  for (const scenario of scenarios) if (!byName.has(scenario.name)) byName.set(scenario.name, scenario);
  const rows = cells.map((cell) => {
    const row = CSV_COLUMNS.map((column) => column.value(cell, byName.get(cell.scenario)));
    return runOf ? [...row, runOf(cell)] : row;
  });
  return stringify(rows, { header: true, columns: runOf ? [...CSV_HEADERS, 'run'] : [...CSV_HEADERS] });
}
