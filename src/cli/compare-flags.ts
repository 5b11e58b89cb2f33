/** The comparison flags `npm run compare` and `npm run bench -- --baseline` share, declared once. */
import { DEFAULT_ALPHA, DEFAULT_THRESHOLD, TIME_METRICS, type CompareOptions } from '../compare/comparison.js';
import { COMPARE_MODES } from '../compare/mode.js';
import { parseCompareFlags } from '../compare/options.js';
import { messageOf, UsageError } from './exit.js';
import type { FlagTable, FlagValues } from './flags.js';

export const COMPARE_FLAGS = {
  threshold: { argument: 't', description: `ratio a time must pass, e.g. 10% or 0.1 (default ${DEFAULT_THRESHOLD * 100}%)` },
  'metric-threshold': {
    argument: 'metric=t',
    multiple: true,
    description: `a threshold for one time metric (${TIME_METRICS.join(' or ')}), e.g. timeRatio=50%; repeatable`,
  },
  alpha: { argument: 'a', description: `significance level of the Mann-Whitney U test (default ${DEFAULT_ALPHA})` },
  mode: {
    argument: COMPARE_MODES.join('|'),
    description: 'absolute ms, ratios to the reference strategy, or auto:\nabsolute on the same machine, ratio otherwise (default auto)',
  },
  'allow-missing': {
    description:
      'pass even when baseline cells are missing from the current run (a shard, fewer\nstrategies); by default a missing cell fails the comparison',
  },
} as const satisfies FlagTable;

/** The comparison options these flags ask for; a bad value is a UsageError naming its flag. */
export function compareOptionsOf(values: FlagValues<typeof COMPARE_FLAGS>): CompareOptions {
  try {
    return parseCompareFlags(values);
  } catch (error) {
    throw new UsageError(messageOf(error), { cause: error });
  }
}
