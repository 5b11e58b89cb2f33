/** Hand-made results for the report tests: a small scenario and four cells whose counts match the strategies. */
import type { DistributedOnlyStrategyId, StrategyId } from '../../src/strategies/ids.js';
import { failedUnitCells, type UnitIdentity } from '../../src/results/make.js';
import type { CellStrategyId } from '../../src/strategies/ids.js';
import type { CellResult, RunResults, ScenarioSummary, TimingStats } from '../../src/types.js';
import { asCellState, type FlatCell } from '../helpers/cell-state.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';

/** G 8 → 16 → 32 has 688 parameters, D 32 → 16 → 1 has 545; MACs per sample G 640, D 528. */
export function makeScenario(overrides: Partial<ScenarioSummary> = {}): ScenarioSummary {
  return {
    name: 'tiny',
    description: 'A tiny MLP GAN for tests.',
    file: 'scenarios/tiny.ts',
    batchSize: 4,
    generatorWidths: [8, 16, 32],
    discriminatorWidths: [32, 16, 1],
    generatorParameters: 688,
    discriminatorParameters: 545,
    generatorMacsPerSample: 640,
    discriminatorMacsPerSample: 528,
    strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
    ...overrides,
  };
}

/** Timing with this mean and margin of error; the other statistics follow from the mean. */
export function makeTiming(meanMs: number, rmePct = 1, samples = 20): TimingStats {
  return {
    samples,
    meanMs,
    p50Ms: meanMs,
    p99Ms: meanMs * 1.5,
    minMs: meanMs * 0.9,
    maxMs: meanMs * 1.6,
    sdMs: meanMs * 0.02,
    rmePct,
    samplesMs: Array.from({ length: samples }, () => meanMs),
  };
}

const defaults: Partial<Record<StrategyId, FlatCell>> = {
  'retain-graph': {
    timing: makeTiming(1.4),
    timeRatio: 1.4 / 0.9,
    flops: 120_000,
    flopsPredicted: 120_000,
    kernels: 40,
    dispatches: null,
    generatorForwards: 1,
    discriminatorForwards: 2,
    generatorBackwards: 2,
    discriminatorBackwards: 3,
    backwardCalls: 2,
    wastedGradientElements: 688 + 545,
    peakBytes: 40_960,
    retainedBytes: 8_192,
    order: 'simultaneous',
    equivalence: 'identical',
    maxParamDiff: 0,
  },
  'detach-d-first': {
    timing: makeTiming(1.2),
    timeRatio: 1.2 / 0.9,
    flops: 115_000,
    flopsPredicted: 115_000,
    kernels: 44,
    dispatches: null,
    generatorForwards: 1,
    discriminatorForwards: 3,
    generatorBackwards: 1,
    discriminatorBackwards: 3,
    backwardCalls: 2,
    wastedGradientElements: 545,
    peakBytes: 36_864,
    retainedBytes: 2_048,
    order: 'alternating-d-first',
    equivalence: 'different',
    maxParamDiff: 0.0123,
  },
  'g-first': {
    timing: makeTiming(1.0),
    timeRatio: 1.0 / 0.9,
    flops: 110_000,
    flopsPredicted: 110_000,
    kernels: 42,
    dispatches: null,
    generatorForwards: 1,
    discriminatorForwards: 3,
    generatorBackwards: 1,
    discriminatorBackwards: 3,
    backwardCalls: 2,
    wastedGradientElements: 545,
    peakBytes: 32_768,
    retainedBytes: 0,
    order: 'simultaneous',
    equivalence: 'within-tolerance',
    maxParamDiff: 3.1e-8,
  },
  'single-forward': {
    timing: makeTiming(0.9),
    timeRatio: 1,
    flops: 90_000,
    flopsPredicted: 90_000,
    kernels: 36,
    dispatches: null,
    generatorForwards: 1,
    discriminatorForwards: 2,
    generatorBackwards: 1,
    discriminatorBackwards: 2,
    backwardCalls: 2,
    wastedGradientElements: 0,
    peakBytes: 30_720,
    retainedBytes: 0,
    order: 'simultaneous',
    equivalence: 'reference',
    maxParamDiff: 0,
  },
};

/**
 * An ok cell of the tiny scenario on cpu, with the strategy's usual counts, overridden as given (a `status` makes
 * it that state: a stopped cell has no timing).
 */
export function makeCell(strategy: StrategyId, overrides: FlatCell = {}): CellResult {
  return asCellState({
    ...makeErroredCell(strategy, ''),
    status: 'ok',
    error: null,
    leakedTensors: 0,
    ...defaults[strategy],
    ...overrides,
  });
}

/** A cell that failed: status, message, and no measurements. */
export function makeErroredCell(strategy: StrategyId, error: string, overrides: FlatCell = {}): CellResult {
  return asCellState({
    ...erroredCell('cpu', 'cpu (JavaScript)', strategy, error),
    equivalentTo: 'single-forward',
    ...overrides,
  });
}

/**
 * A gan_ddp distributed-only cell at world size 2 (no world size 1 cell): measured, 2 all-reduces of 120 bytes,
 * equal to world size 1, its passes, FLOPs and memory null as the harness writes them.
 */
export function makeDistributedOnlyCell(strategy: DistributedOnlyStrategyId, overrides: FlatCell = {}): CellResult {
  return asCellState({
    ...erroredCell('pytorch', 'world size 2 (gloo)', strategy, ''),
    status: 'ok',
    error: 'distributed-only (gan_ddp): passes, FLOPs and memory not observed',
    timing: makeTiming(7),
    equivalentTo: strategy,
    equivalence: 'identical',
    maxParamDiff: 0,
    worldSize: 2,
    allreduceCalls: 2,
    allreduceBytes: 120,
    commMs: 3,
    distributedVerdicts: { G: 'equal', D: 'equal' },
    ...overrides,
  });
}

/** The four strategies' cells, each overridable by strategy. */
export function makeCells(overrides: Partial<Record<StrategyId, FlatCell>> = {}): CellResult[] {
  const ids: StrategyId[] = ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'];
  return ids.map((id) => makeCell(id, overrides[id]));
}

/** A run of the tiny scenario on cpu. */
export function makeRun(overrides: Partial<RunResults> = {}): RunResults {
  return {
    schemaVersion: 1,
    tool: { name: 'gan-update-bench', version: '0.1.0' },
    createdAt: '2025-01-02T03:04:05.000Z',
    versions: { tfjs: '4.22.0' },
    machine: {
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'Test CPU',
      cpus: 8,
      memoryBytes: 16 * 1024 ** 3,
      node: 'v20.20.2',
    },
    settings: {
      backend: 'cpu',
      strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
      referenceStrategy: 'single-forward',
      shard: null,
    },
    harnessOverheadPct: 0.8,
    scenarios: [makeScenario()],
    cells: makeCells(),
    ...overrides,
  };
}

/** The tiny scenario's errored cell of `strategy` on `backend` (made as the harness makes them). */
function erroredCell(backend: UnitIdentity['backend'], device: string, strategy: CellStrategyId, error: string): CellResult {
  const framework = backend === 'pytorch' ? 'torch 1.13.0' : 'tfjs 4.22.0';
  const unit: UnitIdentity = { scenario: 'tiny', backend, worldSize: 1, nodes: 1, framework, compile: 'eager', precision: 'fp32', regularizer: 'none', device, batchSize: 4, reference: 'retain-graph' };
  return failedUnitCells(unit, parseScenario(tiny, 'tiny.ts'), [strategy], error)[0]!;
}
