import { describe, expect, it, vi } from 'vitest';
import type * as GanModule from '../../src/models/gan.js';
import { runBenchmark } from '../../src/run/runner.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import tiny from '../fixtures/tiny.js';
import { testPlan } from '../fixtures/plan.js';

// Building the models of the scenario named 'boom' fails as an allocation does when memory runs out.
vi.mock('../../src/models/gan.js', async (importOriginal) => {
  const original = await importOriginal<typeof GanModule>();
  return {
    ...original,
    createGan: (scenario: Scenario, ...rest: unknown[]) => {
      if (scenario.name === 'boom') throw new RangeError('Array buffer allocation failed');
      return original.createGan(scenario, ...(rest as []));
    },
  };
});

const scenarioNamed = (name: string) =>
  parseScenario({ ...tiny, name, measure: { ...tiny.measure, equivalenceSteps: 0 } }, `${name}.ts`);

describe('runBenchmark when a scenario cannot be built', () => {
  it("fails that scenario's cells with the allocation error and runs the next scenario", async () => {
    const completeness: Array<boolean | undefined> = [];
    const results = await runBenchmark({
      plan: testPlan(
        [
          { scenario: scenarioNamed('boom'), file: 'boom.ts' },
          { scenario: scenarioNamed('after'), file: 'after.ts' },
        ],
        { strategies: ['g-first', 'single-forward'] },
      ),
      onEvent: (event) => {
        if (event.type === 'scenario-end') completeness.push(event.results.complete);
      },
    });
    expect(results.cells.map(({ scenario, strategy, status, error }) => ({ scenario, strategy, status, error }))).toEqual([
      { scenario: 'boom', strategy: 'g-first', status: 'errored', error: 'could not allocate the models and batches: Array buffer allocation failed' },
      { scenario: 'boom', strategy: 'single-forward', status: 'errored', error: 'could not allocate the models and batches: Array buffer allocation failed' },
      { scenario: 'after', strategy: 'g-first', status: 'ok', error: null },
      { scenario: 'after', strategy: 'single-forward', status: 'ok', error: null },
    ]);
    // Results saved after a scenario say the run is not finished; the returned ones say it is.
    expect(completeness).toEqual([false, false]);
    expect(results.complete).toBe(true);
  });
});
