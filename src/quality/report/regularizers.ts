/**
 * One scenario on one backend trained under several regularizers (`--regularizer none,r1,r1-lazy`), side by side:
 * per strategy x regularizer the step time, the final threshold metric and the time to the threshold; then the
 * regularizer claims (regularizer-claims.ts), each verdict beside its claim, its evidence and rule below. Data in,
 * markdown out.
 */
import { formatMs, formatRme, significant } from '../../format.js';
import { renderRows } from '../../report/tables/tables.js';
import { strategies } from '../../strategies/index.js';
import type { StrategyId } from '../../strategies/ids.js';
import { METRIC_TITLES } from '../../scenario/metric-ids.js';
import type { QualityScenarioResult } from '../results.js';
import { DASH, formatInterval, markVerdict, updateWords } from './format.js';
import { LAZY_R1_CLAIM, regularizerClaims, timedTogether, UPDATES_ALIKE_CLAIM, type RegularizerClaim } from './regularizer-claims.js';
import { summarize } from './summary.js';

/** The claim as its table row names it: the lazy R1 claim per strategy, the updates claim and its contrast. */
function claimTitle(claim: RegularizerClaim): string {
  if (claim.claim === LAZY_R1_CLAIM) return `${LAZY_R1_CLAIM}: ${claim.subject}`;
  return claim.contrast ? `contrast: the same under ${claim.subject}` : UPDATES_ALIKE_CLAIM;
}

/**
 * The regularizer claims of one scenario on one backend (its results under each regularizer) as a table of verdicts
 * and, below it, each claim's evidence and its rule (written once per claim); '' where no claim applies.
 */
export function renderRegularizerClaims(results: readonly QualityScenarioResult[]): string {
  const claims = regularizerClaims(results.filter((result) => !result.error));
  if (claims.length === 0) return '';
  const table = renderRows(['regularizer claim', 'verdict'], claims.map((claim) => [claimTitle(claim), markVerdict(claim.result.verdict)]), () => 'left');
  const notes: string[] = [];
  const lazy = claims.filter((claim) => claim.claim === LAZY_R1_CLAIM);
  for (const claim of lazy) notes.push(`- Lazy R1, ${claim.subject}: ${claim.result.evidence}`);
  if (lazy[0]) notes.push(`- Rule (StyleGAN2's claim): ${lazy[0].result.rule}`);
  const alike = claims.find((claim) => claim.claim === UPDATES_ALIKE_CLAIM && !claim.contrast);
  const contrast = claims.find((claim) => claim.claim === UPDATES_ALIKE_CLAIM && claim.contrast);
  if (alike) {
    notes.push(`- With R1: ${alike.result.evidence}`);
    if (contrast) notes.push(`- Contrast, without a regularizer: ${contrast.result.evidence}`);
    notes.push(`- Rule (ours to test): ${alike.result.rule}${contrast ? ' The contrast applies the same rule under none.' : ''}`);
    if (contrast) {
      const [withR1, without] = [alike.result.verdict, contrast.result.verdict];
      // Only two decided verdicts say whether R1 changed anything; an inconclusive one says nothing either way.
      const decided = withR1 !== 'inconclusive' && without !== 'inconclusive';
      notes.push(
        !decided
          ? `- Whether R1 changed it cannot be told: ${markVerdict(without)} without it, ${markVerdict(withR1)} with it.`
          : withR1 === without
            ? `- R1 did not change the verdict: ${markVerdict(withR1)} with it and without it.`
            : `- R1 changed the verdict: ${markVerdict(without)} without it, ${markVerdict(withR1)} with it.`,
      );
    }
  }
  return [table, '', ...notes].join('\n');
}

/** The side-by-side section of one scenario's results on one backend under several regularizers; '' for fewer than two. */
export function renderRegularizersSideBySide(results: readonly QualityScenarioResult[]): string {
  const ran = results.filter((result) => !result.error);
  if (new Set(ran.map((result) => result.regularizer)).size < 2) return '';
  const first = ran[0]!;
  const metric = first.threshold.metric;
  const header = ['strategy', 'regularizer', 'update', 'ms per step', `final ${METRIC_TITLES[metric]}`, 'seeds that reached it', 'steps to threshold', 'seconds to threshold'];
  const summaries = new Map(ran.map((result) => [result, summarize(result)]));
  const ids: StrategyId[] = [...new Set(ran.flatMap((result) => result.strategies))];
  const rows: string[][] = [];
  // Strategy by strategy, so that a strategy's regularizers stand one under the other.
  for (const strategy of ids) {
    for (const result of ran) {
      if (!result.strategies.includes(strategy)) continue;
      const time = result.stepTimes.find((entry) => entry.strategy === strategy);
      const summary = summaries.get(result)!.find((entry) => entry.strategy === strategy);
      const compared = summary ? summary.completed + summary.diverged : 0;
      rows.push([
        strategy,
        result.regularizer,
        updateWords(strategies[strategy].order),
        time?.meanMs != null ? `${formatMs(time.meanMs)} ${formatRme(time.rmePct ?? 0)}` : DASH,
        formatInterval(summary?.final[metric]),
        compared === 0 ? DASH : `${summary!.reached}/${compared}`,
        compared === 0 ? DASH : summary!.reached === 0 ? 'never' : formatInterval(summary!.steps),
        compared === 0 ? DASH : summary!.reached === 0 ? 'never' : formatInterval(summary!.seconds, (value) => `${significant(value)} s`),
      ]);
    }
  }
  const claims = renderRegularizerClaims(ran);
  return [
    `### ${first.scenario} on ${first.backend}: the regularizers side by side`,
    '',
    'Every regularizer trained each strategy from the same initial weights on the same batches, seed for seed. ' +
      (ran.every((a) => ran.every((b) => timedTogether(a, b)))
        ? "Every regularizer's steps were timed in the same interleaved rounds (each round sets each regularizer's " +
          'GANs up afresh and warms them up, in an order that rotates by round), so their ms per step compare.'
        : "The regularizers' steps were not all timed in the same rounds: across those timed apart, ms per step " +
          "also differ by whatever the machine's speed did between their timings."),
    '',
    renderRows(header, rows, (index) => (index < 3 ? 'left' : 'right')),
    '',
    ...(claims ? [claims, ''] : []),
  ].join('\n');
}
