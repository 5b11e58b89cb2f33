/**
 * Divergence: a training whose losses or parameters stop being finite numbers. Such a strategy's later numbers
 * (times, differences, metrics) would be NaN arithmetic, so it is marked diverged at the first check that saw a
 * non-finite value, and measured no further. Every check here runs outside a timed region.
 */
import { tf, type Tensor } from '../tf.js';

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

/**
 * Whether the networks' parameters are finite: first one number read from the device (the count of non-finite
 * values over every parameter), and only where it is not 0 each network's values, G's first, to name which.
 */
export async function parametersDivergence(
  networks: ReadonlyArray<{ name: string; variables: readonly Tensor[] }>,
  step: number,
): Promise<Divergence | null> {
  const variables = networks.flatMap(({ variables }) => variables);
  if (variables.length === 0) return null;
  const count = tf.tidy(() => tf.addN(variables.map((variable) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(variable)), 'float32')))));
  try {
    if (((await count.data()) as Float32Array)[0] === 0) return null;
  } finally {
    count.dispose();
  }
  for (const { name, variables: own } of networks) {
    for (const variable of own) {
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
