/**
 * The quality run's markdown: per scenario x backend, the table (step time, final value of each metric with its
 * 95% interval over seeds, steps and seconds to the threshold), the claim row "three is the best" per step and on
 * time to quality, alternating against simultaneous, and the figures. Data in, string out.
 */
import { formatMs, formatRme, significant } from '../../format.js';
import { renderRows } from '../../report/tables/tables.js';
import { strategies } from '../../strategies/index.js';
import type { StrategyId } from '../../strategies/ids.js';
import { compareSeeds, threeIsBestOnTimeToQuality, threeIsBestPerStep, type SeedComparison } from './claims.js';
import { isFigureOf, type Figure } from './figures.js';
import { METRIC_TITLES, type MetricId } from '../../scenario/metric-ids.js';
import type { QualityResults, QualityScenarioResult, Threshold } from '../results.js';
import { renderRegularizerClaims, renderRegularizersSideBySide } from './regularizers.js';
import { renderBackendsSideBySide } from './side-by-side.js';
import { formatInterval, markVerdict, thresholdText, updateWords } from './format.js';
import { summarize, type StrategySummary } from './summary.js';

export { formatInterval, formatValue, thresholdText } from './format.js';

const formatDuration = (seconds: number) =>
  seconds < 60 ? `${significant(seconds, 2)} s` : `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;

function table(result: QualityScenarioResult, summaries: readonly StrategySummary[]): string {
  const metricHeaders = result.metrics.map((metric: MetricId) => `final ${METRIC_TITLES[metric]}`);
  const header = ['strategy', 'update', 'ms per step', ...metricHeaders, 'steps to threshold', 'seconds to threshold', 'seeds that reached it'];
  const rows: string[][] = [];
  for (const summary of summaries) {
    const time = result.stepTimes.find((entry) => entry.strategy === summary.strategy);
    const divergedWhileTimed = time?.diverged ? ` (diverged at step ${time.diverged.step} while timed)` : '';
    const ms =
      time?.meanMs != null ? `${formatMs(time.meanMs)} ${formatRme(time.rmePct ?? 0)}${divergedWhileTimed}` : `not timed${time?.error ? ` (${time.error})` : ''}`;
    const compared = summary.completed + summary.diverged;
    const reached = compared === 0 ? 'none completed' : summary.reached === 0 ? `never (0/${compared})` : `${summary.reached}/${compared}`;
    const failed = (summary.diverged > 0 ? `; ${summary.diverged} diverged` : '') + (summary.failed > 0 ? `; ${summary.failed} failed` : '');
    const cells = [
      summary.strategy,
      updateWords(strategies[summary.strategy].order),
      ms,
      ...result.metrics.map((metric) => formatInterval(summary.final[metric])),
      summary.reached === 0 ? 'never' : formatInterval(summary.steps),
      summary.reached === 0 ? 'never' : formatInterval(summary.seconds, (value) => `${significant(value)} s`),
      `${reached}${failed}`,
    ];
    rows.push(cells);
  }
  return renderRows(header, rows, (index) => (index < 2 ? 'left' : 'right'));
}

function pText(comparison: SeedComparison): string {
  return comparison.pValue === null ? 'no test' : `p = ${significant(comparison.pValue, 2)}`;
}

function orderComparison(summaries: readonly StrategySummary[], threshold: Threshold): string | null {
  const get = (id: StrategyId) => summaries.find((summary) => summary.strategy === id);
  const alternating = get('detach-d-first');
  const simultaneous = get('g-first') ?? get('retain-graph') ?? get('single-forward');
  if (!alternating || !simultaneous || alternating.completed === 0 || simultaneous.completed === 0) return null;
  if (alternating.reached + simultaneous.reached === 0) {
    return `Alternating (detach-d-first) against simultaneous (${simultaneous.strategy}): neither reached ${thresholdText(threshold)}.`;
  }
  const words = { faster: 'sooner than', slower: 'later than', indistinguishable: 'no sooner or later than' } as const;
  const steps = compareSeeds(alternating.stepsToThreshold, simultaneous.stepsToThreshold);
  const seconds = compareSeeds(alternating.secondsToThreshold, simultaneous.secondsToThreshold);
  return (
    `Alternating (detach-d-first) against simultaneous (${simultaneous.strategy}), per seed (Mann-Whitney U, never = ` +
    `infinitely late): in steps, detach-d-first reaches ${thresholdText(threshold)} ${words[steps.ordering]} ` +
    `${simultaneous.strategy} (${pText(steps)}); in seconds, ${words[seconds.ordering]} ${simultaneous.strategy} (${pText(seconds)}).`
  );
}

/**
 * How a unit's section is told apart: by its regularizer where its scenario trained under several (`named`), and
 * the regularizer claims it carries where it is the only regularizer of its scenario on its backend.
 */
interface SectionOptions {
  named: boolean;
  claims: string;
}

function scenarioSection(result: QualityScenarioResult, figures: readonly Figure[], { named, claims }: SectionOptions): string {
  const title = `${result.scenario} on ${result.backend}${named ? `, regularizer ${result.regularizer}` : ''}`;
  const parts: string[] = [`### ${title}`, '', result.description, ''];
  if (result.error) {
    parts.push(`Not run: ${result.error}`, '');
    return parts.join('\n');
  }
  parts.push(
    `Device: ${result.device}. ${result.seeds} seed${result.seeds === 1 ? '' : 's'} x ${result.strategies.length} strategies, ` +
      `${result.steps} steps each, evaluated every ${result.evaluateEvery} steps on ${result.samples} generated samples; ` +
      `threshold ${thresholdText(result.threshold)}. Wall time ${formatDuration(result.wallSeconds)} (timing, training and ` +
      'evaluation). Seconds are steps x the strategy\'s measured ms per step.',
    '',
  );
  if (result.classifier) {
    const c = result.classifier;
    const architecture = [
      ...c.config.conv.map(({ filters, kernelSize }) => `conv ${filters}x${kernelSize}x${kernelSize}`),
      ...c.config.dense.map((units) => `dense ${units}`),
    ].join(', ');
    parts.push(
      `MNIST classifier (${architecture || 'linear'}, ${c.config.epochs} epoch${c.config.epochs === 1 ? '' : 's'}, trained on ${c.trainedOn}): held-out ` +
        `accuracy ${(100 * c.heldOutAccuracy).toFixed(1)}% on ${c.heldOutCount} digits; the ` +
        `held-out digits' Inception score, the ceiling here, is ${significant(c.heldOutInceptionScore)}` +
        `${c.trainedNow ? ` (trained in this run, ${formatDuration(c.trainingSeconds ?? 0)})` : ' (cached)'}.`,
      '',
    );
  }
  const summaries = summarize(result);
  parts.push(table(result, summaries), '');
  const failures = result.runs.filter((run) => run.status !== 'ok');
  for (const run of failures) {
    parts.push(
      run.status === 'diverged'
        ? `- ${run.strategy}, seed ${run.seed} diverged at step ${run.diverged.step} (${run.diverged.detail}): it did not reach the threshold, and has no metric after its last finite checkpoint`
        : `- ${run.strategy}, seed ${run.seed} failed: ${run.error}`,
    );
  }
  if (failures.length > 0) parts.push('');

  const perStep = threeIsBestPerStep(result.stepTimes);
  const onQuality = threeIsBestOnTimeToQuality(summaries, thresholdText(result.threshold));
  parts.push(
    renderRows(["the post's claim", 'per step', 'on time to quality'], [['three is the best', markVerdict(perStep.verdict), markVerdict(onQuality.verdict)]], () => 'left'),
    '',
    `- Per step: ${perStep.evidence} Rule: ${perStep.rule}`,
    `- On time to quality: ${onQuality.evidence} Rule: ${onQuality.rule}`,
  );
  const order = orderComparison(summaries, result.threshold);
  if (order) parts.push(`- ${order}`);
  parts.push('');
  if (claims) parts.push(claims, '');
  const pictureName = `${result.scenario}${named ? `, ${result.regularizer}` : ''}`;
  for (const figure of figures.filter((entry) => isFigureOf(entry, result))) {
    parts.push(`![${pictureName}: ${figure.caption}](${figure.file})`, '');
  }
  return parts.join('\n');
}

/**
 * The whole section: a heading, what ran where, then one part per scenario x backend x regularizer; for a scenario
 * trained on a backend under several regularizers their side-by-side comparison and the regularizer claims
 * (src/quality/report/regularizers.ts), and for a scenario trained on several backends the backends' side by side
 * (src/quality/report/side-by-side.ts).
 */
export function renderQualityReport(results: QualityResults, figures: readonly Figure[] = []): string {
  const { machine, versions } = results;
  const header = [
    '## Does the best step train best?',
    '',
    `Quality run of ${results.createdAt}: tfjs ${versions.tfjs}, Node ${versions.node}` +
      `${versions.torch ? `, PyTorch ${versions.torch} (Python ${versions.python})` : ''}, ${machine.cpuModel} (${machine.cpus} cores). ` +
      'Each strategy trains from the same initial weights and data order per seed; the metrics are computed from ' +
      'the generated samples (docs/quality.md says what each means). Final values are the mean [95% interval] over ' +
      'seeds; steps and seconds to the threshold over the seeds that reached it.',
    '',
  ];
  // A scenario's backends one after the other, each's regularizers one after the other and then, where there are
  // several, side by side; then, where it ran on several backends, the backends side by side.
  const names = [...new Set(results.scenarios.map((result) => result.scenario))];
  const sections = names.flatMap((name) => {
    const ofScenario = results.scenarios.filter((result) => result.scenario === name);
    const named = new Set(ofScenario.map((result) => result.regularizer)).size > 1;
    const backends = [...new Set(ofScenario.map((result) => result.backend))];
    const ofBackends = backends.flatMap((backend) => {
      const units = ofScenario.filter((result) => result.backend === backend);
      const regularizers = renderRegularizersSideBySide(units);
      // Where fewer than two regularizers ran here (R1 alone, say), the claims they allow close the last section.
      const claims = regularizers ? '' : renderRegularizerClaims(units);
      const sections = units.map((result, i) => scenarioSection(result, figures, { named, claims: i === units.length - 1 ? claims : '' }));
      return [...sections, ...(regularizers ? [regularizers] : [])];
    });
    const sideBySide = renderBackendsSideBySide(ofScenario);
    return [...ofBackends, ...(sideBySide ? [sideBySide] : [])];
  });
  return `${[...header, ...sections].join('\n').trimEnd()}\n`;
}
