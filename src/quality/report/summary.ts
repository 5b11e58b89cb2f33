/**
 * Per strategy, what the seeds of a quality run say: the final value of each metric as a mean with a 95%
 * interval over the seeds (Student's t), and when each seed first reached the scenario's threshold, in steps and
 * in seconds, with the mean and interval over the seeds that reached it.
 */
import { mean, sampleStandardDeviation, tCritical95 } from '../../measure/statistics.js';
import type { StrategyId } from '../../strategies/ids.js';
import type { MetricId } from '../../scenario/metric-ids.js';
import type { CurvePoint, QualityScenarioResult, Threshold, TrainingRun } from '../results.js';

/** A mean with its 95% interval over `n` values; with one value the interval is that value. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
  n: number;
}

/** The mean of `values` and its 95% confidence interval, mean +- t(n-1) sd / sqrt(n); null for no values. */
export function meanInterval(values: readonly number[]): Interval | null {
  if (values.length === 0) return null;
  const center = mean(values);
  if (values.length < 2) return { mean: center, low: center, high: center, n: 1 };
  const margin = (tCritical95(values.length - 1) * sampleStandardDeviation(values)) / Math.sqrt(values.length);
  return { mean: center, low: center - margin, high: center + margin, n: values.length };
}

/** Whether `value` meets the threshold: at least it ('above') or at most it ('below'). */
export function meetsThreshold(value: number | null | undefined, threshold: Threshold): boolean {
  if (value == null || Number.isNaN(value)) return false;
  return threshold.direction === 'above' ? value >= threshold.value : value <= threshold.value;
}

/** The first checkpoint of `curve` that meets the threshold, or null: never within the run. */
export function firstReaching(curve: readonly CurvePoint[], threshold: Threshold): CurvePoint | null {
  return curve.find((point) => meetsThreshold(point.values[threshold.metric], threshold)) ?? null;
}

export interface StrategySummary {
  strategy: StrategyId;
  /** Seeds that trained to the end. */
  completed: number;
  /** Seeds that failed (their curves stop where they failed). */
  failed: number;
  /**
   * Seeds whose training diverged (stopped where its values became non-finite): they count as never reaching the
   * threshold, and have no final value.
   */
  diverged: number;
  /** The last checkpoint's value of each metric, over the completed seeds. */
  final: Partial<Record<MetricId, Interval | null>>;
  /** The same values one per completed seed, in seed order (an undefined value left out): what claims test over seeds. */
  finalValues: Partial<Record<MetricId, number[]>>;
  /** Per completed or diverged seed, in seed order: steps and seconds to the threshold, Infinity for never (a diverged one: never). */
  stepsToThreshold: number[];
  secondsToThreshold: number[];
  /** Over the seeds that reached it. */
  steps: Interval | null;
  seconds: Interval | null;
  reached: number;
}

/** The summary of each strategy of a scenario's runs. */
export function summarize(result: QualityScenarioResult): StrategySummary[] {
  return result.strategies.map((strategy) => {
    const runs = result.runs.filter((run) => run.strategy === strategy).sort((a, b) => a.seed - b.seed);
    const completed = runs.filter((run) => run.status === 'ok' && run.curve.length > 0);
    const final: StrategySummary['final'] = {};
    const finalValues: StrategySummary['finalValues'] = {};
    for (const metric of result.metrics) {
      const values = completed
        .map((run) => run.curve.at(-1)!.values[metric])
        .filter((value): value is number => value != null && !Number.isNaN(value));
      final[metric] = meanInterval(values);
      finalValues[metric] = values;
    }
    const diverged = runs.filter((run) => run.status === 'diverged');
    // A diverged training did not reach the threshold, whatever it passed before it diverged: it did not train.
    const compared: TrainingRun[] = runs.filter((run) => completed.includes(run) || run.status === 'diverged');
    const reaching = compared.map((run) => (run.status === 'diverged' ? null : firstReaching(run.curve, result.threshold)));
    const stepsToThreshold = reaching.map((point) => point?.step ?? Infinity);
    const secondsToThreshold = reaching.map((point) => point?.seconds ?? Infinity);
    const finite = (values: number[]) => values.filter(Number.isFinite);
    return {
      strategy,
      completed: completed.length,
      failed: runs.length - completed.length - diverged.length,
      diverged: diverged.length,
      final,
      finalValues,
      stepsToThreshold,
      secondsToThreshold,
      steps: meanInterval(finite(stepsToThreshold)),
      seconds: meanInterval(finite(secondsToThreshold)),
      reached: finite(stepsToThreshold).length,
    };
  });
}
