/**
 * How a strategy's step ended, judged against what the strategy must do: a runnable strategy must train, and the
 * post's code as printed must raise the error PyTorch raises (and nothing else). Used for every backend, tfjs and
 * PyTorch alike, so that "raised as PyTorch does" means the same everywhere.
 */
import { autogradErrorKind } from '../autograd/errors.js';
import type { Strategy } from './strategy.js';
import { asPrintedRefusal, isRegularizerRefusal } from './regularization.js';
import { messageOf } from '../errors.js';

export type StepOutcome =
  | { status: 'ok'; error: null }
  /** A strategy that must raise raised the expected error: its message. */
  | { status: 'raised'; error: string }
  /** A regularizer refused the strategy (it does not fit it, or it is the post's printed code): not a failure. */
  | { status: 'refused'; error: string }
  | { status: 'errored'; error: string };

/**
 * Judges a step that threw `error`, or, with `error` undefined, a step that ran to the end, under the unit's
 * `regularizer`. The post's code as printed under a regularizer must be refused (both backends refuse it): its cell
 * is that one sentence, whatever prefix the backend's error has; a strategy the regularizer does not fit is refused
 * with the regularizer's sentence. A refused cell is no failure: the regularizer has no form for it.
 */
export function judgeStep(strategy: Strategy, error?: unknown, regularizer = 'none'): StepOutcome {
  const message = error === undefined ? null : messageOf(error);
  const expected = strategy.raises;
  if (expected && regularizer !== 'none') {
    const refusal = asPrintedRefusal(regularizer);
    if (message?.includes(refusal)) return { status: 'refused', error: refusal };
    return { status: 'errored', error: `expected "${refusal}", ${message === null ? 'but the step ran to the end' : `got: ${message}`}` };
  }
  if (!expected) {
    if (message === null) return { status: 'ok', error: null };
    return { status: isRegularizerRefusal(message) ? 'refused' : 'errored', error: message };
  }
  if (message === null) {
    return { status: 'errored', error: `expected PyTorch's ${expected.kind} error in ${expected.at}, but the step ran to the end` };
  }
  return autogradErrorKind(error) === expected.kind
    ? { status: 'raised', error: message }
    : { status: 'errored', error: `expected PyTorch's ${expected.kind} error in ${expected.at}, got: ${message}` };
}
