/**
 * `npm run bench -- <scenario files...>`: the thin command line over runBenchmark. Before the first step it
 * loads every scenario, reads the baseline and checks that the run can be compared with it, and creates and
 * probes every output path; then it runs, printing progress and writing the whole results folder (atomically)
 * after every backend of every scenario; it sets the exit code (see EXIT in exit.ts).
 */
import { BACKEND_IDS, type BackendId } from '../backends/index.js';
import { compareAndRender } from '../compare/api.js';
import type { CompareOptions } from '../compare/comparison.js';
import { cellsOutsidePlan } from '../compare/coverage.js';
import { parseShard, type Shard } from '../compare/shard.js';
import { describeKey } from '../results/key.js';
import { readRunResults, ResultsFileError } from '../results/read.js';
import { runOtherNode } from '../run/other-node.js';
import { PlanError, type LoadedScenario, type NodesOverride, type RunPlan } from '../run/plan.js';
import { resolvePlan } from '../run/resolve.js';
import { runBenchmark } from '../run/runner.js';
import { loadScenarioFile, ScenarioError } from '../scenario/load.js';
import { checkScenarioFilesLoad } from '../scenario/load-check.js';
import { DISTRIBUTED_ONLY_STRATEGY_IDS, type DistributedOnlyStrategyId } from '../strategies/ids.js';
import { STRATEGY_IDS, type StrategyId } from '../strategies/index.js';
import type { RunResults } from '../types.js';
import { parseBackendList } from './backend-list.js';
import { COMPARE_FLAGS, compareOptionsOf } from './compare-flags.js';
import { EXIT, isFailedStatus, isMain, messageOf, runCommand, UsageError } from './exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec } from './flags.js';
import { defaultOutputDir, RESULT_FORMATS, writeRun, type ResultFormat } from './output.js';
import { parseChoiceList, parsePathList } from './choice-list.js';
import { COMPILE_MODES, PRECISIONS, REGULARIZERS, type CompileMode, type Precision, type Regularizer } from '../results/key.js';
import { resolveInput } from './paths.js';
import { openResultsFolder } from './results-folder.js';
import { checkPytorchEnvironment } from './environment.js';
import { createProgress } from './progress.js';
import { failUnits } from '../results/make.js';
import { ScenarioErrorWatch } from './stray-errors.js';
import { parseBenchStrategyList } from './strategy-list.js';
import { writeFileAtomically } from './write-atomic.js';

export const BENCH_FLAGS = {
  backend: {
    argument: 'list',
    description:
      `one of ${BACKEND_IDS.join(' | ')},\n` +
      'or several (not auto), comma-separated, each at most once: every scenario is\n' +
      "measured on each in turn (default: each scenario's own, auto unless it says)",
  },
  strategies: { argument: 'list', description: `comma-separated, each at most once, of ${STRATEGY_IDS.join(',')},\nand at --world-size > 1 ${DISTRIBUTED_ONLY_STRATEGY_IDS.join(',')} (gan_ddp's; default: each scenario's own,\nall unless it says, and at world size > 1 these three)` },
  'world-size': {
    argument: 'n',
    description:
      "data-parallel ranks (default: each scenario's own, 1 unless it says): above 1, pytorch also runs every\n" +
      "strategy under torch.distributed on n ranks (gloo on CPU, NCCL on CUDA), each on its shard of the batch\n" +
      'size (the global batch, which n must divide); a tfjs backend\'s cells then say it has no distributed engine',
  },
  python: {
    argument: 'paths',
    description:
      "the pytorch backend's interpreters, comma-separated: the backend is measured once per\n" +
      'interpreter into the same results, each a framework version of its cells (default: the one the\n' +
      'backend finds: GAN_BENCH_PYTHON, the project\'s .venv, then PATH)',
  },
  compile: { argument: 'modes', description: `torch.compile, comma-separated, of ${COMPILE_MODES.join(', ')}: each a cell of its own\n(default: eager; a tfjs backend's cells say it has none)` },
  regularizer: { argument: 'list', description: `D's gradient penalty, comma-separated, of ${REGULARIZERS.join(', ')}: each a cell of its own\n(default: each scenario's own, none unless it says; gamma, every and nCritic stay the scenario's)` },
  precision: { argument: 'list', description: `comma-separated, of ${PRECISIONS.join(', ')}: each a cell of its own (default: fp32;\nmixed precision runs on pytorch only)` },
  format: { argument: 'list', description: `extra result files, comma-separated, of ${RESULT_FORMATS.join(', ')} (its\ncustomSmallerIsBetter JSON: docs/commands.md)` },
  nnodes: { argument: 'k', description: 'run --world-size N on k machines, N/k ranks each (--world-size counts all of them); with\n--node-rank and --rdzv-endpoint (docs/distributed.md)' },
  'node-rank': { argument: 'i', description: "this machine's place, 0 to k-1: 0 measures world size 1, hosts the rendezvous and writes\nthe results; every other node runs the same command with its own --node-rank" },
  'rdzv-endpoint': { argument: 'host:port', description: "node 0's address and a free port, the same on every node (torchrun's c10d rendezvous)" },
  out: { argument: 'dir', description: 'results folder (default: results/<scenarios>-<timestamp>)' },
  shard: { argument: 'i/n', description: "run only shard i of n of the scenarios, a sweep's variants dealt one by one\n(a CI matrix; merge with npm run report); an empty shard writes an empty result" },
  baseline: { argument: 'path', description: 'compare with a saved run (a folder or its results.json) at the end;\nchecked before anything is measured' },
  summary: { argument: 'file', description: "with --baseline: also write the comparison's markdown to this file" },
  ...COMPARE_FLAGS,
  ...HELP_FLAG,
} as const;

export const BENCH_COMMAND: CommandSpec<typeof BENCH_FLAGS> = {
  usage: 'npm run bench -- <scenario.ts...>',
  summary: [
    'Trains each update strategy of each scenario and measures time per step, FLOPs, forward and backward',
    'passes, peak tensor memory and leaks; writes results.csv, results.json, report.md and charts after every',
    'backend of every scenario. The comparison flags (--threshold ... --allow-missing) apply with --baseline, as in',
    'npm run compare. A sweep file (defineSweep) runs as its variants, one scenario each; the report maps where',
    'retain-graph overtakes g-first along it (docs/crossover.md).',
  ].join('\n'),
  flags: BENCH_FLAGS,
  failure:
    'a cell errored or diverged (its row says why; the rest was measured and written), or the comparison\n' +
    'with --baseline failed; a printed strategy that raised, or a cell the regularizer refused (it has no\n' +
    'form of that strategy), is not a failure',
  examples: [
    'npm run bench -- scenarios/small-d.ts',
    'npm run bench -- scenarios/*.ts --backend wasm --strategies retain-graph,g-first',
    'npm run bench -- scenarios/balanced.ts --backend wasm,pytorch',
    'npm run bench -- scenarios/ci/small-d.ts --backend pytorch --world-size 2',
    'npm run bench -- scenarios/ci/small-d.ts --backend pytorch --compile eager,step --precision fp32,bf16',
    'npm run bench -- scenarios/balanced.ts --backend wasm,pytorch --regularizer none,r1,r1-lazy,wgan-gp',
    'npm run bench -- scenarios/ci/small-d.ts --backend pytorch --python /usr/bin/python3,.venv/bin/python',
    'npm run bench -- scenarios/ci/*.ts --backend cpu --format github-action-benchmark',
    'npm run bench -- scenarios/ci/small-d.ts --backend pytorch --world-size 2 --nnodes 2 --node-rank 0 --rdzv-endpoint node0:29400',
    'npm run bench -- scenarios/crossover.ts --shard 1/2',
    'npm run bench -- scenarios/balanced.ts --baseline results/baseline --summary comparison.md',
    'npm run bench -- scenarios/ci/*.ts --backend cpu,pytorch --baseline results/baseline --mode ratio --metric-threshold timeRatio=50%',
  ],
};

export interface BenchArgs {
  files: string[];
  /** The backends every scenario is measured on, in this order; undefined: each scenario's own. */
  backends?: BackendId[];
  strategies?: StrategyId[];
  /** gan_ddp's distributed-only forms --strategies names (cells at world size > 1 only); undefined without --strategies. */
  distributedOnly?: DistributedOnlyStrategyId[];
  /** Data-parallel ranks for every scenario; undefined: each scenario's own. */
  worldSize?: number;
  pythons?: string[];
  compile?: CompileMode[];
  precision?: Precision[];
  regularizer?: Regularizer[];
  formats: ResultFormat[];
  /** Several machines (--nnodes, --node-rank, --rdzv-endpoint); undefined: one. */
  nodes?: NodesOverride;
  out?: string;
  shard: Shard | null;
  baseline?: string;
  summary?: string;
  compare: CompareOptions;
  help: boolean;
}

/** `--flag: message`, as a UsageError, for a value its parser rejected. */
function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = messageOf(error);
    throw new UsageError(message.startsWith(`--${flag}`) ? message : `--${flag}: ${message}`, { cause: error });
  }
}

/** Parses and checks argv; every error is a UsageError naming the flag or value at fault. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values, positionals } = parseFlags(BENCH_FLAGS, argv);
  for (const flag of ['summary', 'threshold', 'metric-threshold', 'alpha', 'mode', 'allow-missing'] as const) {
    if (values[flag] !== undefined && !values.baseline) throw new UsageError(`--${flag} needs --baseline`);
  }
  const strategyList = values.strategies === undefined ? undefined : parseBenchStrategyList(values.strategies);
  return {
    files: positionals,
    backends: values.backend === undefined ? undefined : parseBackendList(values.backend),
    strategies: strategyList?.registry,
    distributedOnly: strategyList?.distributedOnly,
    worldSize: values['world-size'] === undefined ? undefined : flagValue('world-size', () => parseWorldSize(values['world-size']!)),
    // A path (not a bare command found on PATH) is taken where the user meant it, and absolute: the ranks start elsewhere.
    pythons: values.python === undefined ? undefined : parsePathList(values.python, '--python').map((python) => (python.includes('/') ? resolveInput(python, '--python') : python)),
    compile: values.compile === undefined ? undefined : parseChoiceList(values.compile, '--compile', COMPILE_MODES),
    precision: values.precision === undefined ? undefined : parseChoiceList(values.precision, '--precision', PRECISIONS),
    regularizer: values.regularizer === undefined ? undefined : parseChoiceList(values.regularizer, '--regularizer', REGULARIZERS),
    formats: values.format === undefined ? [] : parseChoiceList(values.format, '--format', RESULT_FORMATS),
    nodes: parseNodes(values.nnodes, values['node-rank'], values['rdzv-endpoint']),
    out: values.out,
    shard: values.shard === undefined ? null : flagValue('shard', () => parseShard(values.shard!)),
    baseline: values.baseline,
    summary: values.summary,
    compare: compareOptionsOf(values),
    help: values.help ?? false,
  };
}

/** `--world-size`'s value: a whole number from 1 to 1024. */
function parseWorldSize(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`expected a whole number from 1 to 1024, not '${text}'`);
  return n;
}

/** --nnodes, --node-rank and --rdzv-endpoint: all three, or none (one machine). */
function parseNodes(nnodes: string | undefined, nodeRank: string | undefined, endpoint: string | undefined): NodesOverride | undefined {
  if (nnodes === undefined && nodeRank === undefined && endpoint === undefined) return undefined;
  if (nnodes === undefined || nodeRank === undefined || endpoint === undefined) throw new UsageError('--nnodes, --node-rank and --rdzv-endpoint go together');
  const count = flagValue('nnodes', () => parseWorldSize(nnodes));
  const rank = Number(nodeRank);
  if (!/^\d+$/.test(nodeRank.trim()) || rank >= count) throw new UsageError(`--node-rank: expected a whole number from 0 to ${count - 1}, not '${nodeRank}'`);
  if (!/^[^\s:]+:\d{1,5}$/.test(endpoint) && !/^\[[^\]]+\]:\d{1,5}$/.test(endpoint)) throw new UsageError(`--rdzv-endpoint: expected HOST:PORT, not '${endpoint}'`);
  return { count, rank, endpoint };
}

/**
 * Loads every scenario file (relative paths as the user meant them under npm), a sweep's as its variants; a bad
 * one (one that throws, even asynchronously, while it loads) is a UsageError. Says what each sweep expanded into.
 */
async function loadScenarios(files: readonly string[], watch: ScenarioErrorWatch): Promise<LoadedScenario[]> {
  const loaded: LoadedScenario[] = [];
  try {
    await checkScenarioFilesLoad(files.map((file) => ({ file, path: resolveInput(file, 'scenario file') })));
  } catch (error) {
    throw error instanceof ScenarioError ? new UsageError(messageOf(error), { cause: error }) : error;
  }
  for (const file of files) {
    const path = resolveInput(file, 'scenario file');
    try {
      const scenarios = await watch.loading(file, path, () => loadScenarioFile(path));
      loaded.push(...scenarios.map((found) => ({ ...found, file })));
      const sweep = scenarios[0]?.sweep;
      if (sweep) console.error(`${file}: sweep ${sweep.name}, ${scenarios.length} variants: ${scenarios.map(({ scenario }) => scenario.name).join(', ')}`);
    } catch (error) {
      if (error instanceof ScenarioError) throw new UsageError(messageOf(error), { cause: error });
      throw error;
    }
  }
  const seen = new Map<string, string>();
  for (const { scenario, file } of loaded) {
    const earlier = seen.get(scenario.name);
    if (earlier !== undefined) {
      const files = earlier === file ? `${file}, given twice` : `${earlier} and ${file}`;
      throw new UsageError(`two scenario files are named '${scenario.name}': ${files}`);
    }
    seen.set(scenario.name, file);
  }
  return loaded;
}

/** Reads the baseline and checks, before anything is measured, that this run can be compared with it. */
async function readBaseline(args: BenchArgs, plan: RunPlan): Promise<RunResults> {
  const path = resolveInput(args.baseline!, '--baseline');
  let baseline: RunResults;
  try {
    baseline = await readRunResults(path);
  } catch (error) {
    if (error instanceof ResultsFileError) throw new UsageError(`--baseline ${messageOf(error)}`, { cause: error });
    throw error;
  }
  const outside = cellsOutsidePlan(baseline, plan);
  if (outside.length > 0 && !args.compare.allowMissing) {
    const listed = outside.slice(0, 3).map((cell) => describeKey(cell)).join('; ') + (outside.length > 3 ? `; and ${outside.length - 3} more` : '');
    throw new UsageError(
      `--baseline ${args.baseline}: ${outside.length} of its ${baseline.cells.length} cells are not in this run (${listed}), ` +
        'so the comparison would fail: run them too, or pass --allow-missing',
    );
  }
  const reference = plan.reference;
  if (baseline.settings.referenceStrategy !== reference && args.compare.mode !== 'absolute' && baseline.cells.length > 0) {
    throw new UsageError(
      `--baseline ${args.baseline}: its time ratios are relative to ${baseline.settings.referenceStrategy}, this run's would be ` +
        `relative to ${reference}: run ${baseline.settings.referenceStrategy} too, or compare with --mode absolute`,
    );
  }
  return baseline;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if (args.help) {
    process.stdout.write(renderHelp(BENCH_COMMAND));
    return EXIT.ok;
  }
  if (args.files.length === 0) throw new UsageError('no scenario file given (see --help)');

  // Everything that can be wrong with the input is found here, before the first step.
  const watch = new ScenarioErrorWatch();
  const stopWatching = watch.start();
  try {
    return await benchLoaded(args, await loadScenarios(args.files, watch), watch);
  } finally {
    stopWatching();
  }
}

/**
 * Runs the loaded scenarios and writes the results; the cells of a scenario whose file threw asynchronously while
 * it ran (the watch saw it) are marked errored.
 */
async function benchLoaded(args: BenchArgs, all: LoadedScenario[], watch: ScenarioErrorWatch): Promise<number> {
  let plan: RunPlan & { passedOver: string[] };
  try {
    plan = await resolvePlan(all, {
      backend: args.backends,
      strategies: args.strategies,
      distributedOnly: args.distributedOnly,
      worldSize: args.worldSize,
      nodes: args.nodes,
      shard: args.shard,
      pythons: args.pythons,
      compile: args.compile,
      precision: args.precision,
      regularizer: args.regularizer,
    });
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  // A node other than 0 runs its ranks of every world size N unit; node 0 measures the rest and writes the results.
  if (args.nodes && args.nodes.rank > 0) return (await runOtherNode(plan, args.nodes)) ? EXIT.ok : EXIT.failed;
  const { scenarios } = plan;
  if (plan.units.some((unit) => unit.backend === 'pytorch')) checkPytorchEnvironment();
  if (args.shard) console.error(`shard ${args.shard.index}/${args.shard.count}: ${scenarios.map(({ scenario }) => scenario.name).join(', ') || 'no scenario'}`);
  for (const reason of plan.passedOver) console.error(`auto: passed over ${reason}`);
  const baseline = args.baseline === undefined ? undefined : await readBaseline(args, plan);
  // A sweep's variants are named after their sweep in the default folder name.
  const dir = await openResultsFolder({
    command: 'bench',
    out: args.out,
    defaultDir: () => defaultOutputDir([...new Set(scenarios.map(({ scenario, sweep }) => sweep?.name ?? scenario.name))]),
    others: args.summary === undefined ? [] : [{ flag: '--summary', path: args.summary, kind: 'file' }],
    inputs: [
      ...(args.baseline === undefined ? [] : [{ what: '--baseline', path: resolveInput(args.baseline, '--baseline') }]),
      ...[...new Set(all.map(({ file }) => file))].map((file) => ({ what: 'scenario file', path: resolveInput(file, 'scenario file') })),
    ],
  });

  watch.checkBeforeRun();
  const progress = createProgress();
  const failed = (results: RunResults): RunResults => ({ ...results, cells: failUnits(results.cells, watch.failed()) });
  const results = await runBenchmark({
    plan,
    onEvent: async (event) => {
      if (event.type === 'unit-start') watch.unitStarted(event.unit);
      progress(event.type === 'scenario-end' || event.type === 'backend-end' ? { ...event, cells: failUnits(event.cells, watch.failed()) } : event);
      if (event.type === 'backend-end') await writeRun(dir, failed(event.results), { formats: args.formats });
    },
  }).then(failed);
  const written = await writeRun(dir, results, { formats: args.formats });
  console.error(`wrote ${written.join(', ')}`);

  let exitCode: number = results.cells.some((cell) => isFailedStatus(cell.status)) ? EXIT.failed : EXIT.ok;
  if (exitCode === EXIT.failed) console.error('some cells failed or diverged: see the status and error columns of results.csv');
  if (baseline) {
    const { comparison, markdown } = compareAndRender(baseline, results, args.compare);
    console.log(markdown);
    if (args.summary) await writeFileAtomically(args.summary, markdown);
    if (comparison.failed) exitCode = EXIT.failed;
  }
  return exitCode;
}

if (isMain(import.meta.url)) await runCommand('bench', main);
