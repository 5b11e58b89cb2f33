/**
 * Hand-made quality results for the report's tests: a toy ring scenario whose seeds meet high-quality >= 0.5 at a
 * chosen checkpoint (every 100 steps) or never.
 */
import type { QualityScenarioResult, StepTime, TrainingRun } from '../../src/quality/results.js';
import type { StrategyId } from '../../src/strategies/ids.js';

/**
 * One seed's training: high-quality 0.1 until `reachedAt`, 0.9 from there (never where null), checkpoints every
 * 100 steps up to `lastStep`; `final` replaces the value at the last checkpoint where given.
 */
export function trainingRun(strategy: StrategyId, seed: number, reachedAt: number | null, msPerStep: number, { final, lastStep = 400 }: { final?: number; lastStep?: number } = {}): TrainingRun {
  const steps = Array.from({ length: lastStep / 100 + 1 }, (_, i) => i * 100);
  return {
    strategy,
    seed,
    status: 'ok',
    error: null,
    curve: steps.map((step) => ({
      step,
      seconds: (step * msPerStep) / 1000,
      values: { 'high-quality': step === lastStep && final !== undefined ? final : reachedAt !== null && step >= reachedAt ? 0.9 : 0.1 },
    })),
  };
}

/** A strategy's step time with a 1% margin over 30 samples. */
export const stepTime = (strategy: StrategyId, meanMs: number): StepTime => ({ strategy, meanMs, rmePct: 1, samples: 30, error: null });

/** The toy scenario's result on cpu under no regularizer, 5 seeds of 400 steps, with `fields` replaced. */
export function toyResult(fields: Partial<QualityScenarioResult> = {}): QualityScenarioResult {
  return {
    scenario: 'toy',
    description: 'toy',
    file: 'toy.ts',
    source: 'ring',
    backend: 'cpu',
    regularizer: 'none',
    device: fields.backend ?? 'cpu',
    error: null,
    strategies: ['retain-graph', 'detach-d-first', 'g-first'],
    steps: 400,
    seeds: 5,
    evaluateEvery: 100,
    samples: 10,
    metrics: ['high-quality'],
    threshold: { metric: 'high-quality', value: 0.5, direction: 'above' },
    stepTimes: [],
    timedWith: [fields.regularizer ?? 'none'],
    classifier: null,
    runs: [],
    wallSeconds: 1,
    ...fields,
  };
}
