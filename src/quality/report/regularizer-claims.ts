/**
 * The regularizer claims of a quality run (`--regularizer`), judged with the statistics of "three is the best"
 * (claims.ts: Mann-Whitney over seeds, bench's margin-of-error rule per step): holds, does not hold, or inconclusive
 * when the evidence cannot tell.
 * - StyleGAN2's (Karras et al. 2020, section 3.1): lazy R1 costs less per step than R1 at the same quality.
 * - Ours to test: with R1 the simultaneous and alternating updates train alike (and, as its contrast, the same
 *   comparison without a regularizer, so that the reader sees whether R1 changed it).
 * A claim that does not hold has to say what it saw: the evidence names every number it compared.
 */
import { significant } from '../../format.js';
import { formatMs, formatRme } from '../../report/format.js';
import { compareTimes, type TimeOrdering } from '../../report/claims/time-ordering.js';
import type { Regularizer } from '../../scenario/regularizer.js';
import { strategies } from '../../strategies/index.js';
import { RUNNABLE_STRATEGY_IDS, type StrategyId } from '../../strategies/ids.js';
import type { QualityScenarioResult, StepTime, Threshold } from '../results.js';
import { ALPHA, compareSeeds, type QualityVerdict, type SeedComparison } from './claims.js';
import { thresholdText } from './format.js';
import { summarize, type StrategySummary } from './summary.js';

export const LAZY_R1_CLAIM = 'lazy R1 costs less per step than R1 at the same quality';
export const UPDATES_ALIKE_CLAIM = 'with R1 the simultaneous and alternating updates train alike';

/** Whether a strategy's update is the simultaneous one (retain-graph's: the equivalence check compares them). */
const isSimultaneous = (id: StrategyId) => strategies[id].order === 'simultaneous';
const SIMULTANEOUS = RUNNABLE_STRATEGY_IDS.filter(isSimultaneous);
const ALTERNATING = RUNNABLE_STRATEGY_IDS.filter((id) => !isSimultaneous(id));

const formatSteps = (steps: number) => (Number.isFinite(steps) ? String(steps) : 'never');
const formatP = (comparison: SeedComparison) => (comparison.pValue === null ? 'no test' : `p = ${significant(comparison.pValue, 2)}`);
const list = (values: readonly number[], format: (value: number) => string) => `[${values.map((value) => format(value)).join(', ')}]`;

/** Whether `comparison` of final values (a's against b's) says a's are worse, better or neither, by the threshold's direction. */
function finalOrdering(comparison: SeedComparison, threshold: Threshold): 'worse' | 'better' | 'no different' {
  if (comparison.ordering === 'indistinguishable') return 'no different';
  const aSmaller = comparison.ordering === 'faster';
  return aSmaller === (threshold.direction === 'above') ? 'worse' : 'better';
}

/** Where the seeds are too few for a Mann-Whitney test ever to reach ALPHA: "not different" then says nothing. */
function tooFewSeeds(comparison: SeedComparison): boolean {
  return comparison.smallestPossible === null || comparison.smallestPossible >= ALPHA;
}

const tooFewText = (a: number, b: number, comparison: SeedComparison) =>
  comparison.smallestPossible === null
    ? ''
    : ` With ${a} and ${b} seeds no test can reach ${ALPHA} (smallest p ${significant(comparison.smallestPossible, 2)}), so "no different" says nothing.`;

/** A strategy's summary in a result, where it trained at least one seed to the end or to a divergence. */
function trained(result: QualityScenarioResult, strategy: StrategyId): StrategySummary | undefined {
  const summary = summarize(result).find((entry) => entry.strategy === strategy);
  return summary && summary.completed + summary.diverged > 0 ? summary : undefined;
}

const timed = (time: StepTime | undefined): time is StepTime & { meanMs: number; rmePct: number } => time?.meanMs != null && time.rmePct != null && !time.diverged;

/** The threshold and its metric as a rule names them ("the threshold" where no result says which). */
const thresholdWords = (threshold: Threshold | undefined) =>
  threshold ? { text: thresholdText(threshold), metric: threshold.metric } : { text: "the scenario's threshold", metric: 'value of its metric' };

/** Whether two results' steps were timed in the same interleaved rounds (their ms per step then compare). */
export function timedTogether(a: QualityScenarioResult, b: QualityScenarioResult): boolean {
  return a.timedWith.includes(b.regularizer) && b.timedWith.includes(a.regularizer);
}

/** The rule of the lazy R1 claim, for a threshold and whether r1 and r1-lazy were timed together. */
export function lazyR1Rule(threshold?: Threshold, timedTogether = true): string {
  const { text, metric } = thresholdWords(threshold);
  const timing = timedTogether ? 'both timed in the same interleaved rounds' : 'each timed in its own interleaved rounds, one after the other';
  return (
    `Per strategy, r1-lazy against r1: the mean ms per step beyond both margins of error (as npm run bench judges it; ` +
    `${timing}), and per seed the steps to reach ${text} (never = ` +
    `infinitely late) and the final ${metric}, two-sided Mann-Whitney U, alpha ${ALPHA}. Holds when ` +
    `r1-lazy's step is faster and it needs no more steps and ends no worse, with seeds enough for a test to reach ` +
    `alpha; does not hold when its step is slower, or it needs more steps, or it ends worse; inconclusive otherwise, ` +
    'and where r1 or r1-lazy did not train the strategy or no seed of either reached the threshold.'
  );
}

/** "lazy R1 costs less per step than R1 at the same quality", for one strategy: r1-lazy's result against r1's. */
export function lazyR1CostsLess(strategy: StrategyId, r1: QualityScenarioResult | undefined, lazy: QualityScenarioResult | undefined): QualityVerdict {
  const rule = lazyR1Rule((r1 ?? lazy)?.threshold, !r1 || !lazy || timedTogether(r1, lazy));
  const inconclusive = (evidence: string): QualityVerdict => ({ verdict: 'inconclusive', rule, evidence });
  if (!r1 || !lazy || r1.error || lazy.error) return inconclusive('r1 and r1-lazy did not both run.');
  const [mine, theirs] = [trained(lazy, strategy), trained(r1, strategy)];
  if (!mine || !theirs) return inconclusive(`${strategy} did not train to the end (or to a divergence) under both r1 and r1-lazy.`);
  const text = thresholdText(r1.threshold);
  if (mine.reached + theirs.reached === 0) return inconclusive(`No seed of ${strategy} reached ${text} under r1 or r1-lazy.`);
  const [lazyTime, r1Time] = [lazy.stepTimes.find((time) => time.strategy === strategy), r1.stepTimes.find((time) => time.strategy === strategy)];
  if (!timed(lazyTime) || !timed(r1Time)) return inconclusive(`${strategy}'s step was not timed (or diverged while timed) under both r1 and r1-lazy.`);

  const perStep: TimeOrdering = compareTimes(lazyTime, r1Time);
  const steps = compareSeeds(mine.stepsToThreshold, theirs.stepsToThreshold);
  const metric = r1.threshold.metric;
  const finals = [mine.finalValues[metric] ?? [], theirs.finalValues[metric] ?? []] as const;
  const final = compareSeeds(finals[0], finals[1]);
  const ending = finalOrdering(final, r1.threshold);
  const stepWords = { faster: 'faster than', slower: 'slower than', indistinguishable: 'no different from' } as const;
  const stepsWords = { faster: 'fewer steps than', slower: 'more steps than', indistinguishable: 'no more or fewer steps than' } as const;
  const evidence =
    `r1-lazy ${formatMs(lazyTime.meanMs)} ${formatRme(lazyTime.rmePct)}, r1 ${formatMs(r1Time.meanMs)} ${formatRme(r1Time.rmePct)}: ` +
    `r1-lazy is ${stepWords[perStep]} r1 per step. Steps to ${text} per seed: r1-lazy ${list(mine.stepsToThreshold, formatSteps)}, ` +
    `r1 ${list(theirs.stepsToThreshold, formatSteps)}: r1-lazy needs ${stepsWords[steps.ordering]} r1 (${formatP(steps)}). ` +
    `Final ${metric}: r1-lazy ${list(finals[0], significant)}, r1 ${list(finals[1], significant)}: ${ending} (${formatP(final)}).` +
    (tooFewSeeds(steps) ? tooFewText(mine.stepsToThreshold.length, theirs.stepsToThreshold.length, steps) : '');
  if (perStep === 'slower' || steps.ordering === 'slower' || ending === 'worse') return { verdict: 'does not hold', rule, evidence };
  if (perStep === 'faster' && !tooFewSeeds(steps) && !tooFewSeeds(final)) return { verdict: 'holds', rule, evidence };
  return { verdict: 'inconclusive', rule, evidence };
}

/** The rule of the updates-alike claim under `regularizer`, for a threshold. */
export function updatesAlikeRule(regularizer: Regularizer, threshold?: Threshold): string {
  const { text, metric } = thresholdWords(threshold);
  return (
    `Under ${regularizer}, every simultaneous strategy (${SIMULTANEOUS.join(', ')}: one update, retain-graph's) against ` +
    `every alternating one (${ALTERNATING.join(', ')}), per seed: the steps to reach ${text} (never = infinitely late) ` +
    `and the final ${metric}, each pair and statistic a two-sided Mann-Whitney U at alpha ${ALPHA}. Steps, ` +
    'not seconds: the claim is about what the update does to training, not what its step costs. Holds when no ' +
    'comparison differs, with seeds enough for a test to reach alpha; does not hold when any differs; inconclusive ' +
    'otherwise, and where a side did not train or no seed of either side reached the threshold.'
  );
}

/** "with R1 the simultaneous and alternating updates train alike", judged on one result (r1's; none's as the contrast). */
export function updatesTrainAlike(result: QualityScenarioResult | undefined, regularizer: Regularizer): QualityVerdict {
  const rule = updatesAlikeRule(regularizer, result?.threshold);
  const inconclusive = (evidence: string): QualityVerdict => ({ verdict: 'inconclusive', rule, evidence });
  if (!result || result.error) return inconclusive(`Nothing trained under ${regularizer}.`);
  const summaries = result.strategies.map((id) => trained(result, id)).filter((summary): summary is StrategySummary => summary !== undefined);
  const simultaneous = summaries.filter((summary) => isSimultaneous(summary.strategy));
  const alternating = summaries.filter((summary) => !isSimultaneous(summary.strategy));
  if (simultaneous.length === 0 || alternating.length === 0) {
    return inconclusive(`It needs a simultaneous strategy (${SIMULTANEOUS.join(', ')}) and an alternating one (${ALTERNATING.join(', ')}) trained under ${regularizer}.`);
  }
  const text = thresholdText(result.threshold);
  if (summaries.reduce((reached, summary) => reached + summary.reached, 0) === 0) return inconclusive(`No seed reached ${text} under ${regularizer}.`);
  const metric = result.threshold.metric;
  const seeds = summaries.map((summary) => `${summary.strategy} ${list(summary.stepsToThreshold, formatSteps)}`).join('; ');
  let differs = false;
  let tooFew: { a: number; b: number; comparison: SeedComparison } | null = null;
  const pairs: string[] = [];
  for (const one of simultaneous) {
    for (const other of alternating) {
      const steps = compareSeeds(one.stepsToThreshold, other.stepsToThreshold);
      const final = compareSeeds(one.finalValues[metric] ?? [], other.finalValues[metric] ?? []);
      const ending = finalOrdering(final, result.threshold);
      differs ||= steps.ordering !== 'indistinguishable' || ending !== 'no different';
      if (!tooFew && (tooFewSeeds(steps) || tooFewSeeds(final))) tooFew = { a: one.stepsToThreshold.length, b: other.stepsToThreshold.length, comparison: steps };
      const stepWords = { faster: 'sooner than', slower: 'later than', indistinguishable: 'no sooner or later than' } as const;
      pairs.push(
        `${one.strategy} reaches it ${stepWords[steps.ordering]} ${other.strategy} (${formatP(steps)}) and ends ${ending === 'no different' ? 'no different from' : `${ending} than`} it (${formatP(final)})`,
      );
    }
  }
  const evidence = `Steps to ${text} per seed: ${seeds}. ${pairs.join('; ')}.${tooFew ? tooFewText(tooFew.a, tooFew.b, tooFew.comparison) : ''}`;
  if (differs) return { verdict: 'does not hold', rule, evidence };
  return { verdict: tooFew ? 'inconclusive' : 'holds', rule, evidence };
}

/** One row of the regularizer claims: what is claimed, of what, and the verdict with its rule and evidence. */
export interface RegularizerClaim {
  claim: string;
  /** The strategy (the lazy R1 claim) or the regularizer (the updates claim and its contrast) it was judged on. */
  subject: string;
  /** Whether it is the contrast of a claim (the updates claim under none) rather than the claim itself. */
  contrast: boolean;
  result: QualityVerdict;
}

/**
 * The regularizer claims of one scenario on one backend, from its results under each regularizer: the lazy R1 claim
 * per strategy where r1 and r1-lazy both ran, the updates claim where r1 ran, with none's as its contrast where none
 * ran too. Empty where the run has neither.
 */
export function regularizerClaims(results: readonly QualityScenarioResult[]): RegularizerClaim[] {
  const under = (regularizer: Regularizer) => results.find((result) => result.regularizer === regularizer);
  const [none, r1, lazy] = [under('none'), under('r1'), under('r1-lazy')];
  const claims: RegularizerClaim[] = [];
  if (r1 && lazy) {
    const ids = [...new Set([...r1.strategies, ...lazy.strategies])];
    for (const strategy of ids) claims.push({ claim: LAZY_R1_CLAIM, subject: strategy, contrast: false, result: lazyR1CostsLess(strategy, r1, lazy) });
  }
  if (r1) {
    claims.push({ claim: UPDATES_ALIKE_CLAIM, subject: 'r1', contrast: false, result: updatesTrainAlike(r1, 'r1') });
    if (none) claims.push({ claim: UPDATES_ALIKE_CLAIM, subject: 'none', contrast: true, result: updatesTrainAlike(none, 'none') });
  }
  return claims;
}
