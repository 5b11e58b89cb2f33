/**
 * One scenario trained on several backends (`--backend wasm,pytorch`), side by side: per strategy each backend's
 * step time, final threshold metric and time to the threshold; the claim row's two verdicts per backend and where
 * the backends disagree; and, since every backend trained from the same weights on the same batches, how often a
 * seed reached the threshold at the same step on each. Under several regularizers, all of it per regularizer. Data
 * in, markdown out.
 */
import { formatMs, formatRme, significant } from '../../format.js';
import { renderRows } from '../../report/tables/tables.js';
import type { StrategyId } from '../../strategies/ids.js';
import { threeIsBestOnTimeToQuality, threeIsBestPerStep, type QualityVerdict } from './claims.js';
import { METRIC_TITLES } from '../../scenario/metric-ids.js';
import type { QualityScenarioResult } from '../results.js';
import { firstReaching, summarize, type StrategySummary } from './summary.js';

const DASH = '—';
const mark = (verdict: string) => (verdict === 'does not hold' ? '**does not hold**' : verdict);
const formatInterval = (summary: StrategySummary | undefined, pick: 'steps' | 'seconds') => {
  const interval = summary?.[pick];
  if (!summary || summary.completed === 0) return DASH;
  if (!interval) return 'never';
  const unit = pick === 'seconds' ? ' s' : '';
  return interval.n < 2 ? `${significant(interval.mean)}${unit}` : `${significant(interval.mean)}${unit} [${significant(interval.low)}, ${significant(interval.high)}]`;
};

interface Column {
  result: QualityScenarioResult;
  summaries: StrategySummary[];
  perStep: QualityVerdict;
  onQuality: QualityVerdict;
}

function columnOf(result: QualityScenarioResult): Column {
  const summaries = summarize(result);
  const { metric, value, direction } = result.threshold;
  return {
    result,
    summaries,
    perStep: threeIsBestPerStep(result.stepTimes),
    onQuality: threeIsBestOnTimeToQuality(summaries, `${metric} ${direction === 'above' ? '>=' : '<='} ${value}`),
  };
}

/** Per (strategy, seed) trained on both: whether it first reached the threshold at the same checkpoint (or neither did). */
export function sameStepToThreshold(a: QualityScenarioResult, b: QualityScenarioResult): { same: number; compared: number } {
  let same = 0;
  let compared = 0;
  for (const run of a.runs) {
    const other = b.runs.find((candidate) => candidate.strategy === run.strategy && candidate.seed === run.seed);
    if (!other || run.status !== 'ok' || other.status !== 'ok') continue;
    compared++;
    if (firstReaching(run.curve, a.threshold)?.step === firstReaching(other.curve, b.threshold)?.step) same++;
  }
  return { same, compared };
}

/**
 * The side-by-side section of one scenario's results on several backends (those that ran); '' for fewer than two.
 * Where it trained under several regularizers, every row and claim is a strategy (or the claim) x regularizer.
 */
export function renderBackendsSideBySide(results: readonly QualityScenarioResult[]): string {
  const ran = results.filter((result) => !result.error);
  const names = [...new Set(ran.map((result) => result.backend))];
  if (names.length < 2) return '';
  const regularizers = [...new Set(ran.map((result) => result.regularizer))];
  const several = regularizers.length > 1;
  const columns = ran.map(columnOf);
  const columnAt = (backend: string, regularizer: string) => columns.find(({ result }) => result.backend === backend && result.regularizer === regularizer);
  const first = ran[0]!;
  const metric = METRIC_TITLES[first.threshold.metric];
  const perBackend = (title: string) => names.map((name) => `${title} (${name})`);
  const header = [
    'strategy',
    ...(several ? ['regularizer'] : []),
    ...perBackend('ms per step'),
    ...perBackend(`final ${metric}`),
    ...perBackend('seeds that reached it'),
    ...perBackend('seconds to threshold'),
  ];
  const rows: string[][] = [];
  const ids: StrategyId[] = [...new Set(ran.flatMap((result) => result.strategies))];
  for (const strategy of ids) {
    for (const regularizer of regularizers) {
      const cells = names.map((name) => {
        const column = columnAt(name, regularizer);
        const time = column?.result.stepTimes.find((entry) => entry.strategy === strategy);
        const summary = column?.summaries.find((entry) => entry.strategy === strategy);
        const final = summary?.final[first.threshold.metric];
        return {
          ms: time?.meanMs != null ? `${formatMs(time.meanMs)} ${formatRme(time.rmePct ?? 0)}` : DASH,
          final: final ? (final.n < 2 ? significant(final.mean) : `${significant(final.mean)} [${significant(final.low)}, ${significant(final.high)}]`) : DASH,
          reached: summary && summary.completed > 0 ? `${summary.reached}/${summary.completed}` : DASH,
          seconds: formatInterval(summary, 'seconds'),
        };
      });
      if (cells.every((cell) => cell.ms === DASH && cell.reached === DASH)) continue; // not trained under it anywhere
      rows.push([strategy, ...(several ? [regularizer] : []), ...cells.map((c) => c.ms), ...cells.map((c) => c.final), ...cells.map((c) => c.reached), ...cells.map((c) => c.seconds)]);
    }
  }
  const lines = [renderRows(header, rows, (index) => (index < (several ? 2 : 1) ? 'left' : 'right'))];

  const claimHeader = ["the post's claim", ...names.flatMap((name) => [`per step (${name})`, `on time to quality (${name})`])];
  const claimRows = regularizers.map((regularizer) => [
    several ? `three is the best (${regularizer})` : 'three is the best',
    ...names.flatMap((name) => {
      const column = columnAt(name, regularizer);
      return column ? [mark(column.perStep.verdict), mark(column.onQuality.verdict)] : [DASH, DASH];
    }),
  ]);
  const claims = [renderRows(claimHeader, claimRows, () => 'left')];

  const notes: string[] = [];
  for (const regularizer of regularizers) {
    const ofRegularizer = columns.filter(({ result }) => result.regularizer === regularizer);
    const under = several ? ` (${regularizer})` : '';
    for (const [label, pick] of [
      ['per step', (column: Column) => column.perStep],
      ['on time to quality', (column: Column) => column.onQuality],
    ] as const) {
      const title = `${label[0]!.toUpperCase()}${label.slice(1)}${under}`;
      const verdicts = ofRegularizer.map((column) => pick(column).verdict);
      if (ofRegularizer.length < 2) continue;
      if (new Set(verdicts).size === 1) {
        notes.push(`- ${title}: every backend says ${mark(verdicts[0]!)}.`);
      } else {
        const who = ofRegularizer.map((column) => `${column.result.backend} ${mark(pick(column).verdict)}`).join(', ');
        const evidence = ofRegularizer.map((column) => `${column.result.backend}: ${pick(column).evidence}`).join(' ');
        notes.push(`- ${title}, the backends disagree: ${who}. ${evidence}`);
      }
    }
    const [base, ...others] = ofRegularizer.map((column) => column.result);
    for (const other of others) {
      const { same, compared } = sameStepToThreshold(base!, other);
      notes.push(
        `- Seed for seed${under}, ${base!.backend} and ${other.backend} first reached the threshold at the same checkpoint (or both ` +
          `never did) in ${same} of ${compared} trainings.`,
      );
    }
  }

  return [
    `### ${first.scenario}: the backends side by side`,
    '',
    `Every backend trained each strategy from the same initial weights on the same batches and evaluated G on the same ` +
      `noise, seed for seed: the curves differ by each framework's arithmetic (float rounding, which training can ` +
      `amplify over many steps), the seconds by each backend's step time.`,
    '',
    ...lines,
    '',
    ...claims,
    '',
    ...notes,
    '',
  ].join('\n');
}
