import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../src/run/runner.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';
import { testPlan } from '../fixtures/plan.js';

describe('runBenchmark', () => {
  it('skips the equivalence check when equivalenceSteps is 0, leaving its fields empty', async () => {
    const scenario = parseScenario({ ...tiny, measure: { ...tiny.measure, equivalenceSteps: 0 } }, 'tiny');
    const results = await runBenchmark({ plan: testPlan([{ scenario, file: 'tiny' }], { strategies: ['g-first'] }) });
    expect(results.cells).toHaveLength(1);
    expect(results.cells[0]).toMatchObject({ status: 'ok', equivalence: null, equivalentTo: null, maxParamDiff: null });
  });

  it('records what ran: versions, machine, the reference strategy and every raw sample', async () => {
    const scenario = parseScenario(tiny, 'tiny');
    const events: string[] = [];
    const results = await runBenchmark({
      plan: testPlan([{ scenario, file: 'tiny' }]),
      onEvent: (event) => void events.push(event.type),
    });
    expect(results.versions.tfjs).toBe('4.22.0');
    expect(results.settings.referenceStrategy).toBe('retain-graph');
    expect(events[0]).toBe('scenario-start');
    expect(events.at(-1)).toBe('scenario-end');
    expect(results.cells.map((cell) => cell.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'raised', 'raised']);
    for (const cell of results.cells.filter(({ status }) => status === 'ok')) {
      expect(cell.timing!.samplesMs.length).toBe(cell.timing!.samples);
      expect(cell.timing!.samples).toBeGreaterThanOrEqual(scenario.measure.minSamples);
    }
    expect(results.cells.find((cell) => cell.strategy === 'retain-graph')!.timeRatio).toBe(1);
    expect(results.harnessOverheadPct).toBeGreaterThan(0);
  });
});
