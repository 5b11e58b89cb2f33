/**
 * The post's "three is the best", judged twice on a quality run: per step (the rule `npm run bench` applies,
 * on this run's own interleaved timing) and on time to quality (the seconds each seed took to reach the
 * scenario's threshold, compared over seeds). Same discipline as the report's claims: holds, does not hold, or
 * inconclusive when the evidence cannot tell.
 */
import { mannWhitneyU, smallestMannWhitneyPValue } from '../../measure/statistics.js';
import type { Verdict } from '../../report/claims/claims.js';
import { formatMs, formatRme, significant } from '../../report/format.js';
import { compareTimes, type TimeOrdering } from '../../report/claims/time-ordering.js';
import type { StrategyId } from '../../strategies/ids.js';
import type { StepTime } from '../results.js';
import type { StrategySummary } from './summary.js';

/** The significance level of the time-to-quality comparisons. */
export const ALPHA = 0.05;

const ONE: StrategyId = 'retain-graph';
const TWO: StrategyId = 'detach-d-first';
const THREE: StrategyId = 'g-first';

export interface QualityVerdict {
  verdict: Verdict;
  rule: string;
  evidence: string;
}

export interface SeedComparison {
  ordering: TimeOrdering;
  /** Two-sided Mann-Whitney p; null when no test could run (no completed seed on a side). */
  pValue: number | null;
  /** The smallest p these sample sizes allow: with 5 seeds a side 2/252 ~ 0.008, with 2 a side 1/3. */
  smallestPossible: number | null;
}

/**
 * Whether the per-seed values `a` are smaller ('faster') or larger ('slower') than `b`: the two-sided
 * Mann-Whitney U test (exact for small samples without ties, as src/compare/significance.ts runs it) below
 * ALPHA, the direction from U. A seed that never reached the threshold counts as infinitely slow (a tie among
 * such seeds).
 */
export function compareSeeds(a: readonly number[], b: readonly number[], alpha = ALPHA): SeedComparison {
  if (a.length === 0 || b.length === 0) return { ordering: 'indistinguishable', pValue: null, smallestPossible: null };
  const smallestPossible = smallestMannWhitneyPValue(a.length, b.length);
  const test = mannWhitneyU(a, b);
  const different = test.pValue < alpha;
  // U counts the pairs where a's value is the larger: below half of all pairs, a tends to be smaller.
  const ordering: TimeOrdering = !different ? 'indistinguishable' : test.u < (a.length * b.length) / 2 ? 'faster' : 'slower';
  return { ordering, pValue: test.pValue, smallestPossible };
}

const WORDS: Record<TimeOrdering, string> = { faster: 'faster than', slower: 'slower than', indistinguishable: 'no different from' };

function verdictOf(vsOne: TimeOrdering, vsTwo: TimeOrdering): Verdict {
  if (vsOne === 'faster' && vsTwo === 'faster') return 'holds';
  if (vsOne === 'slower' || vsTwo === 'slower') return 'does not hold';
  return 'inconclusive';
}

/** "three is the best" per step: g-first's mean step time below both others' beyond the margins of error. */
export function threeIsBestPerStep(stepTimes: readonly StepTime[]): QualityVerdict {
  const rule =
    "Holds when g-first's mean step time is below both retain-graph's and detach-d-first's beyond the margins of " +
    'error (as npm run bench judges it); does not hold when either is faster; inconclusive otherwise.';
  const get = (id: StrategyId) => stepTimes.find((time) => time.strategy === id);
  const [one, two, three] = [get(ONE), get(TWO), get(THREE)];
  const diverged = [one, two, three].filter((time) => time?.diverged).map((time) => time!.strategy);
  if (diverged.length > 0) {
    return { verdict: 'inconclusive', rule, evidence: `${diverged.join(', ')} diverged while timed: its steps ran on non-finite values.` };
  }
  const timed = [one, two, three].filter((time): time is StepTime & { meanMs: number; rmePct: number } => time?.meanMs != null && time.rmePct != null);
  if (timed.length < 3) return { verdict: 'inconclusive', rule, evidence: 'retain-graph, detach-d-first and g-first were not all timed.' };
  const [t1, t2, t3] = [one, two, three].map((time) => ({ meanMs: time!.meanMs!, rmePct: time!.rmePct! }));
  const vsOne = compareTimes(t3!, t1!);
  const vsTwo = compareTimes(t3!, t2!);
  const describe = (id: StrategyId, time: { meanMs: number; rmePct: number }) => `${id} ${formatMs(time.meanMs)} ${formatRme(time.rmePct)}`;
  return {
    verdict: verdictOf(vsOne, vsTwo),
    rule,
    evidence: `${describe(THREE, t3!)}; ${describe(ONE, t1!)}; ${describe(TWO, t2!)}: g-first is ${WORDS[vsOne]} retain-graph and ${WORDS[vsTwo]} detach-d-first per step.`,
  };
}

const formatSeconds = (seconds: number) => (Number.isFinite(seconds) ? `${significant(seconds)} s` : 'never');
const formatP = (comparison: SeedComparison) => (comparison.pValue === null ? 'no test' : `p = ${significant(comparison.pValue, 2)}`);

/** "three is the best" on time to quality: g-first's seconds to the threshold below both others', over seeds. */
export function threeIsBestOnTimeToQuality(summaries: readonly StrategySummary[], thresholdText: string): QualityVerdict {
  const rule =
    `Per seed, the seconds to reach ${thresholdText} (step x measured ms per step; never = infinitely slow). Holds ` +
    `when g-first's are smaller than both retain-graph's and detach-d-first's (two-sided Mann-Whitney U, alpha ` +
    `${ALPHA}); does not hold when either is smaller than g-first's; inconclusive otherwise. A diverged training ` +
    'never reaches it.';
  const get = (id: StrategyId) => summaries.find((summary) => summary.strategy === id);
  const [one, two, three] = [get(ONE), get(TWO), get(THREE)];
  if (!one || !two || !three || one.completed === 0 || two.completed === 0 || three.completed === 0) {
    return { verdict: 'inconclusive', rule, evidence: 'retain-graph, detach-d-first and g-first did not all complete a training (a diverged one does not complete).' };
  }
  if (one.reached + two.reached + three.reached === 0) {
    return { verdict: 'inconclusive', rule, evidence: `No seed of any of the three reached ${thresholdText}.` };
  }
  const vsOne = compareSeeds(three.secondsToThreshold, one.secondsToThreshold);
  const vsTwo = compareSeeds(three.secondsToThreshold, two.secondsToThreshold);
  const list = (summary: StrategySummary) =>
    `${summary.strategy} [${summary.secondsToThreshold.map(formatSeconds).join(', ')}]${summary.diverged > 0 ? ` (${summary.diverged} diverged: never)` : ''}`;
  const tooFew =
    vsOne.smallestPossible !== null && vsOne.smallestPossible >= ALPHA
      ? ` With ${three.completed} and ${one.completed} seeds no test can reach ${ALPHA} (smallest p ${significant(vsOne.smallestPossible, 2)}).`
      : '';
  return {
    verdict: verdictOf(vsOne.ordering, vsTwo.ordering),
    rule,
    evidence:
      `Seconds per seed: ${list(three)}; ${list(one)}; ${list(two)}. g-first is ${WORDS[vsOne.ordering]} retain-graph ` +
      `(${formatP(vsOne)}) and ${WORDS[vsTwo.ordering]} detach-d-first (${formatP(vsTwo)}).${tooFew}`,
  };
}
