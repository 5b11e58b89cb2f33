import { beforeAll, describe, expect, it } from 'vitest';
import { checkEquivalence, checkEquivalenceStates, classifyDifference, maxAbsDifference } from '../../src/measure/equivalence.js';
import { parseScenario } from '../../src/scenario/load.js';
import { STRATEGY_IDS } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';
import tinyConv from '../fixtures/tiny-conv.js';

describe('update equivalence', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('classifies 0 as identical, a float-rounding difference as within tolerance, and more as different', () => {
    expect(classifyDifference(0)).toBe('identical');
    expect(classifyDifference(3e-7)).toBe('within-tolerance');
    expect(classifyDifference(2e-4)).toBe('different');
    expect(maxAbsDifference(new Float32Array([1, 2, 3]), new Float32Array([1, 2.5, 2]))).toBe(1);
  });

  it("compares the strategies that fit WGAN-GP and says why the others were not compared, where they throw", async () => {
    const scenario = parseScenario({ ...tiny, optimizer: { learningRate: 0.05 }, regularizer: { kind: 'wgan-gp' } }, 'tiny');
    const check = await checkEquivalenceStates(scenario, ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'], 'detach-d-first', 2);
    expect(check.results.map(({ strategy, equivalence }) => [strategy, equivalence])).toEqual([
      ['detach-d-first', 'reference'],
      ['g-first', 'different'],
    ]);
    expect([...check.failed.keys()]).toEqual(['retain-graph', 'single-forward']);
    expect(check.failed.get('retain-graph')).toMatch(/^regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and G's loss/);
  });

  it('finds g-first and single-forward computing the same update as retain-graph, and detach-d-first a different one', async () => {
    // A large learning rate makes the alternating update visibly different within three steps.
    const scenario = parseScenario({ ...tiny, optimizer: { learningRate: 0.05 } }, 'tiny');
    const results = await checkEquivalence(scenario, STRATEGY_IDS, 'retain-graph', 3);
    const byId = Object.fromEntries(results.map((result) => [result.strategy, result]));
    expect(byId['retain-graph']).toMatchObject({ equivalence: 'reference', maxParamDiff: 0 });
    expect(byId['g-first']!.equivalence).toMatch(/identical|within-tolerance/);
    expect(byId['single-forward']!.equivalence).toMatch(/identical|within-tolerance/);
    expect(byId['detach-d-first']!.equivalence).toBe('different');
    expect(byId['frozen-d']!.equivalence).toBe('different');
    // Strategies with nothing to compare (the post's code as printed raises) are left out.
    expect(results.map(({ strategy }) => strategy)).not.toContain('retain-graph-printed');
  });

  it('finds frozen-d computing exactly strategy 2\'s update: freezing D changes what is computed, not the update', async () => {
    const scenario = parseScenario({ ...tiny, optimizer: { learningRate: 0.05 } }, 'tiny');
    const [, frozen] = await checkEquivalence(scenario, ['detach-d-first', 'frozen-d'], 'detach-d-first', 3);
    expect(frozen).toMatchObject({ equivalence: 'identical', maxParamDiff: 0 });
  });

  it('gives the same parameters twice for the same strategy (the check itself is deterministic)', async () => {
    const scenario = parseScenario(tiny, 'tiny');
    const [, again] = await checkEquivalence(scenario, ['g-first', 'g-first'], 'g-first', 2);
    expect(again).toMatchObject({ maxParamDiff: 0 });
  });

  it("with BatchNorm: simultaneous strategies still train identical parameters, but D's running statistics part", async () => {
    // Training-mode BatchNorm normalises with the batch's statistics, so D's output on a batch does not depend on
    // how many forwards came before it: the parameters of retain-graph, g-first and single-forward stay identical.
    // The running statistics do not: g-first's third D forward (on the fake batch again) is a third update per step.
    const scenario = parseScenario({ ...tinyConv, optimizer: { learningRate: 0.05 } }, 'tiny-conv');
    const results = await checkEquivalence(scenario, STRATEGY_IDS, 'retain-graph', 3);
    const byId = Object.fromEntries(results.map((result) => [result.strategy, result]));
    expect(byId['retain-graph']).toMatchObject({ equivalence: 'reference', maxParamDiff: 0, maxRunningStatsDiff: 0 });
    expect(byId['single-forward']).toMatchObject({ equivalence: 'identical', maxRunningStatsDiff: 0 });
    expect(byId['g-first']).toMatchObject({ equivalence: 'identical' });
    expect(byId['g-first']!.maxRunningStatsDiff).toBeGreaterThan(1e-3);
    expect(byId['detach-d-first']!.equivalence).toBe('different');
    expect(byId['detach-d-first']!.maxRunningStatsDiff).toBeGreaterThan(1e-3);
    // No BatchNorm in D: nothing to compare.
    const mlp = await checkEquivalence(parseScenario(tiny, 'tiny'), ['retain-graph', 'g-first'], 'retain-graph', 1);
    expect(mlp.map((result) => result.maxRunningStatsDiff)).toEqual([null, null]);
  });
});
