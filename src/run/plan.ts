/**
 * The one planner: from the loaded scenarios and the command line's overrides to the units a run measures, in the
 * order it measures them. A unit is one scenario on one backend (as resolved: `auto` is already a backend here) at
 * one world size, with its strategies, its reference strategy and, above world size 1, gan_ddp's distributed-only
 * forms. `bench` checks its input, covers its baseline and names its output folder from the plan; the runner and
 * `quality` run what it returns. Pure: what `auto` and each framework's version are on this machine is handed in
 * (resolve.ts finds them).
 */
import type { BackendId, ConcreteBackendId } from '../backends/index.js';
import { shardCells, type Shard } from '../compare/shard.js';
import { frameworkOf, KEY_DEFAULTS, type CompileMode, type Precision, type Regularizer, type UnitKey } from '../results/key.js';
import { regularizerProblems, withRegularizer } from '../scenario/regularizer.js';
import type { Scenario } from '../scenario/schema.js';
import type { SweepTag } from '../scenario/sweep.js';
import { worldSizeProblem } from '../scenario/world-size.js';
import { DISTRIBUTED_ONLY_STRATEGY_IDS, STRATEGY_IDS, type DistributedOnlyStrategyId, type StrategyId } from '../strategies/ids.js';
import { referenceStrategy } from '../strategies/reference.js';

/** A scenario as loaded from its file. */
export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  /** The sweep the scenario is a variant of (`loadScenarioFile`), recorded in its summary. */
  sweep?: SweepTag;
}

/** What the command line overrides in every scenario. */
export interface PlanOverrides {
  /** One backend, or several, on each of which every scenario is measured in turn; absent: each scenario's own. */
  backend?: BackendId | readonly BackendId[];
  /** The registry's strategies to run; absent: each scenario's own. */
  strategies?: readonly StrategyId[];
  /**
   * gan_ddp's distributed-only forms, measured after the registry's at a world size above 1 (never at 1). Absent:
   * all of them where `strategies` is absent too, none where `strategies` picks the registry's.
   */
  distributedOnly?: readonly DistributedOnlyStrategyId[];
  /** The data-parallel world size of every scenario; absent: each scenario's own. */
  worldSize?: number;
  /** Several machines: world size N units run on `count` nodes (N / count ranks each); this is node `rank`. */
  nodes?: NodesOverride;
  /** Runs only this share of the scenarios (a sweep's variants dealt one by one). */
  shard?: Shard | null;
  /** The pytorch backend once per interpreter (`--python`): each a framework version of the same cells. */
  pythons?: readonly string[];
  /** torch.compile modes (`--compile`); absent: eager. */
  compile?: readonly CompileMode[];
  /** Precisions (`--precision`); absent: fp32. */
  precision?: readonly Precision[];
  /** D's gradient penalties (`--regularizer`), each a unit of its own; absent: each scenario's own. */
  regularizer?: readonly Regularizer[];
}

/** `--nnodes`, `--node-rank`, `--rdzv-endpoint`: the world size is every node's ranks together. */
export interface NodesOverride {
  count: number;
  rank: number;
  endpoint: string;
}

/** What the plan needs to know of this machine. */
export interface PlanEnvironment {
  /** The backend `auto` starts here. */
  auto: ConcreteBackendId;
  /** The framework and version each backend runs here (`frameworkOf`): part of every cell's key. */
  frameworks: Partial<Record<ConcreteBackendId, string>>;
  /** The framework each `--python` interpreter runs (`torch 2.13.0`), by its path as given. */
  pythons?: Readonly<Record<string, string>>;
}

/** One scenario on one backend at one world size: what one session (or one launch of ranks) measures. */
export interface RunUnit extends UnitKey {
  /** Its place in `RunPlan.units`. */
  readonly index: number;
  readonly loaded: LoadedScenario;
  readonly backend: ConcreteBackendId;
  /** The pytorch backend's interpreter (`--python`); null: the one the backend finds. */
  readonly python: string | null;
  /** The registry's strategies it runs, in order. */
  readonly strategies: readonly StrategyId[];
  /** gan_ddp's distributed-only forms it runs after them (above world size 1 only). */
  readonly distributedOnly: readonly DistributedOnlyStrategyId[];
  /** The strategy its time ratios (and equivalence) are taken against. */
  readonly reference: StrategyId;
  /** Above world size 1: the unit (index) at world size 1 whose cells lend this one their passes, FLOPs and memory. */
  readonly countsFrom: number | null;
  /** Above world size 1 on several nodes: this node's rank and node 0's rendezvous endpoint. */
  readonly rendezvous?: { nodeRank: number; endpoint: string } | null;
}

export interface RunPlan {
  /** The scenarios this run (this shard) measures, in order. */
  scenarios: LoadedScenario[];
  /** Every unit, scenario by scenario, backend by backend, world size 1 before world size N. */
  units: RunUnit[];
  /** The registry's strategies of the whole run (of the whole sweep where a shard is empty), each once. */
  strategies: StrategyId[];
  /** The reference of every time ratio: the post's strategy 1 where it runs. */
  reference: StrategyId;
  /** The backends as the command line gave them, for the results' settings. */
  backendSetting: string;
  shard: Shard | null;
}

/** A plan that cannot be run as asked; the message names the flag (or the scenario file) at fault. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The backends a scenario is measured on, in order: the override (one or several) or the scenario's own. */
export function backendsOf(scenario: Scenario, override: PlanOverrides['backend']): BackendId[] {
  if (override === undefined) return [scenario.backend];
  return typeof override === 'string' ? [override] : [...override];
}

/** The registry's strategies of these scenarios under the override, in order, each once. */
function strategiesOf(scenarios: readonly LoadedScenario[], override: readonly StrategyId[] | undefined): StrategyId[] {
  return [...new Set(override ?? scenarios.flatMap(({ scenario }) => scenario.strategies))];
}

/** The run's units; throws a PlanError for overrides the scenarios cannot take. */
export function planRun(all: readonly LoadedScenario[], overrides: PlanOverrides, environment: PlanEnvironment): RunPlan {
  const distributedOnlyOverride = overrides.distributedOnly ?? [];
  if (distributedOnlyOverride.length > 0) {
    const single = all.find(({ scenario }) => (overrides.worldSize ?? scenario.worldSize) <= 1);
    if (single) {
      throw new PlanError(
        `--strategies: ${distributedOnlyOverride.join(', ')} ${distributedOnlyOverride.length > 1 ? 'run' : 'runs'} at a world size above 1 only ` +
          `(gan_ddp's distributed-only forms, no tfjs form): add --world-size 2 or more (${single.file} runs at world size 1)`,
      );
    }
    // World size 1 runs the registry's strategies first; with none of them the run would have nothing to stand beside.
    if (overrides.strategies?.length === 0) {
      throw new PlanError(`--strategies: names only distributed-only strategies; name one of ${STRATEGY_IDS.join(', ')} beside them`);
    }
  }
  const nodes = overrides.nodes;
  if (nodes && nodes.count > 1) {
    for (const { scenario, file } of all) {
      const worldSize = overrides.worldSize ?? scenario.worldSize;
      if (worldSize < nodes.count || worldSize % nodes.count !== 0) {
        throw new PlanError(`--nnodes: ${nodes.count} nodes cannot share world size ${worldSize} (--world-size is every node's ranks together, a multiple of --nnodes), in ${file}`);
      }
    }
  }
  for (const kind of overrides.regularizer ?? []) {
    for (const { scenario, file } of all) {
      const [problem] = regularizerProblems(scenario, kind);
      if (problem) throw new PlanError(`--regularizer ${kind}: ${problem.path.join('.')} ${problem.message}, in ${file}`);
    }
  }
  const shard = overrides.shard ?? null;
  const scenarios = shard ? shardCells(all, ({ scenario }) => scenario.name, shard.index, shard.count) : [...all];
  if (overrides.worldSize !== undefined) {
    for (const { scenario, file } of scenarios) {
      const problem = worldSizeProblem(scenario.batchSize, overrides.worldSize);
      if (problem) throw new PlanError(`--world-size: ${problem}, in ${file} (scenario ${scenario.name})`);
    }
  }
  // An empty shard records the strategies (and so the reference) of the whole sweep.
  const strategies = strategiesOf(scenarios.length > 0 ? scenarios : all, overrides.strategies);
  const distributedOnly = overrides.distributedOnly ?? (overrides.strategies ? [] : DISTRIBUTED_ONLY_STRATEGY_IDS);
  const units: RunUnit[] = [];
  for (const loaded of scenarios) {
    const { scenario } = loaded;
    const ids = [...(overrides.strategies ?? scenario.strategies)];
    const worldSize = overrides.worldSize ?? scenario.worldSize;
    for (const requested of backendsOf(scenario, overrides.backend)) {
      const backend = requested === 'auto' ? environment.auto : requested;
      // Each interpreter is a framework version of the pytorch backend's cells; the tfjs backends have one.
      const pythons: (string | null)[] = backend === 'pytorch' && overrides.pythons?.length ? [...overrides.pythons] : [null];
      for (const python of pythons) {
        for (const compile of overrides.compile ?? [KEY_DEFAULTS.compile]) {
          for (const precision of overrides.precision ?? [KEY_DEFAULTS.precision]) {
            for (const regularizer of overrides.regularizer ?? [scenario.regularizer.kind]) {
              const base = {
                scenario: scenario.name,
                loaded,
                backend,
                python,
                strategies: ids,
                reference: referenceStrategy(ids, regularizer),
                nodes: KEY_DEFAULTS.nodes,
                framework: (python === null ? environment.frameworks[backend] : environment.pythons?.[python]) ?? frameworkOf(backend, {}),
                compile,
                precision,
                regularizer,
              } as const;
              const single: RunUnit = { ...base, index: units.length, worldSize: 1, distributedOnly: [], countsFrom: null };
              units.push(single);
              const placed = nodes && nodes.count > 1 ? { nodes: nodes.count, rendezvous: { nodeRank: nodes.rank, endpoint: nodes.endpoint } } : {};
              if (worldSize > 1) units.push({ ...base, ...placed, index: units.length, worldSize, distributedOnly: [...distributedOnly], countsFrom: single.index });
            }
          }
        }
      }
    }
  }
  return {
    scenarios,
    units,
    strategies,
    reference: referenceStrategy(strategies),
    backendSetting: overrides.backend === undefined ? 'per scenario' : [overrides.backend].flat().join(','),
    shard,
  };
}

/**
 * The scenario a unit's session runs: its scenario with the unit's regularizer (the override, where one was given;
 * gamma, every and nCritic stay the scenario's). Every session reads the regularizer from here, so the tfjs step
 * context and the PyTorch worker see the same one.
 */
export function unitScenario(unit: Pick<RunUnit, 'regularizer'> & { loaded: Pick<LoadedScenario, 'scenario'> }): Scenario {
  return withRegularizer(unit.loaded.scenario, unit.regularizer);
}

/** The units of one scenario of the plan, in order. */
export function unitsOf(plan: Pick<RunPlan, 'units'>, loaded: LoadedScenario): RunUnit[] {
  return plan.units.filter((unit) => unit.loaded === loaded);
}
