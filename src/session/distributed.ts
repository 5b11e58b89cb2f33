/**
 * A unit's measurements at world size N > 1 (issue 18); src/results/make.ts makes its cells. The pytorch backend's come from gan_ddp (src/backends/pytorch/
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
import { classifyDifference, type EquivalenceClass } from '../measure/equivalence.js';
import { mean } from '../measure/statistics.js';
import type { DistributedFields, DistributedVerdict } from '../results/cell.js';
import { notMeasured, type StrategyMeasurement, type UnitMeasurements } from '../results/make.js';
import type { UnitKey } from '../results/key.js';
import type { Scenario } from '../scenario/schema.js';
import { withRegularizer, type Regularizer } from '../scenario/regularizer.js';
import { DISTRIBUTED_ONLY_STRATEGY_IDS, type CellStrategyId, type DistributedOnlyStrategyId, type StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import { judgeStep } from '../strategies/outcome.js';
import { launchRanks, type GanDdpCell, type GanDdpStepsByCount, type LaunchOptions } from '../backends/pytorch/launcher.js';
import { BATCH_POOL } from './shared.js';

/** The one line a tfjs backend's cell says at world size N > 1. */
export const NO_DISTRIBUTED_ENGINE = 'tfjs has no distributed engine: world size > 1 runs on the pytorch backend only';

/**
 * gan_ddp's strategies that the TS registry does not know (no tfjs form): cells at world size N > 1 only, after the
 * registry's (src/strategies/ids.ts defines them, for the cells' types).
 */
export const DISTRIBUTED_ONLY_STRATEGIES = DISTRIBUTED_ONLY_STRATEGY_IDS;

export interface DistributedRunOptions {
  /** Limits for the whole launch and for silence from every rank, seconds. */
  timeoutS?: number;
  silenceS?: number;
  /** How long the rendezvous waits for every node, seconds (on several nodes; 300 by default: node 0 measures world size 1 first). */
  rendezvousTimeoutS?: number;
  /** Passed to the ranks as the job's `fault` (tests: a rank killed mid-step). */
  fault?: Record<string, unknown>;
  onPhase?: (phase: string) => void | Promise<void>;
  onSpawn?: LaunchOptions['onSpawn'];
}

/** What a world size N unit of the plan (src/run/plan.ts's RunUnit) says to run. */
export interface DistributedUnit extends UnitKey {
  backend: ConcreteBackendId;
  /** The pytorch backend's interpreter (`--python`); null: the one the backend finds. */
  python: string | null;
  loaded: { scenario: Scenario };
  strategies: readonly StrategyId[];
  distributedOnly: readonly DistributedOnlyStrategyId[];
  reference: StrategyId;
  /** On several nodes (`nodes` > 1): this node's rank and node 0's rendezvous endpoint. */
  rendezvous?: { nodeRank: number; endpoint: string } | null;
}

export interface DistributedOutcome {
  measurements: UnitMeasurements;
  versions: Record<string, string>;
}

/** One unit at world size N, measured by gan_ddp's ranks; never throws: a failure is every strategy's error. */
export async function runDistributed(unit: DistributedUnit, options: DistributedRunOptions = {}): Promise<DistributedOutcome> {
  const { worldSize } = unit;
  // The unit's regularizer resolved into its scenario, as the world size 1 session gets it: the ranks build the
  // worker's GAN from it and run its penalty through the worker's hooks.
  const scenario = withRegularizer(unit.loaded.scenario, unit.regularizer);
  const ids: CellStrategyId[] = [...unit.strategies, ...unit.distributedOnly];
  const measurementsOf = (device: string, strategies: StrategyMeasurement[]): UnitMeasurements => ({
    unit: { ...unitKeyOf(unit), device, batchSize: scenario.batchSize, reference: unit.reference },
    scenario,
    strategies,
    deviceMemory: { bytes: null, isEstimate: null },
  });
  const failed = (message: string, device = `world size ${worldSize}`): DistributedOutcome => ({
    measurements: measurementsOf(device, ids.map((id) => ({ ...notMeasured(id), error: message }))),
    versions: {},
  });
  if (unit.backend !== 'pytorch') return failed(NO_DISTRIBUTED_ENGINE);
  if (unit.compile !== 'eager' || unit.precision !== 'fp32') {
    return failed(`compile ${unit.compile}, precision ${unit.precision}: not yet measured at a world size above 1 (gan_ddp runs eager fp32)`);
  }
  let python: string;
  try {
    // The unit's interpreter (--python), as its world size 1 cells ran on: a version's cells are that version's throughout.
    python = unit.python ?? (await findPython()).command;
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
  const nodes = unit.nodes > 1 && unit.rendezvous ? { count: unit.nodes, rank: unit.rendezvous.nodeRank, endpoint: unit.rendezvous.endpoint } : undefined;
  const where = nodes ? ` on ${nodes.count} nodes (this is node ${nodes.rank}, rendezvous ${nodes.endpoint})` : '';
  await options.onPhase?.(`world size ${worldSize}: gan_ddp on ${worldSize} ranks${where}`);
  const versions: Record<string, string> = {};
  let outcome;
  try {
    outcome = await launchRanks({
      python,
      worldSize,
      nodes,
      rendezvousTimeoutS: options.rendezvousTimeoutS ?? (nodes ? 300 : 60),
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
  // What every rank finished is kept; the strategies after a failure carry the failure.
  const strategies = ids.map((id) => {
    const rank0 = outcome.results[id]?.[0];
    return rank0 ? measurementOf(id, rank0, unit.regularizer) : { ...notMeasured(id), error: outcome.error ?? 'gan_ddp returned no cell for it' };
  });
  return { measurements: measurementsOf(ran, strategies), versions };
}

/** The key of a unit without its strategy, as its cells carry it. */
function unitKeyOf(unit: DistributedUnit): UnitKey & { backend: ConcreteBackendId } {
  const { scenario, backend, worldSize, nodes, framework, compile, precision, regularizer } = unit;
  return { scenario, backend, worldSize, nodes, framework, compile, precision, regularizer };
}

const VERDICT_RANK: Record<DistributedVerdict, number> = { equal: 0, 'shard-only': 1, differs: 2 };

/**
 * Per network, the verdict with the scenario's own optimizer and loss, or the plain-SGD probe's where that is worse:
 * Adam's first step sees only a gradient's sign, so a gradient never all-reduced can leave Adam's update equal to
 * world size 1's (the cell's note says which saw it); the column must not call such a network equal.
 */
export function networkVerdicts(equivalence: NonNullable<GanDdpCell['equivalence']>): { G: DistributedVerdict; D: DistributedVerdict } {
  const worse = (network: 'G' | 'D') => {
    const own = equivalence.networks[network].verdict;
    const probe = equivalence.sgdProbe?.[network].verdict ?? own;
    return VERDICT_RANK[probe] > VERDICT_RANK[own] ? probe : own;
  };
  return { G: worse('G'), D: worse('D') };
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

/**
 * Where the timed steps' all-reduces were not all the same (lazy R1: its phase is a backward of its own, which DDP
 * all-reduces): each count with its steps, the phase's named; null where every step counted the same. The cell's
 * all-reduce columns are the last timed step's.
 */
export function countsNote(groups: GanDdpStepsByCount[] | undefined): string | null {
  if (!groups || groups.length < 2) return null;
  const described = groups.map(
    (group) =>
      `${group.allreduce_calls} (${group.allreduce_bytes} bytes) on ${group.steps} step${group.steps === 1 ? '' : 's'}${group.lazy_phase ? " with lazy R1's phase" : ''}`,
  );
  return `all-reduces per timed step: ${described.join(', ')}; the cell's counts are the last timed step's`;
}

/** What rank 0 reported of one strategy (every rank's outcome agreed, or the note says not), as a measurement. */
function measurementOf(id: CellStrategyId, rank0: GanDdpCell, regularizer: Regularizer): StrategyMeasurement {
  const worldSize = rank0.world_size;
  if (rank0.status !== 'ok' || !rank0.timing || !rank0.equivalence) {
    // `refused`: the regularizer's refusal of a strategy that does not fit it, the cell's one line as at world size 1
    // (an error, not PyTorch raising).
    const error = rank0.error ? `${rank0.error.type}: ${rank0.error.message}` : 'gan_ddp reported no timing or equivalence';
    const disagree = rank0.ranks_agree === false ? ' (the ranks did not all have this outcome)' : '';
    // The post's code as printed must raise PyTorch's own error, and under a regularizer be refused: judged as at
    // world size 1, by the same function. Other strategies' errors under DDP stay what PyTorch raised.
    const printed = id in strategies ? strategies[id as StrategyId] : undefined;
    if (rank0.status === 'raised' && printed?.raises) {
      const judged = judgeStep(printed, error, regularizer);
      return { ...notMeasured(id), error: judged.error + disagree, raised: judged.status === 'raised', refused: judged.status === 'refused' };
    }
    return { ...notMeasured(id), error: error + disagree, raised: rank0.status === 'raised', refused: rank0.status === 'refused' };
  }
  const { timing, equivalence } = rank0;
  const distributed: Required<DistributedFields> = {
    allreduceCalls: timing.steady.allreduce_calls,
    allreduceBytes: timing.steady.allreduce_bytes,
    commMs: timing.comm_ms.length > 0 ? mean(timing.comm_ms) : null,
    distributedVerdicts: networkVerdicts(equivalence),
    bufferBroadcast: rank0.batch_norm ? rank0.batch_norm.broadcastBuffers : null,
  };
  // D's running statistics against world size 1's, where D has BatchNorm (the world size 1 cells' column, against their reference).
  const runningStats = rank0.batch_norm?.runningStats?.D?.vsWorld1 ?? null;
  const equivalenceClass: EquivalenceClass = !equivalence.equal ? 'different' : classifyDifference(equivalence.maxParamDiff, Infinity);
  return {
    ...notMeasured(id),
    samplesMs: timing.step_ms,
    note: [verdictNote(worldSize, equivalence), countsNote(timing.steps_by_count)].filter(Boolean).join('; ') || null,
    // Against world size 1 on the whole batch: the same strategy (a distributed-only form's own id).
    equivalence: { strategy: id as StrategyId, reference: id as StrategyId, maxParamDiff: equivalence.maxParamDiff, equivalence: equivalenceClass, maxRunningStatsDiff: runningStats },
    distributed,
  };
}
