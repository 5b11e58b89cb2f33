import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderQualityCsv } from '../../src/quality/report/csv.js';
import { renderQualityReport } from '../../src/quality/report/markdown.js';
import { summarize } from '../../src/quality/report/summary.js';
import type { QualityResults } from '../../src/quality/results.js';
import { runQuality } from '../../src/quality/training/run.js';
import { parseScenario } from '../../src/scenario/load.js';
import ring from '../../scenarios/quality/ci/ring.js';
import { testPlan } from '../fixtures/plan.js';

/** CI's ring at a learning rate that makes every parameter infinite in Adam's first step; 20 steps, one seed. */
const exploding = parseScenario(
  {
    ...ring,
    optimizer: { ...ring.optimizer, learningRate: 1e300 },
    strategies: ['retain-graph', 'detach-d-first', 'g-first'],
    measure: { ...ring.measure, minTimeMs: 0, minSamples: 2, rounds: 1 },
    quality: { ...ring.quality!, steps: 20, seeds: 1, evaluateEvery: 10, samples: 200 },
  },
  'ring at 1e300',
);

let results: QualityResults;
beforeAll(async () => {
  results = (await runQuality({ plan: testPlan([{ scenario: exploding, file: 'ring.ts' }], { backend: 'cpu', worldSize: 1 }) })).results;
}, 120_000);

describe('a quality run whose training diverges', () => {
  it('marks every training diverged at its first step, keeping only the finite checkpoint before it, in the JSON', () => {
    const [scenario] = (JSON.parse(JSON.stringify(results)) as QualityResults).scenarios;
    expect(scenario!.runs).toHaveLength(3);
    for (const run of scenario!.runs) {
      expect(run).toMatchObject({ status: 'diverged', diverged: { step: 1, detail: expect.stringMatching(/parameters are not finite/) } });
      expect(run.error).toMatch(/^diverged at step 1: /);
      expect(run.curve.map((point) => point.step)).toEqual([0]);
      for (const value of Object.values(run.curve[0]!.values)) expect(Number.isNaN(value)).toBe(false);
    }
  });

  it('writes each of its CSV rows with status diverged and the step', () => {
    const rows = parse(renderQualityCsv(results), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(3 * results.scenarios[0]!.metrics.length);
    for (const row of rows) expect(row).toMatchObject({ step: '0', status: 'diverged', diverged_at_step: '1' });
  });

  it('counts no diverged seed as completed or as reaching the threshold, and the report says where each diverged', () => {
    for (const summary of summarize(results.scenarios[0]!)) {
      expect(summary).toMatchObject({ completed: 0, diverged: 1, failed: 0, reached: 0, stepsToThreshold: [Infinity] });
      expect(Object.values(summary.final).every((interval) => interval === null)).toBe(true);
    }
    const report = renderQualityReport(results);
    expect(report).toContain('g-first, seed 0 diverged at step 1 (generator parameters are not finite): it did not reach the threshold');
    expect(report).toMatch(/\| g-first \| simultaneous \| [^|]+ \(diverged at step \d+ while timed\) \|/);
    expect(report).toContain('g-first diverged while timed');
    expect(report).toContain('never (0/1); 1 diverged');
    expect(report).not.toMatch(/NaN/);
  });
});
