/** Renders cells as CSV, one row per cell (errored cells included), columns from `CSV_COLUMNS`. */
import { stringify } from 'csv-stringify/sync';
import type { CellResult } from '../types.js';
import { CSV_COLUMNS, CSV_HEADERS } from './columns.js';

export interface CsvOptions {
  /** For merged runs: a last `run` column naming the run each cell came from. */
  runOf?: (cell: CellResult) => string;
}

/** The CSV text of these cells: a header line, then one row per cell in the order given. Null fields are empty. */
export function renderCsv(cells: readonly CellResult[], { runOf }: CsvOptions = {}): string {
  const rows = cells.map((cell) => {
    const row = CSV_COLUMNS.map((column) => column.value(cell));
    return runOf ? [...row, runOf(cell)] : row;
  });
  return stringify(rows, { header: true, columns: runOf ? [...CSV_HEADERS, 'run'] : [...CSV_HEADERS] });
}
