/**
 * Divergence: a training whose losses or parameters stop being finite numbers. Such a strategy's later numbers
 * (times, differences, metrics) would be NaN arithmetic, so it is marked diverged at the first check that saw a
 * non-finite value, and measured no further. Every check here runs outside a timed region.
 */
import type { Tensor } from '../tf.js';

/** Where a training diverged: the strategy's own 1-based step count at the check, and what was not finite. */
export interface Divergence {
  step: number;
  detail: string;
}

/** The first non-finite value of `values`, or null where all are finite. */
export function firstNonFinite(values: ArrayLike<number>): number | null {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return values[i]!;
  return null;
}

/** A divergence at `step` where some of `values` are not finite: `detail` names them ("generator parameters"). */
export function divergenceIn(values: ArrayLike<number>, what: string, step: number): Divergence | null {
  return firstNonFinite(values) === null ? null : { step, detail: `${what} are not finite` };
}

/** A divergence where a loss is not finite, e.g. "d_loss is NaN". */
export function lossDivergence(name: string, value: number, step: number): Divergence | null {
  return Number.isFinite(value) ? null : { step, detail: `${name} is ${value}` };
}

/** Reads the networks' parameters and says whether they are finite, G's first (a read: it waits for the device). */
export async function parametersDivergence(
  networks: ReadonlyArray<{ name: string; variables: readonly Tensor[] }>,
  step: number,
): Promise<Divergence | null> {
  for (const { name, variables } of networks) {
    for (const variable of variables) {
      const diverged = divergenceIn((await variable.data()) as Float32Array, `${name} parameters`, step);
      if (diverged) return diverged;
    }
  }
  return null;
}

/** The message a diverged cell or training carries in its error text. */
export function divergenceMessage({ step, detail }: Divergence): string {
  return `diverged at step ${step}: ${detail}`;
}
