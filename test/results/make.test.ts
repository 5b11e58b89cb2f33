import { describe, expect, it } from 'vitest';
import type { CellResult } from '../../src/results/cell.js';
import { failedUnitCells, failUnits, makeCells, notMeasured, type StrategyMeasurement, type UnitIdentity } from '../../src/results/make.js';
import { unitKeyId } from '../../src/results/key.js';
import { TINY_UNIT_KEY } from '../fixtures/plan.js';
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

const unit: UnitIdentity = {
  ...TINY_UNIT_KEY,
  device: 'cpu (JavaScript)',
  batchSize: 4,
  reference: 'retain-graph',
};

/** The reference strategy, measured at 4 ms a step, beside `g-first` as `overrides` say. */
function measured(overrides: Partial<StrategyMeasurement> = {}): StrategyMeasurement {
  return {
    ...notMeasured('g-first'),
    record,
    samplesMs: makeTiming(2).samplesMs,
    equivalence: { strategy: 'g-first', reference: 'retain-graph', maxParamDiff: 1e-8, equivalence: 'within-tolerance', maxRunningStatsDiff: null },
    ...overrides,
  };
}

const reference: StrategyMeasurement = { ...notMeasured('retain-graph'), record, samplesMs: makeTiming(4).samplesMs };

/** g-first's cell, made beside the reference's (as a unit makes them): `unitOverrides` change the unit. */
function buildCell(strategy: StrategyMeasurement, unitOverrides: Partial<UnitIdentity> = {}, worldSize1: CellResult[] = []): CellResult {
  const cells = makeCells({ unit: { ...unit, ...unitOverrides }, scenario, strategies: [reference, strategy], deviceMemory: { bytes: null, isEstimate: null } }, worldSize1);
  return cells[1]!;
}

describe('makeCells', () => {
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
    const cell = buildCell(measured({ error: 'Trying to backward through the graph a second time', raised: true, record: null, samplesMs: [] }));
    expect(cell).toMatchObject({ status: 'raised', error: 'Trying to backward through the graph a second time', flops: null, timing: null });
  });

  it('never calls a cell ok without an observed step or a timing', () => {
    expect(buildCell(measured({ record: null }))).toMatchObject({ status: 'errored', error: 'no step was observed' });
    expect(buildCell(measured({ samplesMs: [] }))).toMatchObject({ status: 'errored', error: 'no step was timed' });
  });

  it('keeps a remark on an ok cell in its error field', () => {
    expect(buildCell(measured({ note: 'equivalence check failed: boom', equivalence: null }))).toMatchObject({
      status: 'ok',
      error: 'equivalence check failed: boom',
      equivalence: null,
    });
  });

  it('gives every cell the whole key of its unit, and the time ratio against its reference', () => {
    const cell = buildCell(measured(), { framework: 'torch 2.13.0', backend: 'pytorch', precision: 'bf16' });
    expect(cell).toMatchObject({ scenario: 'tiny', backend: 'pytorch', strategy: 'g-first', worldSize: 1, nodes: 1, framework: 'torch 2.13.0', compile: 'eager', precision: 'bf16', regularizer: 'none' });
  });
});

describe('makeCells at world size N', () => {
  const distributed = { allreduceCalls: 3, allreduceBytes: 120, commMs: 1, distributedVerdicts: { G: 'equal', D: 'equal' }, bufferBroadcast: null } as const;
  const atTwo = (overrides: Partial<StrategyMeasurement> = {}) => measured({ record: null, distributed, ...overrides });

  it("borrows the passes, FLOPs and memory of its strategy's world size 1 cell, and keeps its own timing and all-reduces", () => {
    const single = makeCells({ unit, scenario, strategies: [reference, measured()], deviceMemory: { bytes: null, isEstimate: null } });
    const cell = buildCell(atTwo(), { worldSize: 2 }, single);
    expect(cell).toMatchObject({ status: 'ok', worldSize: 2, flops: 1234, discriminatorForwards: 3, peakBytes: 4096, allreduceCalls: 3, timeRatio: 0.5 });
  });

  it('is errored, saying why, where its world size 1 cell was not measured', () => {
    const single = failedUnitCells(unit, scenario, ['retain-graph', 'g-first'], 'worker gone');
    expect(buildCell(atTwo(), { worldSize: 2 }, single)).toMatchObject({
      status: 'errored',
      error: 'measured at world size 2, but its world size 1 cell is errored, whose step counts this cell needs',
      allreduceCalls: 3,
    });
    expect(buildCell(atTwo(), { worldSize: 2 }, [])).toMatchObject({ status: 'errored', error: expect.stringContaining('it has no world size 1 cell') });
  });

  it('measures a distributed-only form with its passes null, and says so', () => {
    const cell = buildCell(atTwo({ strategy: 'stylegan2-ada' }), { worldSize: 2 });
    expect(cell).toMatchObject({ status: 'ok', strategy: 'stylegan2-ada', flops: null, generatorForwards: null, allreduceCalls: 3 });
    expect(cell.error).toBe('distributed-only (gan_ddp): passes, FLOPs and memory not observed');
  });
});

describe('failedUnitCells', () => {
  it('is an errored cell per strategy with nothing measured', () => {
    const [cell] = failedUnitCells({ ...unit, backend: 'wasm', device: 'none' }, scenario, ['retain-graph'], 'backend did not start');
    expect(cell).toMatchObject({ status: 'errored', error: 'backend did not start', timing: null, flops: null, order: 'simultaneous', backend: 'wasm' });
  });
});

describe("a cell's message from outside", () => {
  it('shows control bytes (an escape sequence, a carriage return, NUL) as \\xNN, keeping line breaks and tabs', () => {
    const [cell] = failedUnitCells(unit, scenario, ['retain-graph'], 'RuntimeError: \x1b[31mred\x1b[0m\rover\x00written\n\tat line 2');
    expect(cell!.error).toBe('RuntimeError: \\x1b[31mred\\x1b[0m\\x0dover\\x00written\n\tat line 2');
    const [stray] = failUnits(makeCells({ unit, scenario, strategies: [reference], deviceMemory: { bytes: null, isEstimate: null } }), [{ unit: unitKeyId(unit), message: 'x\x07y' }]);
    expect(stray!.error).toBe('x\\x07y');
  });
});

describe('failUnits', () => {
  it("marks the failed unit's cells errored, after their own error, and leaves every other unit's alone", () => {
    const cells = makeCells({ unit, scenario, strategies: [reference, measured()], deviceMemory: { bytes: null, isEstimate: null } });
    const other = makeCells({ unit: { ...unit, backend: 'wasm' }, scenario, strategies: [reference], deviceMemory: { bytes: null, isEstimate: null } });
    const failed = failUnits([...cells, ...other], [{ unit: unitKeyId(unit), message: 'tiny.ts threw' }]);
    expect(failed.map(({ backend, status, error, timing }) => ({ backend, status, error, timing }))).toEqual([
      { backend: 'cpu', status: 'errored', error: 'tiny.ts threw', timing: null },
      { backend: 'cpu', status: 'errored', error: 'tiny.ts threw', timing: null },
      { backend: 'wasm', status: 'ok', error: null, timing: other[0]!.timing },
    ]);
  });
});
