import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../src/run/runner.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';
import { testPlan } from '../fixtures/plan.js';

/** The tiny scenario at a learning rate that turns every parameter infinite in Adam's first step. */
const exploding = parseScenario(
  { ...tiny, optimizer: { ...tiny.optimizer, learningRate: 1e300 }, measure: { ...tiny.measure, equivalenceSteps: 2 } },
  'tiny at 1e300',
);

describe('a bench run whose training diverges', () => {
  it('marks every runnable strategy diverged with its step, untimed and without a NaN difference, the printed ones raised', async () => {
    const results = await runBenchmark({ plan: testPlan([{ scenario: exploding, file: 'tiny' }], { backend: 'cpu' }) });
    const runnable = results.cells.filter((cell) => cell.status !== 'raised');
    expect(runnable.map((cell) => cell.strategy)).toEqual(['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d']);
    for (const cell of runnable) {
      expect(cell.status).toBe('diverged');
      if (cell.status !== 'diverged') continue;
      // The equivalence check (2 steps) is the first to see it: every parameter is infinite after one Adam step.
      expect(cell.diverged).toEqual({ step: 2, detail: expect.stringMatching(/^parameters are not finite/) });
      expect(cell.error).toMatch(/^diverged at step 2: parameters are not finite/);
      expect(cell.maxParamDiff).toBeNull();
      expect(cell.timing).toBeNull();
      expect(cell.timeRatio).toBeNull();
      // Its counts still come from its observed step: they do not depend on the values.
      expect(cell.generatorForwards).toBeGreaterThan(0);
    }
    expect(results.cells.filter((cell) => cell.status === 'raised')).toHaveLength(2);
    for (const cell of results.cells) for (const value of Object.values(cell)) expect(Number.isNaN(value)).toBe(false);
  });

  it('marks a strategy diverged at its observed step when no equivalence check runs: its second step, counted from its first', async () => {
    const unchecked = parseScenario({ ...exploding, measure: { ...exploding.measure, equivalenceSteps: 0 } }, 'tiny at 1e300');
    const results = await runBenchmark({ plan: testPlan([{ scenario: unchecked, file: 'tiny' }], { backend: 'cpu', strategies: ['g-first'] }) });
    expect(results.cells).toHaveLength(1);
    // observeStep runs one warm step, then the observed one: the check after it sees the parameters at step 2.
    expect(results.cells[0]).toMatchObject({ status: 'diverged', diverged: { step: 2, detail: expect.stringMatching(/^generator parameters are not finite/) }, timing: null });
  });
});
