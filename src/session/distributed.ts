/**
 * A scenario's cells at world size N > 1 (issue 18). The pytorch backend's come from gan_ddp (src/backends/pytorch/
 * gan_ddp/): every strategy under torch.distributed, G and D each in its own DistributedDataParallel wrapper, each
 * rank on its shard of the global batch; counted (all-reduce calls and bytes per steady step), timed (the slowest
 * rank's step) and checked against world size 1 on the whole batch. A tfjs backend has no distributed engine: its
 * cells say so, and nothing is faked.
 *
 * gan_ddp does not observe passes, FLOPs or memory: a measured cell takes those from the same strategy's world size 1
 * cell of this run (the same step's code; FLOPs and bytes there are the whole batch's, not one rank's shard).
 * gan_ddp's distributed-only forms (`single-forward-inputs`, `stylegan2-ada`, `stylegan3-flat`) have no world size 1
 * cell: theirs are `CellDistributedOnly`, timed, counted and checked like the others, their passes, FLOPs and memory
 * null (never borrowed from another strategy).
 */
import type { ConcreteBackendId } from '../backends/backend.js';
import { findPython } from '../backends/pytorch/python.js';
import { messageOf } from '../errors.js';
import type { EquivalenceClass } from '../measure/equivalence.js';
import { mean, summarize } from '../measure/statistics.js';
import {
  cellIdentity,
  erroredCell,
  NOT_DISTRIBUTED,
  NOT_OBSERVED,
  type CellDistributedOnly,
  type CellOk,
  type CellResult,
  type DistributedFields,
  type DistributedVerdict,
} from '../results/cell.js';
import type { Scenario } from '../scenario/schema.js';
import { DISTRIBUTED_ONLY_STRATEGY_IDS, isDistributedOnly, type CellStrategyId, type DistributedOnlyStrategyId, type StrategyId } from '../strategies/ids.js';
import { launchRanks, type GanDdpCell, type LaunchOptions } from './distributed-launch.js';
import { BATCH_POOL } from './shared.js';

/** The one line a tfjs backend's cell says at world size N > 1. */
export const NO_DISTRIBUTED_ENGINE = 'tfjs has no distributed engine: world size > 1 runs on the pytorch backend only';

/**
 * gan_ddp's strategies that the TS registry does not know (no tfjs form): cells at world size N > 1 only, after the
 * registry's (src/strategies/ids.ts defines them, for the cells' types).
 */
export const DISTRIBUTED_ONLY_STRATEGIES = DISTRIBUTED_ONLY_STRATEGY_IDS;

export interface DistributedRunOptions {
  worldSize: number;
  /** gan_ddp's distributed-only forms to measure after the registry's strategies (none when absent). */
  distributedOnly?: readonly DistributedOnlyStrategyId[];
  /** The same strategies' world size 1 cells on this backend, from this run (their counts travel to world size N). */
  worldSize1: readonly CellResult[];
  /** Limits for the whole launch and for silence from every rank, seconds. */
  timeoutS?: number;
  silenceS?: number;
  /** Passed to the ranks as the job's `fault` (tests: a rank killed mid-step). */
  fault?: Record<string, unknown>;
  onPhase?: (phase: string) => void | Promise<void>;
  onSpawn?: LaunchOptions['onSpawn'];
}

export interface DistributedOutcome {
  cells: CellResult[];
  versions: Record<string, string>;
}

/** One scenario's cells at world size N on `backend`; never throws: a failure is the cells' error. */
export async function runDistributed(scenario: Scenario, backend: ConcreteBackendId, registryIds: readonly StrategyId[], options: DistributedRunOptions): Promise<DistributedOutcome> {
  const { worldSize } = options;
  const ids: CellStrategyId[] = [...registryIds, ...(options.distributedOnly ?? [])];
  const device = `world size ${worldSize}`;
  const failed = (message: string): DistributedOutcome => ({
    cells: ids.map((id) => withDistributed(erroredCell(scenario, backend, device, id, message), { worldSize })),
    versions: {},
  });
  if (backend !== 'pytorch') return failed(NO_DISTRIBUTED_ENGINE);
  let python: string;
  try {
    python = (await findPython()).command;
  } catch (error) {
    return failed(messageOf(error));
  }
  const job = {
    scenario,
    strategies: ids,
    // The pool the steps cycle through is the harness's (src/session/shared.ts), as the worker's setup is told.
    batchPool: BATCH_POOL,
    warmupSteps: scenario.measure.warmupSteps,
    steps: scenario.measure.minSamples,
    // The issue's check: one step from identical weights (later steps compound a network's difference into the other's).
    equivalenceSteps: 1,
    timeoutS: 60,
    threads: 1,
    device: 'auto',
    bucketCapMb: null,
    ...(options.fault ? { fault: options.fault } : {}),
  };
  await options.onPhase?.(`world size ${worldSize}: gan_ddp on ${worldSize} ranks`);
  const versions: Record<string, string> = {};
  let outcome;
  try {
    outcome = await launchRanks({
      python,
      worldSize,
      job,
      timeoutS: options.timeoutS ?? 600,
      silenceS: options.silenceS ?? 120,
      onSpawn: options.onSpawn,
      onEvent: (event) => {
        if (event.event === 'ready' && typeof event.backend === 'string') versions['torch.distributed'] = event.backend;
      },
    });
  } catch (error) {
    return failed(messageOf(error));
  }
  const ran = `world size ${worldSize} (${versions['torch.distributed'] ?? 'torch.distributed'})`;
  const cells = ids.map((id) => {
    const rank0 = outcome.results[id]?.[0];
    // What every rank finished is kept; the strategies after a failure carry the failure.
    if (!rank0) return withDistributed(erroredCell(scenario, backend, ran, id, outcome.error ?? 'gan_ddp returned no cell for it'), { worldSize });
    return cellOf(scenario, backend, ran, id, rank0, options.worldSize1.find((cell) => cell.strategy === id));
  });
  return { cells: withTimeRatios(cells, ids), versions };
}

function withDistributed<Cell extends CellResult>(cell: Cell, fields: DistributedFields): Cell {
  return { ...cell, ...NOT_DISTRIBUTED, ...fields };
}

/** Per network, the verdict with the scenario's own optimizer and loss. */
export function networkVerdicts(equivalence: NonNullable<GanDdpCell['equivalence']>): { G: DistributedVerdict; D: DistributedVerdict } {
  return { G: equivalence.networks.G.verdict, D: equivalence.networks.D.verdict };
}

/** How a cell's update differs from world size 1's, in a line ("G's update is its shard's alone: ..."), or null; with the plain-SGD probe's verdict where it differs. */
export function verdictNote(worldSize: number, equivalence: NonNullable<GanDdpCell['equivalence']>): string | null {
  const { networks, sgdProbe, optimizer } = equivalence;
  const name = optimizer === 'sgd' ? 'SGD' : 'Adam';
  const parts = (['G', 'D'] as const).flatMap((network) => {
    const verdict = networks[network].verdict;
    const probe = sgdProbe?.[network];
    const diffs = `${name} ${networks[network].vsWorld1.toExponential(1)}${probe ? `, SGD probe ${probe.vsWorld1.toExponential(1)}` : ''} from world size 1`;
    if (verdict === 'shard-only') return [`${network}'s update is its rank's shard's alone (its gradient was not all-reduced; ${diffs})`];
    if (verdict === 'differs') return [`${network}'s update differs from world size 1's and from its shard's (${diffs})`];
    if (probe && probe.verdict !== 'equal') return [`${network}'s update equals world size 1's with ${name}, not with the plain-SGD probe (${probe.verdict}: the gradient's scale, which Adam's first step hides; ${diffs})`];
    return [];
  });
  return parts.length === 0 ? null : `at world size ${worldSize}, ${parts.join('; ')}`;
}

function cellOf(scenario: Scenario, backend: ConcreteBackendId, device: string, id: CellStrategyId, rank0: GanDdpCell, worldSize1: CellResult | undefined): CellResult {
  const worldSize = rank0.world_size;
  const stopped = (message: string, status: 'raised' | 'errored') => ({ ...withDistributed(erroredCell(scenario, backend, device, id, message), { worldSize }), status });
  if (rank0.status === 'raised' || !rank0.timing || !rank0.equivalence) {
    const error = rank0.error ? `${rank0.error.type}: ${rank0.error.message}` : 'gan_ddp reported no timing or equivalence';
    const disagree = rank0.ranks_agree === false ? ' (the ranks did not all have this outcome)' : '';
    return stopped(error + disagree, rank0.status === 'raised' ? 'raised' : 'errored');
  }
  const { timing, equivalence } = rank0;
  const distributed: Required<DistributedFields> = {
    worldSize,
    allreduceCalls: timing.steady.allreduce_calls,
    allreduceBytes: timing.steady.allreduce_bytes,
    commMs: timing.comm_ms.length > 0 ? mean(timing.comm_ms) : null,
    distributedVerdicts: networkVerdicts(equivalence),
  };
  const equivalenceClass: EquivalenceClass = !equivalence.equal ? 'different' : equivalence.maxParamDiff === 0 ? 'identical' : 'within-tolerance';
  const measured = {
    error: verdictNote(worldSize, equivalence),
    timing: { ...summarize(timing.step_ms), samplesMs: timing.step_ms },
    timeRatio: null,
    equivalentTo: id,
    maxParamDiff: equivalence.maxParamDiff,
    equivalence: equivalenceClass,
    maxRunningStatsDiff: null,
    deviceBytes: null,
    deviceBytesIsEstimate: null,
  };
  if (isDistributedOnly(id)) {
    // No world size 1 cell to take counts from: null, and the note says so.
    const note = 'distributed-only (gan_ddp): passes, FLOPs and memory not observed';
    const cell: CellDistributedOnly = {
      ...cellIdentity(scenario, backend, device, id),
      status: 'ok',
      ...NOT_OBSERVED,
      ...measured,
      strategy: id,
      error: measured.error ? `${measured.error}; ${note}` : note,
      ...distributed,
    };
    return cell;
  }
  if (worldSize1?.status !== 'ok') {
    const why = worldSize1 ? `its world size 1 cell is ${worldSize1.status}` : 'it has no world size 1 cell';
    return { ...stopped(`measured at world size ${worldSize}, but ${why}, whose step counts this cell needs`, 'errored'), ...distributed };
  }
  // Found by `id`, a registry strategy here: an ok cell of it is a CellOk.
  const cell: CellOk = { ...(worldSize1 as CellOk), device, ...measured, ...distributed };
  return cell;
}

/** Each measured cell's mean step time over the reference strategy's at the same world size. */
function withTimeRatios(cells: CellResult[], ids: readonly CellStrategyId[]): CellResult[] {
  const referenceId = ids.includes('retain-graph') ? 'retain-graph' : ids[0];
  const reference = cells.find((cell) => cell.strategy === referenceId);
  const referenceMs = reference?.status === 'ok' ? reference.timing.meanMs : null;
  return cells.map((cell) => (cell.status === 'ok' && referenceMs ? { ...cell, timeRatio: cell.timing.meanMs / referenceMs } : cell));
}
