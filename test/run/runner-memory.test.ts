import { describe, expect, it } from 'vitest';
import { runBenchmark, type StartSession } from '../../src/run/runner.js';
import { startSession as startLocalSession } from '../../src/session/index.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';
import { testPlan } from '../fixtures/plan.js';

/**
 * The real session (src/session/), handed to runBenchmark, except that preparing the scenario named 'boom' fails as an
 * allocation does when memory runs out: no module is mocked.
 */
const startSession: StartSession = async (backend, options) => {
  const session = await startLocalSession(backend, options);
  return {
    ...session,
    prepare: (scenario, ids, prepareOptions) => {
      if (scenario.name === 'boom') return Promise.reject(new Error('could not allocate the models and batches: Array buffer allocation failed'));
      return session.prepare(scenario, ids, prepareOptions);
    },
  };
};

const scenarioNamed = (name: string) =>
  parseScenario({ ...tiny, name, measure: { ...tiny.measure, equivalenceSteps: 0 } }, `${name}.ts`);

describe('runBenchmark when a scenario cannot be built', () => {
  it("fails that scenario's cells with the allocation error and runs the next scenario", async () => {
    const completeness: Array<boolean | undefined> = [];
    const results = await runBenchmark({
      startSession,
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
