/** Renders cells as CSV, one row per cell (errored cells included), columns from `CSV_COLUMNS`. */
import { stringify } from 'csv-stringify/sync';
import type { CellResult } from '../types.js';
import { CSV_COLUMNS, CSV_HEADERS } from './columns.js';

/** The CSV text of these cells: a header line, then one row per cell in the order given. Null fields are empty. */
export function renderCsv(cells: readonly CellResult[]): string {
  const rows = cells.map((cell) => CSV_COLUMNS.map((column) => column.value(cell)));
  return stringify(rows, { header: true, columns: [...CSV_HEADERS] });
}
