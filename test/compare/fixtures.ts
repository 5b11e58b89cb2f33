/** Small RunResults builders for comparison tests, with a seeded generator for noisy step times. */
import { summarize } from '../../src/measure/statistics.js';
import type { CellResult, MachineInfo, RunResults } from '../../src/types.js';
import { isDistributedOnly, type StrategyId } from '../../src/strategies/ids.js';
import { asCellState, type FlatCell } from '../helpers/cell-state.js';

/** mulberry32: a tiny seeded uniform generator in [0, 1), so "random" samples are the same every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` normal draws (Box–Muller) with this mean and standard deviation. */
export function normalSamples(random: () => number, count: number, mean: number, sd: number): number[] {
  return Array.from({ length: count }, () => {
    const u1 = 1 - random();
    const u2 = random();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
}

export const LAPTOP: MachineInfo = {
  platform: 'linux',
  arch: 'x64',
  cpuModel: 'AMD EPYC 7B13',
  cpus: 2,
  memoryBytes: 8 * 2 ** 30,
  node: 'v20.19.0',
};

export type CellSpec = Omit<FlatCell, 'timing'> & {
  /** Step times; the timing stats are computed from them. */
  samplesMs?: number[];
};

/** A cpu, ok, retain-graph cell with plausible counts; `samplesMs` set its timing. */
export function makeCell(spec: CellSpec = {}): CellResult {
  const { samplesMs = [10, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10], ...overrides } = spec;
  const status = overrides.status ?? 'ok';
  return asCellState({
    scenario: 'tiny',
    backend: 'cpu',
    device: 'cpu (AMD EPYC 7B13, 2 cores)',
    strategy: 'retain-graph',
    batchSize: 16,
    status,
    error: null,
    timing: status === 'ok' ? { ...summarize(samplesMs), samplesMs } : null,
    timeRatio: null,
    flops: 1_000_000,
    flopsPredicted: 1_000_000,
    kernels: 42,
    dispatches: null,
    generatorForwards: 1,
    discriminatorForwards: 3,
    generatorBackwards: 1,
    discriminatorBackwards: 2,
    backwardCalls: 2,
    wastedGradientElements: 0,
    peakBytes: 65_536,
    retainedBytes: 4_096,
    leakedTensors: 0,
    deviceBytes: null,
    deviceBytesIsEstimate: null,
    order: 'simultaneous',
    equivalentTo: null,
    maxParamDiff: null,
    equivalence: null,
    ...overrides,
  });
}

export interface RunSpec {
  cells: CellResult[];
  machine?: Partial<MachineInfo>;
  referenceStrategy?: StrategyId;
  tfjs?: string;
}

/**
 * A run of these cells; each ok cell's `timeRatio` is filled in from the reference strategy's mean time
 * in the same scenario and backend, as the runner does.
 */
export function makeRun(spec: RunSpec): RunResults {
  const referenceStrategy = spec.referenceStrategy ?? 'retain-graph';
  const cells = spec.cells.map((cell) => {
    const reference = spec.cells.find(
      (other) => other.scenario === cell.scenario && other.backend === cell.backend && other.strategy === referenceStrategy,
    );
    const timeRatio =
      cell.timing && reference?.timing && reference.status === 'ok' ? cell.timing.meanMs / reference.timing.meanMs : null;
    return asCellState({ ...cell, timeRatio: cell.status === 'ok' ? timeRatio : null });
  });
  return {
    schemaVersion: 1,
    tool: { name: 'gan-update-bench', version: '0.1.0' },
    createdAt: '2025-01-01T00:00:00.000Z',
    versions: { tfjs: spec.tfjs ?? '4.22.0' },
    machine: { ...LAPTOP, ...spec.machine },
    settings: {
      backend: 'cpu',
      strategies: [...new Set(cells.flatMap((cell) => (isDistributedOnly(cell.strategy) ? [] : [cell.strategy])))],
      referenceStrategy,
      shard: null,
    },
    harnessOverheadPct: null,
    scenarios: [],
    cells,
  };
}
