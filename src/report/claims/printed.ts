/**
 * The section on the post's code as printed (data in, markdown out): for each printed strategy, what it raised on
 * each backend, word for word and where, beside the faithful strategy that computes what it meant. These cells
 * have no numbers: raising is their expected outcome (src/strategies/outcome.ts), not a failure.
 */
import { AS_PRINTED_STRATEGY_IDS, type StrategyId } from '../../strategies/ids.js';
import { strategies } from '../../strategies/index.js';
import type { CellResult } from '../../results/cell.js';
import { formatMs } from '../../format.js';
import { plainText } from '../tables/tables.js';

type PrintedId = (typeof AS_PRINTED_STRATEGY_IDS)[number];

/** Each printed strategy's faithful form: the same work in the form PyTorch runs. */
export const FAITHFUL_FORM: Readonly<Record<PrintedId, StrategyId>> = {
  'retain-graph-printed': 'retain-graph',
  'detach-d-first-printed': 'detach-d-first',
};

/** The post's numbering, for the section's words. */
const POST_NUMBER: Readonly<Record<PrintedId, number>> = { 'retain-graph-printed': 1, 'detach-d-first-printed': 2 };

/** A cell with the words that name where it ran: "PyTorch 1.13.0" or "tfjs 4.22.0 on wasm". */
export interface PlacedCell {
  cell: CellResult;
  /** Who ran it, e.g. `PyTorch 1.13.0a0` or `tfjs 4.22.0 (cpu)`. */
  place: string;
}

/** Errors are quoted whole (they are what the section is for), on one line, at most this long. */
const MAX_ERROR_LENGTH = 1000;

function outcome({ cell, place }: PlacedCell, at: string): string {
  const error = plainText(cell.error ?? 'no message', MAX_ERROR_LENGTH);
  if (cell.status === 'raised') return `${place} raised in \`${at}\`: “${error}”`;
  if (cell.status === 'refused') return `${place} was not run: ${error}`;
  if (cell.status === 'errored') return `${place} **did not raise as PyTorch does**: ${error}`;
  if (cell.status === 'diverged') return `${place} **did not raise as PyTorch does**: it diverged at step ${cell.diverged.step} (${plainText(cell.diverged.detail)})`;
  return `${place} **ran to the end** (it must raise)`;
}

function faithfulWords(faithful: StrategyId, cells: readonly PlacedCell[]): string {
  const times = cells
    .filter(({ cell }) => cell.strategy === faithful)
    .map(({ cell, place }) => (cell.status === 'ok' && cell.timing ? `${formatMs(cell.timing.meanMs)} with ${place}` : `${cell.status} with ${place}`));
  return `\`${faithful}\` is the form that runs${times.length ? ` (${times.join(', ')})` : ''}`;
}

/**
 * One list item per printed strategy among the cells: the post's number, the faithful form beside it (with its
 * time on each backend), then what each backend did, word for word. Null when no printed strategy ran.
 */
export function renderPrintedStrategies(cells: readonly PlacedCell[]): string | null {
  const lines: string[] = [];
  for (const id of AS_PRINTED_STRATEGY_IDS) {
    const printed = cells.filter(({ cell }) => cell.strategy === id);
    if (printed.length === 0) continue;
    const { raises } = strategies[id];
    const at = raises?.at ?? 'the step';
    lines.push(
      `- **${id}**, the post's strategy ${POST_NUMBER[id]} exactly as printed; ${faithfulWords(FAITHFUL_FORM[id], cells)}. ` +
        `${printed.map((placed) => outcome(placed, at)).join('; ')}.`,
    );
  }
  if (lines.length === 0) return null;
  return [
    "### The post's code as printed",
    "What PyTorch does with the post's listings as they are printed, and what this harness does with them on each " +
      'backend: raising the error PyTorch raises, where it raises it, is their expected outcome, so they have no numbers.',
    lines.join('\n'),
  ].join('\n\n');
}
