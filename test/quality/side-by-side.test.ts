import { describe, expect, it } from 'vitest';
import type { QualityScenarioResult } from '../../src/quality/results.js';
import { renderQualityReport } from '../../src/quality/report/markdown.js';
import { renderBackendsSideBySide, sameStepToThreshold } from '../../src/quality/report/side-by-side.js';
import type { StrategyId } from '../../src/strategies/ids.js';
import { stepTime, toyResult, trainingRun } from './fixtures.js';

const STRATEGIES: StrategyId[] = ['retain-graph', 'detach-d-first', 'g-first'];

function result(backend: string, reachedAt: Record<StrategyId, Array<number | null>>, ms: Record<StrategyId, number>): QualityScenarioResult {
  return toyResult({
    backend,
    strategies: STRATEGIES,
    steps: 300,
    seeds: 2,
    stepTimes: STRATEGIES.map((id) => stepTime(id, ms[id])),
    runs: STRATEGIES.flatMap((id) => reachedAt[id]!.map((step, seed) => trainingRun(id, seed, step, ms[id], { lastStep: 300 }))),
  });
}

const reached = { 'retain-graph': [100, null], 'detach-d-first': [100, 200], 'g-first': [100, null] } as Record<StrategyId, Array<number | null>>;
// g-first fastest per step beyond the 1% margins on cpu; slower than detach-d-first on pytorch.
const cpu = result('cpu', reached, { 'retain-graph': 10, 'detach-d-first': 9, 'g-first': 5 } as Record<StrategyId, number>);
const pytorch = result('pytorch', { ...reached, 'detach-d-first': [100, null] }, { 'retain-graph': 10, 'detach-d-first': 4, 'g-first': 5 } as Record<StrategyId, number>);

describe('a scenario on several backends, side by side', () => {
  it('counts the trainings that first reached the threshold at the same checkpoint on both, never counting as a checkpoint', () => {
    // Only detach-d-first's seed 1 differs (step 200 on cpu, never on pytorch).
    expect(sameStepToThreshold(cpu, pytorch)).toEqual({ same: 5, compared: 6 });
    expect(sameStepToThreshold(cpu, cpu)).toEqual({ same: 6, compared: 6 });
    const failed = { ...pytorch, runs: pytorch.runs.map((entry, i) => (i === 0 ? { ...entry, status: 'errored' as const, error: 'failed' } : entry)) };
    expect(sameStepToThreshold(cpu, failed)).toEqual({ same: 4, compared: 5 });
  });

  it("puts each backend's step time, final value, seeds and seconds in adjacent columns, the verdicts per backend, and names a disagreement", () => {
    const text = renderBackendsSideBySide([cpu, pytorch]);
    expect(text).toMatch(/^### toy: the backends side by side\n/);
    expect(text).toContain(
      '| strategy | ms per step (cpu) | ms per step (pytorch) | final high-quality samples (fraction) (cpu) | final high-quality samples (fraction) (pytorch) | seeds that reached it (cpu) | seeds that reached it (pytorch) | seconds to threshold (cpu) | seconds to threshold (pytorch) |',
    );
    // cpu: both seeds end at 0.9 and reach it at 0.9 s and 1.8 s: 1.35 +- t(1) 0.636 / sqrt(2) = 1.35 +- 5.72; pytorch:
    // seed 0 at 0.9, seed 1 at 0.1, one seed reached it at 100 x 4 ms.
    expect(text).toContain('| detach-d-first | 9.00 ms ± 1.0% | 4.00 ms ± 1.0% | 0.900 [0.900, 0.900] | 0.500 [-4.58, 5.58] | 2/2 | 1/2 | 1.35 s [-4.37, 7.07] | 0.400 s |');
    expect(text).toContain('| three is the best | holds | inconclusive | **does not hold** | inconclusive |');
    expect(text).toMatch(/- Per step, the backends disagree: cpu holds, pytorch \*\*does not hold\*\*\. cpu: g-first 5\.00 ms/);
    expect(text).toContain('- On time to quality: every backend says inconclusive.');
    expect(text).toContain('- Seed for seed, cpu and pytorch first reached the threshold at the same checkpoint (or both never did) in 5 of 6 trainings.');
  });

  it('is empty for a scenario that ran on one backend only, or where the other could not start', () => {
    expect(renderBackendsSideBySide([cpu])).toBe('');
    expect(renderBackendsSideBySide([cpu, { ...pytorch, error: "backend 'pytorch' is unavailable" }])).toBe('');
  });
});

describe("one backend's quality section", () => {
  it('compares alternating with simultaneous per seed in steps and in seconds, naming both strategies each time', () => {
    const results = {
      schemaVersion: 1,
      tool: { name: 'gan-update-bench', version: '0' },
      createdAt: '2026-11-28T00:00:00.000Z',
      versions: { tfjs: '4.22.0', node: 'v20' },
      machine: { cpu: 'test', cores: 2, memoryGiB: 1, platform: 'linux', arch: 'x64', node: 'v20' },
      settings: { backend: 'cpu', strategies: 'per scenario', seeds: 'per scenario', steps: 'per scenario' },
      scenarios: [cpu],
    } as unknown as Parameters<typeof renderQualityReport>[0];
    // detach-d-first reached the threshold on both seeds, g-first on one: two seeds are too few for significance.
    expect(renderQualityReport(results)).toMatch(
      /in steps, detach-d-first reaches high-quality >= 0\.5 no sooner or later than g-first \(p = [0-9.]+\); in seconds, no sooner or later than g-first \(p = [0-9.]+\)\./,
    );
  });
});
