import { describe, expect, it } from 'vitest';
import { compareSeeds, threeIsBestOnTimeToQuality, threeIsBestPerStep } from '../../src/quality/report/claims.js';
import { formatInterval, thresholdText } from '../../src/quality/report/markdown.js';
import type { QualityScenarioResult, StepTime, Threshold, TrainingRun } from '../../src/quality/results.js';
import { firstReaching, meanInterval, meetsThreshold, summarize, type StrategySummary } from '../../src/quality/report/summary.js';
import type { StrategyId } from '../../src/strategies/ids.js';
import { toyResult, trainingRun } from './fixtures.js';

const above: Threshold = { metric: 'high-quality', value: 0.5, direction: 'above' };
const below: Threshold = { metric: 'reverse-kl', value: 0.1, direction: 'below' };

describe('intervals and thresholds', () => {
  it('a mean and its 95% interval over seeds by hand: [1, 2, 3] is 2 +- t(2) / sqrt(3)', () => {
    const interval = meanInterval([1, 2, 3])!;
    expect(interval.mean).toBe(2);
    expect(interval.high - 2).toBeCloseTo(4.302653 / Math.sqrt(3), 6);
    expect(interval.low).toBeCloseTo(2 - 4.302653 / Math.sqrt(3), 6);
    expect(meanInterval([5])).toEqual({ mean: 5, low: 5, high: 5, n: 1 });
    expect(meanInterval([])).toBeNull();
    expect(formatInterval(meanInterval([1, 2, 3]))).toBe('2 [-0.484, 4.48]');
    expect(formatInterval(null)).toBe('—');
  });

  it('a threshold is met at or beyond its value, never by an undefined value', () => {
    expect([0.49, 0.5, 0.9].map((value) => meetsThreshold(value, above))).toEqual([false, true, true]);
    expect([0.2, 0.1, 0].map((value) => meetsThreshold(value, below))).toEqual([false, true, true]);
    expect(meetsThreshold(null, below)).toBe(false);
    expect(thresholdText(above)).toBe('high-quality >= 0.5');
    const curve = [0, 100, 200, 300].map((step, i) => ({ step, seconds: step / 100, values: { 'high-quality': [0, 0.6, 0.4, 0.7][i]! } }));
    expect(firstReaching(curve, above)?.step).toBe(100);
    expect(firstReaching(curve, { ...above, value: 0.8 })).toBeNull();
  });
});

const run = (strategy: StrategyId, seed: number, reachedAt: number | null, msPerStep: number): TrainingRun => trainingRun(strategy, seed, reachedAt, msPerStep);

const result = (runs: TrainingRun[]): QualityScenarioResult => toyResult({ threshold: above, runs });

describe('per-strategy summaries', () => {
  it('steps and seconds to the threshold per seed, never as Infinity, the interval over those that reached it', () => {
    const runs = [100, 200, null, 200, 300].map((at, seed) => run('g-first', seed, at, 10));
    const [summary] = summarize({ ...result(runs), strategies: ['g-first'] });
    expect(summary!.stepsToThreshold).toEqual([100, 200, Infinity, 200, 300]);
    expect(summary!.secondsToThreshold).toEqual([1, 2, Infinity, 2, 3]);
    expect(summary!.reached).toBe(4);
    expect(summary!.steps!.mean).toBe(200);
    expect(summary!.final['high-quality']!.mean).toBeCloseTo(0.74, 12); // four seeds at 0.9, one at 0.1
  });
});

const summaryOf = (strategy: StrategyId, seconds: number[]): StrategySummary => ({
  strategy,
  completed: seconds.length,
  failed: 0,
  diverged: 0,
  final: {},
  finalValues: {},
  stepsToThreshold: seconds,
  secondsToThreshold: seconds,
  steps: meanInterval(seconds.filter(Number.isFinite)),
  seconds: meanInterval(seconds.filter(Number.isFinite)),
  reached: seconds.filter(Number.isFinite).length,
});

describe('"three is the best" on time to quality', () => {
  it('compares seeds with the exact two-sided Mann-Whitney test: five below five gives p = 2/252', () => {
    const comparison = compareSeeds([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(comparison.ordering).toBe('faster');
    expect(comparison.pValue).toBeCloseTo(2 / 252, 12);
    expect(compareSeeds([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).ordering).toBe('slower');
    expect(compareSeeds([1, 2, 3, 4, Infinity], [Infinity, Infinity, Infinity, Infinity, Infinity]).ordering).toBe('faster');
    expect(compareSeeds([1, 6, 2, 7, 3], [4, 5, 8, 9, 10]).ordering).toBe('indistinguishable');
  });

  it('holds when g-first is faster than both, does not hold when either is faster, else inconclusive', () => {
    const fast = [1, 2, 3, 4, 5];
    const slow = [6, 7, 8, 9, 10];
    const verdict = (one: number[], two: number[], three: number[]) =>
      threeIsBestOnTimeToQuality([summaryOf('retain-graph', one), summaryOf('detach-d-first', two), summaryOf('g-first', three)], 'x').verdict;
    expect(verdict(slow, slow, fast)).toBe('holds');
    expect(verdict(slow, fast, slow)).toBe('does not hold');
    expect(verdict(slow, [1, 6, 2, 7, 3], [4, 5, 8, 9, 10].map((v) => v - 3.5))).toBe('inconclusive');
    const never = [Infinity, Infinity, Infinity, Infinity, Infinity];
    expect(verdict(never, never, never)).toBe('inconclusive');
    expect(verdict(never, never, fast)).toBe('holds');
  });

  it('says when too few seeds can never reach alpha', () => {
    const claim = threeIsBestOnTimeToQuality([summaryOf('retain-graph', [3, 4]), summaryOf('detach-d-first', [3, 4]), summaryOf('g-first', [1, 2])], 'x');
    expect(claim.verdict).toBe('inconclusive');
    expect(claim.evidence).toMatch(/no test can reach 0.05 \(smallest p 0.33\)/);
  });
});

describe('"three is the best" per step', () => {
  const time = (strategy: StrategyId, meanMs: number, rmePct = 1): StepTime => ({ strategy, meanMs, rmePct, samples: 10, error: null });
  it("applies npm run bench's rule to this run's own timing", () => {
    expect(threeIsBestPerStep([time('retain-graph', 20), time('detach-d-first', 12), time('g-first', 10)]).verdict).toBe('holds');
    expect(threeIsBestPerStep([time('retain-graph', 20), time('detach-d-first', 10.05), time('g-first', 10)]).verdict).toBe('inconclusive');
    expect(threeIsBestPerStep([time('retain-graph', 20), time('detach-d-first', 8), time('g-first', 10)]).verdict).toBe('does not hold');
  });
});
