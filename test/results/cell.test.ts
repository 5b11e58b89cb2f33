import { describe, expect, it } from 'vitest';
import { buildCell, erroredCell, type CellMeasurements } from '../../src/results/cell.js';
import type { StepRecord } from '../../src/measure/record.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';
import { makeTiming } from '../report/fixtures.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');

const record: StepRecord = {
  generatorForwards: 1,
  discriminatorForwards: 3,
  generatorBackwards: 1,
  discriminatorBackwards: 3,
  backwardCalls: 2,
  wastedGradientElements: 31,
  retainedBytes: 0,
  generatorBatchNormUpdates: 0,
  discriminatorBatchNormUpdates: 0,
  forwards: [],
  backwards: [],
  flops: 1234,
  kernels: 40,
  dispatches: null,
  peakBytes: 4096,
  leakedTensors: 0,
};

function measured(overrides: Partial<CellMeasurements> = {}): CellMeasurements {
  return {
    scenario,
    backend: 'cpu',
    device: 'cpu (JavaScript)',
    strategy: 'g-first',
    error: null,
    diverged: null,
    record,
    timing: makeTiming(2),
    referenceMeanMs: 4,
    equivalence: { strategy: 'g-first', reference: 'retain-graph', maxParamDiff: 1e-8, equivalence: 'within-tolerance', maxRunningStatsDiff: null },
    note: null,
    deviceMemory: { bytes: null, isEstimate: null },
    ...overrides,
  };
}

describe('buildCell', () => {
  it('makes a measured cell ok, with its timing, ratio, counts and equivalence', () => {
    const cell = buildCell(measured());
    expect(cell).toMatchObject({
      status: 'ok',
      error: null,
      timeRatio: 0.5,
      flops: 1234,
      discriminatorForwards: 3,
      order: 'simultaneous',
      equivalentTo: 'retain-graph',
      maxParamDiff: 1e-8,
      equivalence: 'within-tolerance',
    });
    expect(cell.timing?.meanMs).toBe(2);
  });

  it('makes a diverged cell with its step and detail, its counts, its message and no timing', () => {
    const cell = buildCell(measured({ diverged: { step: 7, detail: 'd_loss is NaN' } }));
    expect(cell).toMatchObject({
      status: 'diverged',
      diverged: { step: 7, detail: 'd_loss is NaN' },
      error: 'diverged at step 7: d_loss is NaN',
      timing: null,
      timeRatio: null,
      discriminatorForwards: 3,
    });
  });

  it('makes a cell whose equivalence check differs by NaN diverged at its last step, not different', () => {
    const cell = buildCell(
      measured({ equivalence: { strategy: 'g-first', reference: 'retain-graph', maxParamDiff: Number.NaN, equivalence: 'different' } }),
    );
    expect(cell.status).toBe('diverged');
    expect(cell).toMatchObject({ diverged: { step: 3 }, maxParamDiff: null, equivalence: null, timing: null });
    expect(cell.status === 'diverged' && cell.diverged.detail).toMatch(/parameters differ from retain-graph's by NaN/);
  });

  it('keeps the counts of a cell that failed after its observed step, and drops its timing', () => {
    const cell = buildCell(measured({ error: 'device lost' }));
    expect(cell).toMatchObject({ status: 'errored', error: 'device lost', timing: null, timeRatio: null, flops: 1234 });
  });

  it("makes a printed strategy that raised as it must 'raised', with its message", () => {
    const cell = buildCell(measured({ error: 'Trying to backward through the graph a second time', raised: true, record: null, timing: null }));
    expect(cell).toMatchObject({ status: 'raised', error: 'Trying to backward through the graph a second time', flops: null, timing: null });
  });

  it('never calls a cell ok without an observed step or a timing', () => {
    expect(buildCell(measured({ record: null }))).toMatchObject({ status: 'errored', error: 'no step was observed' });
    expect(buildCell(measured({ timing: null }))).toMatchObject({ status: 'errored', error: 'no step was timed' });
    expect(buildCell(measured({ timing: makeTiming(2, 1, 0) }))).toMatchObject({ status: 'errored', error: 'no step was timed' });
  });

  it('keeps a remark on an ok cell in its error field', () => {
    expect(buildCell(measured({ note: 'equivalence check failed: boom', equivalence: null }))).toMatchObject({
      status: 'ok',
      error: 'equivalence check failed: boom',
      equivalence: null,
    });
  });
});

describe('erroredCell', () => {
  it('is an errored cell with nothing measured', () => {
    const cell = erroredCell(scenario, 'wasm', 'none', 'retain-graph', 'backend did not start');
    expect(cell).toMatchObject({ status: 'errored', error: 'backend did not start', timing: null, flops: null, order: 'simultaneous' });
  });
});
