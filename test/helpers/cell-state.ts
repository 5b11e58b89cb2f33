/**
 * Test cells from flat fields, as fixtures spell them: the state they name (`CellResult` is a union by status),
 * with what that state cannot hold dropped. A cell that stopped (raised, errored, diverged) has no timing; a
 * diverged cell gets a divergence unless one is given.
 */
import type { CellResult, CellStatus, Divergence } from '../../src/results/cell.js';
import type { TimingStats } from '../../src/measure/statistics.js';

/** Every field any state has, each as loose as in some state: what a fixture writes before its state is known. */
export type FlatCell = {
  [Field in keyof (CellResult & { diverged: Divergence })]?: unknown;
} & { status?: CellStatus; error?: string | null; timing?: TimingStats | null; diverged?: Divergence };

/**
 * The state `fields.status` names. An ok cell keeps everything it is given (a test may leave a count null to see a
 * report say it is missing); a stopped one loses its timing and time ratio, and its error is a string.
 */
export function asCellState(fields: FlatCell): CellResult {
  const status = fields.status ?? 'ok';
  const { diverged: divergence, ...rest } = fields;
  if (status === 'ok') {
    if (!fields.timing) throw new Error(`test fixture: an ok cell needs a timing (${String(fields.strategy)})`);
    return { ...rest, status } as unknown as CellResult;
  }
  const stopped = { ...rest, status, error: fields.error ?? '', timing: null, timeRatio: null };
  if (status !== 'diverged') return stopped as unknown as CellResult;
  return { ...stopped, diverged: divergence ?? { step: 1, detail: 'd_loss is NaN' } } as unknown as CellResult;
}
