/**
 * The GPU check (docs/gpu-check.md): trains the runnable strategies of scenarios/balanced.ts at batch 64 and 4096
 * with a short measuring budget on tfjs's webgpu backend and on the pytorch backend (CUDA on the GPU machine) in
 * one run of runBenchmark, and renders the comparison table (src/report/sections/gpu-check.ts) from its results. After
 * every backend of every batch size it saves the output folder (results.json, results.csv, gpu-check.json: how
 * webgpu was set up) and rewrites the table, so a check stopped by its time limit keeps what it measured. At the
 * end it also writes report.md and the charts.
 *
 * It is bundled for the GPU machine by `npm run gpu-check:pack` (scripts/device/pack.sh), so it must not load
 * scenario files at run time: the scenario is imported statically and its batch variants built with parseScenario.
 * The pytorch backend's worker package (src/backends/pytorch/gan_worker) is found under the working directory (the
 * project root) from the bundle.
 *
 *   npx tsx scripts/gpu-check.ts [--quick] [--backend webgpu,pytorch] [--batch-sizes 64,4096] [--out DIR]
 *                                [--label NAME] [--with LABEL=DIR ...] [--table FILE] [--flag NAME=VALUE ...]
 *                                [--dawn OPTION ...] [--equivalence-max-batch 256]
 *   npx tsx scripts/gpu-check.ts --render --with default=DIR [--with null-device=DIR] --table FILE
 *   node .device/bundle.mjs ...same options...      (the packed bundle; on the device: bash .device/run.sh ...)
 *
 * Exit code: 0 when every cell ran, 1 when a cell failed (a backend did not start, a step threw), 2 for bad
 * arguments, 3 when the harness itself crashed (src/cli/exit.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import balanced from '../scenarios/balanced.js';
import type { BackendId } from '../src/backends/index.js';
import { DAWN_OPTIONS_ENV, isDawnOption, webgpuAdapterSummary, webgpuOverheadFlags } from '../src/backends/webgpu.js';
import { parseBackendList } from '../src/cli/backend-list.js';
import { isMain, messageOf, runCommand, UsageError } from '../src/cli/exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec, type FlagTable } from '../src/cli/flags.js';
import { writeRawResults, writeReport } from '../src/cli/output.js';
import { prepareOutputs } from '../src/cli/paths.js';
import { parseStrategyList } from '../src/cli/strategy-list.js';
import { createProgress } from '../src/cli/progress.js';
import { renderGpuCheck, type GpuCheckMeta, type GpuCheckRun } from '../src/report/sections/gpu-check.js';
import { readRunResults } from '../src/results/read.js';
import { type LoadedScenario } from '../src/run/plan.js';
import { resolvePlan } from '../src/run/resolve.js';
import { runBenchmark } from '../src/run/runner.js';
import { parseScenario } from '../src/scenario/load.js';
import type { StrategyId } from '../src/strategies/index.js';
import { tf } from '../src/tf.js';
import type { CellResult, RunResults } from '../src/types.js';

/**
 * The strategies the check times: the post's three as PyTorch runs them and the two-tape reference, fixed (not every
 * runnable strategy) so that the check's time on the device does not grow with the registry.
 */
export const GPU_CHECK_STRATEGIES: readonly StrategyId[] = ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'];

/** The flags, as data: parsing and --help come from this table (src/cli/flags.ts). */
export const GPU_CHECK_FLAGS = {
  quick: { description: 'batch 64 only, tiny budgets (a smoke test: ~1 min on lavapipe and a CPU PyTorch)' },
  backend: { argument: 'list', description: 'the backends, measured in turn per batch size (default webgpu,pytorch)' },
  'batch-sizes': { argument: 'list', description: 'default 64,4096' },
  strategies: { argument: 'list', description: `default ${GPU_CHECK_STRATEGIES.join(',')}` },
  out: { argument: 'dir', description: 'default $OUT, else ./gpu-check-out' },
  label: { argument: 'name', description: "this run's name in the table (default: default)" },
  with: {
    argument: 'LABEL=DIR',
    multiple: true,
    description: "an earlier run's output folder whose rows join the table (repeatable);\nits PyTorch cells are the reference where this run has none",
  },
  table: { argument: 'file', description: 'where the table goes (default <out>/gpu-check.md)' },
  render: { description: 'measure nothing: render the --with runs into --table (and print it)' },
  flag: {
    argument: 'NAME=VALUE',
    multiple: true,
    description: 'set a tfjs flag before the backend starts (repeatable),\ne.g. --flag WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=100',
  },
  dawn: {
    argument: 'OPTION',
    multiple: true,
    description:
      `a Dawn option (repeatable; sets ${DAWN_OPTIONS_ENV}), e.g. --dawn backend=null\n(Dawn's null device: nothing is computed, ` +
      "so a step's time is the host's own\noverhead) or --dawn enable-dawn-features=skip_validation",
  },
  warmup: { argument: 'n', description: 'untimed steps per strategy (default 5; quick 1)' },
  'min-samples': { argument: 'n', description: 'timed steps per strategy at least (default 10; quick 3)' },
  'min-time-ms': { argument: 'ms', description: 'timed ms per strategy at least (default 2000; quick 200)' },
  rounds: { argument: 'n', description: 'interleaved timing rounds (default 2; quick 1)' },
  'equivalence-max-batch': {
    argument: 'n',
    description: "run the update-equivalence check (1 step) only up to this batch\n(default 256: tfjs's cpu backend takes ~3 min per balanced step at 4096)",
  },
  ...HELP_FLAG,
} as const satisfies FlagTable;

export const GPU_CHECK_COMMAND: CommandSpec<typeof GPU_CHECK_FLAGS> = {
  usage: 'npx tsx scripts/gpu-check.ts',
  summary:
    "Trains the balanced scenario's strategies at batch 64 and 4096 on webgpu and in PyTorch with a short budget, in one\n" +
    'run, and renders the webgpu-against-PyTorch table from its results (docs/gpu-check.md).\n' +
    'Packed for a GPU machine: node .device/bundle.mjs, with the same options; scripts/gpu-check.sh runs the whole check.',
  flags: GPU_CHECK_FLAGS,
  failure: 'a cell failed (a backend did not start, a step threw)',
  examples: [
    'npx tsx scripts/gpu-check.ts --quick',
    'npx tsx scripts/gpu-check.ts --backend webgpu --dawn backend=null --out null-device --label null-device --with default=gpu-check-out',
    'npx tsx scripts/gpu-check.ts --render --with default=gpu-check-out/main --table gpu-check.md',
  ],
};

export const USAGE = renderHelp(GPU_CHECK_COMMAND);

/** The measuring budget: short, so that the whole check (both batches, both backends) stays under ~2 minutes on an H100. */
export interface Budget {
  warmupSteps: number;
  minSamples: number;
  minTimeMs: number;
  rounds: number;
}

export const DEFAULT_BUDGET: Budget = { warmupSteps: 5, minSamples: 10, minTimeMs: 2000, rounds: 2 };
export const QUICK_BUDGET: Budget = { warmupSteps: 1, minSamples: 3, minTimeMs: 200, rounds: 1 };

export interface GpuCheckArgs {
  quick: boolean;
  backends: BackendId[];
  batchSizes: number[];
  strategies: StrategyId[];
  out: string;
  label: string;
  /** Earlier runs whose rows join the table: [label, folder]. */
  with: Array<[string, string]>;
  table: string;
  render: boolean;
  flags: Record<string, number | boolean | string>;
  /** Dawn options (`--dawn`), joined into GAN_BENCH_DAWN_OPTIONS before the backend starts. */
  dawnOptions: string[];
  budget: Budget;
  equivalenceMaxBatch: number;
  help: boolean;
}

/** 'true'/'false' become booleans, numbers numbers, anything else stays a string (as tfjs's URL flags). */
export function parseFlagValue(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

const positiveInteger = (flag: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${flag}: expected a positive integer, got '${text}'`);
  return value;
};

export function parseGpuCheckArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): GpuCheckArgs {
  const { values, positionals } = parseFlags(GPU_CHECK_FLAGS, argv);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (see --help)`);
  const quick = values.quick ?? false;
  const base = quick ? QUICK_BUDGET : DEFAULT_BUDGET;
  const budget: Budget = {
    warmupSteps: values.warmup ? positiveInteger('warmup', values.warmup) : base.warmupSteps,
    minSamples: values['min-samples'] ? positiveInteger('min-samples', values['min-samples']) : base.minSamples,
    minTimeMs: values['min-time-ms'] ? positiveInteger('min-time-ms', values['min-time-ms']) : base.minTimeMs,
    rounds: values.rounds ? positiveInteger('rounds', values.rounds) : base.rounds,
  };
  const batchSizes = (values['batch-sizes'] ?? (quick ? '64' : '64,4096'))
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => positiveInteger('batch-sizes', text));
  if (batchSizes.length === 0) throw new UsageError('--batch-sizes names no batch size');
  if (new Set(batchSizes).size !== batchSizes.length) throw new UsageError('--batch-sizes lists a batch size twice');
  const backends = parseBackendList(values.backend ?? 'webgpu,pytorch');
  const strategies = values.strategies ? parseStrategyList(values.strategies) : [...GPU_CHECK_STRATEGIES];
  const flags: Record<string, number | boolean | string> = {};
  for (const assignment of values.flag ?? []) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(assignment);
    if (!match) throw new UsageError(`--flag: expected NAME=VALUE, got '${assignment}'`);
    flags[match[1]!] = parseFlagValue(match[2]!);
  }
  const label = values.label ?? 'default';
  const others = (values.with ?? []).map((entry): [string, string] => {
    const match = /^([^=]+)=(.+)$/.exec(entry);
    if (!match) throw new UsageError(`--with: expected LABEL=DIR, got '${entry}'`);
    return [match[1]!, match[2]!];
  });
  const labels = [...others.map(([name]) => name), ...(values.render ? [] : [label])];
  const twice = labels.find((name, i) => labels.indexOf(name) !== i);
  if (twice) throw new UsageError(`--with/--label: the label '${twice}' names two runs`);
  if (values.render && others.length === 0) throw new UsageError('--render needs at least one --with LABEL=DIR');
  const out = values.out ?? (env['OUT'] ? env['OUT'] : 'gpu-check-out');
  return {
    quick,
    backends,
    batchSizes,
    strategies,
    out,
    label,
    with: others,
    table: values.table ?? join(out, 'gpu-check.md'),
    render: values.render ?? false,
    flags,
    dawnOptions: (values.dawn ?? []).map((option) => {
      if (!isDawnOption(option)) throw new UsageError(`--dawn: expected name=value (e.g. backend=null), got '${option}'`);
      return option;
    }),
    budget,
    equivalenceMaxBatch: values['equivalence-max-batch']
      ? positiveInteger('equivalence-max-batch', values['equivalence-max-batch'])
      : 256,
    help: values.help ?? false,
  };
}

/**
 * Sets tfjs flags before the backend starts. A flag already registered (tfjs-core's, e.g. DEBUG) is set now; a
 * WebGPU flag is registered only when tfjs-backend-webgpu loads (inside the webgpu backend's start), so it goes
 * into tfjs's URL-flag overrides, which `registerFlag` applies the moment the flag is registered: this also
 * reaches flags read once at load (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD).
 */
export function applyFlags(flags: Record<string, number | boolean | string>): void {
  const env = tf.env() as unknown as {
    flagRegistry: Record<string, unknown>;
    urlFlags: Record<string, unknown>;
    set(name: string, value: unknown): void;
  };
  for (const [name, value] of Object.entries(flags)) {
    if (env.flagRegistry[name] != null) env.set(name, value);
    else env.urlFlags[name] = value;
  }
}

/** The current value of each requested flag, or an error text where tfjs never registered it (a typo). */
export function effectiveFlags(flags: Record<string, unknown>): Record<string, unknown> {
  const effective: Record<string, unknown> = {};
  for (const name of Object.keys(flags)) {
    try {
      effective[name] = tf.env().get(name);
    } catch {
      effective[name] = '(never registered by tfjs: misspelt?)';
    }
  }
  return effective;
}

/** balanced.ts at one batch size with the check's budget; named so that both batches fit one report. */
export function balancedAt(
  batchSize: number,
  strategies: readonly StrategyId[],
  budget: Budget,
  equivalenceMaxBatch: number,
): LoadedScenario {
  const scenario = parseScenario(
    {
      ...balanced,
      name: `balanced-b${batchSize}`,
      batchSize,
      strategies: [...strategies],
      backend: 'webgpu',
      // tfjs's equivalence check runs on its cpu backend: one balanced step at batch 4096 takes minutes there.
      measure: { ...budget, equivalenceSteps: batchSize <= equivalenceMaxBatch ? 1 : 0 },
    },
    'scenarios/balanced.ts',
  );
  return { scenario, file: 'scenarios/balanced.ts' };
}

/** What gpu-check.json holds beside a run's results.json: the table's view of how webgpu was set up, and the run's settings. */
export interface GpuCheckFile extends GpuCheckMeta {
  kind: 'gan-update-bench gpu-check';
  label: string;
  flagsEffective: Record<string, unknown>;
  budget: Budget;
  backends: BackendId[];
  equivalenceSkippedFor: string[];
}

/** Reads an earlier run's folder for the table; a folder without results is a run with a problem, never an error. */
export async function readCheckRun(label: string, dir: string): Promise<GpuCheckRun> {
  let results: RunResults;
  try {
    results = await readRunResults(dir);
  } catch (error) {
    return { label, results: null, meta: null, problem: messageOf(error) };
  }
  let meta: GpuCheckMeta | null = null;
  try {
    meta = JSON.parse(await readFile(join(dir, 'gpu-check.json'), 'utf8')) as GpuCheckMeta;
  } catch {
    // written by the first save; a run that never saved has none
  }
  return { label, results, meta };
}

const si = (value: number | null, unit: string): string => {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const prefixes: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const [scale, prefix] = prefixes.find(([s]) => Math.abs(value) >= s) ?? [1, ''];
  return `${(value / scale).toPrecision(3)} ${prefix}${unit}`;
};

/** One cell as a progress line: time, kernels (and dispatches), FLOPs, FLOP/s where the device computed them. */
export function formatCellLine(cell: CellResult, computes = true): string {
  const name = `  ${cell.backend.padEnd(8)} ${cell.strategy.padEnd(15)} b${String(cell.batchSize).padEnd(5)}`;
  if (cell.status !== 'ok' || !cell.timing) return `${name} ${cell.status === 'raised' ? 'raised' : 'FAILED'}: ${cell.error ?? 'no timing'}`;
  const { meanMs, p50Ms, p99Ms, samples } = cell.timing;
  const rate = computes && cell.flops !== null ? cell.flops / (meanMs / 1000) : null;
  return (
    `${name} ${meanMs.toFixed(2).padStart(9)} ms/step  (p50 ${p50Ms.toFixed(2)}, p99 ${p99Ms.toFixed(2)}, n=${samples})` +
    `  ${String(cell.kernels ?? 'n/a').padStart(5)} kernels/step${cell.dispatches === null ? '' : ` (${cell.dispatches} dispatches)`}` +
    `  ${si(cell.flops, 'FLOP')}/step  ${si(rate, 'FLOP/s')}`
  );
}

async function writeTable(file: string, runs: readonly GpuCheckRun[]): Promise<string> {
  const markdown = renderGpuCheck(runs);
  await writeFile(file, markdown);
  return markdown;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseGpuCheckArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const readOthers = () => Promise.all(args.with.map(([label, dir]) => readCheckRun(label, dir)));
  if (args.render) {
    await prepareOutputs([{ flag: '--table', path: args.table, kind: 'file' }]);
    const runs = await readOthers();
    process.stdout.write(await writeTable(args.table, runs));
    return runs.some((run) => run.results) ? 0 : 1;
  }
  const dir = args.out;
  await prepareOutputs([
    { flag: '--out', path: dir, kind: 'folder' },
    { flag: '--table', path: args.table, kind: 'file' },
  ]);
  applyFlags(args.flags);
  if (args.dawnOptions.length > 0) process.env[DAWN_OPTIONS_ENV] = args.dawnOptions.join(' ');

  const scenarios = args.batchSizes.map((batchSize) => balancedAt(batchSize, args.strategies, args.budget, args.equivalenceMaxBatch));
  const skipped = scenarios.filter(({ scenario }) => scenario.measure.equivalenceSteps === 0).map(({ scenario }) => scenario.name);
  console.error(
    `gpu-check: balanced at batch ${args.batchSizes.join(', ')} on ${args.backends.join(', ')}; strategies ${args.strategies.join(', ')}; ` +
      `budget ${JSON.stringify(args.budget)}; flags ${JSON.stringify(args.flags)}; ` +
      `Dawn options ${JSON.stringify(process.env[DAWN_OPTIONS_ENV] ?? '')}; out ${dir}; table ${args.table}` +
      (skipped.length > 0 ? `; equivalence check skipped for ${skipped.join(', ')}` : ''),
  );

  const file = (): GpuCheckFile => ({
    kind: 'gan-update-bench gpu-check',
    label: args.label,
    adapter: webgpuAdapterSummary() ?? null,
    flagsRequested: args.flags,
    flagsEffective: effectiveFlags(args.flags),
    webgpuFlags: webgpuOverheadFlags(),
    budget: args.budget,
    backends: args.backends,
    equivalenceSkippedFor: skipped,
  });
  const others = await readOthers();
  const save = async (results: RunResults): Promise<string> => {
    await writeRawResults(dir, results);
    const meta = file();
    await writeFile(join(dir, 'gpu-check.json'), `${JSON.stringify(meta, null, 2)}\n`);
    return writeTable(args.table, [...others, { label: args.label, results, meta }]);
  };

  const progress = createProgress();
  const started = performance.now();
  const computes = () => webgpuAdapterSummary()?.isNullDevice !== true;
  const results = await runBenchmark({
    plan: await resolvePlan(scenarios, { backend: args.backends }),
    onEvent: async (event) => {
      progress(event);
      if (event.type === 'backend-started' && event.started.provider.id === 'webgpu') {
        console.error(`gpu-check: webgpu flags ${JSON.stringify(webgpuOverheadFlags())}`);
        if (!event.started.device.isGpu) {
          console.error('gpu-check: NOTE this adapter is a software fallback (CPU): its timings say nothing about a GPU');
        }
      }
      if (event.type === 'backend-end') {
        await save(event.results);
        for (const cell of event.cells) console.error(formatCellLine(cell, cell.backend !== 'webgpu' || computes()));
      }
    },
  });
  const table = await save(results);
  const written = await writeReport(dir, results);
  console.log(`\n${table}`);
  console.log(
    `wrote ${dir}/results.json, results.csv, gpu-check.json and ${written.map((path) => path.slice(dir.length + 1)).join(', ')}; ` +
      `the table in ${args.table}; in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const failed = results.cells.filter((cell) => cell.status === 'errored' || cell.status === 'diverged');
  for (const cell of failed) console.error(`gpu-check: ${cell.backend} ${cell.scenario} ${cell.strategy} failed: ${cell.error}`);
  return failed.length > 0 ? 1 : 0;
}

if (isMain(import.meta.url)) await runCommand('gpu-check', main);
