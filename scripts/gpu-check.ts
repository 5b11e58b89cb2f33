/**
 * The webgpu side of the GPU check (docs/gpu-check.md): trains the four strategies of scenarios/balanced.ts at
 * batch 64 and 4096 on the tfjs WebGPU backend with runBenchmark and a short measuring budget, writes
 * results.json / results.csv / report.md (src/cli/output.ts) and webgpu.json (the per-cell summary that
 * scripts/pytorch_reference.py compare reads) into the output folder, and prints per strategy: mean step time,
 * kernels per step and achieved FLOP/s.
 *
 * It is bundled for the GPU machine by `bash ../shared/device/pack.sh scripts/gpu-check.ts`, so it must not load
 * scenario files at run time: the scenario is imported statically and its batch variants built with parseScenario.
 *
 *   npx tsx scripts/gpu-check.ts [--quick] [--batch-sizes 64,4096] [--strategies a,b] [--out DIR]
 *                                [--flag NAME=VALUE ...] [--dawn OPTION ...] [--equivalence-max-batch 256]
 *   node .device/bundle.mjs ...same options...      (the packed bundle; on the device: bash .device/run.sh ...)
 *
 * Exit code: 0 when every cell ran, 1 when a cell failed (the adapter did not start, a step threw), 2 for bad
 * arguments, 3 when the harness itself crashed (src/cli/exit.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import balanced from '../scenarios/balanced.js';
import { DAWN_OPTIONS_ENV, isDawnOption, webgpuAdapterSummary, webgpuOverheadFlags } from '../src/backends/webgpu.js';
import { isMain, runCommand, UsageError } from '../src/cli/exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec, type FlagTable } from '../src/cli/flags.js';
import { writeRawResults, writeReport } from '../src/cli/output.js';
import { prepareOutputs } from '../src/cli/paths.js';
import { parseStrategyList } from '../src/cli/strategy-list.js';
import { createProgress } from '../src/cli/progress.js';
import { runBenchmark, type LoadedScenario } from '../src/runner.js';
import { parseScenario } from '../src/scenario/load.js';
import { RUNNABLE_STRATEGY_IDS, type StrategyId } from '../src/strategies/index.js';
import { tf } from '../src/tf.js';
import type { CellResult, RunResults } from '../src/types.js';

/** The flags, as data: parsing and --help come from this table (src/cli/flags.ts). */
export const GPU_CHECK_FLAGS = {
  quick: { description: 'batch 64 only, tiny budgets (a smoke test: ~40 s on lavapipe)' },
  'batch-sizes': { argument: 'list', description: 'default 64,4096' },
  strategies: { argument: 'list', description: `default ${RUNNABLE_STRATEGY_IDS.join(',')}` },
  out: { argument: 'dir', description: 'default $OUT, else ./gpu-check-out' },
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
  'min-time-ms': { argument: 'ms', description: 'timed ms per strategy at least (default 3000; quick 200)' },
  rounds: { argument: 'n', description: 'interleaved timing rounds (default 2; quick 1)' },
  'equivalence-max-batch': {
    argument: 'n',
    description: 'run the cpu update-equivalence check (1 step) only up to this batch\n(default 256: tfjs\'s cpu backend takes ~3 min per balanced step at 4096)',
  },
  ...HELP_FLAG,
} as const satisfies FlagTable;

export const GPU_CHECK_COMMAND: CommandSpec<typeof GPU_CHECK_FLAGS> = {
  usage: 'npx tsx scripts/gpu-check.ts',
  summary:
    "Trains the balanced scenario's strategies on webgpu at batch 64 and 4096 with a short budget (docs/gpu-check.md).\n" +
    'Packed for a GPU machine: node .device/bundle.mjs, with the same options.',
  flags: GPU_CHECK_FLAGS,
  failure: 'a cell failed (the adapter did not start, a step threw)',
  examples: ['npx tsx scripts/gpu-check.ts --quick', 'npx tsx scripts/gpu-check.ts --dawn backend=null --out null-device'],
};

export const USAGE = renderHelp(GPU_CHECK_COMMAND);

/** The measuring budget: short, so that the whole check (both batches) stays under ~3 minutes on an H100. */
export interface Budget {
  warmupSteps: number;
  minSamples: number;
  minTimeMs: number;
  rounds: number;
}

export const DEFAULT_BUDGET: Budget = { warmupSteps: 5, minSamples: 10, minTimeMs: 3000, rounds: 2 };
export const QUICK_BUDGET: Budget = { warmupSteps: 1, minSamples: 3, minTimeMs: 200, rounds: 1 };

export interface GpuCheckArgs {
  quick: boolean;
  batchSizes: number[];
  strategies: StrategyId[];
  out: string;
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
  const strategies = values.strategies ? parseStrategyList(values.strategies) : [...RUNNABLE_STRATEGY_IDS];
  const flags: Record<string, number | boolean | string> = {};
  for (const assignment of values.flag ?? []) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(assignment);
    if (!match) throw new UsageError(`--flag: expected NAME=VALUE, got '${assignment}'`);
    flags[match[1]!] = parseFlagValue(match[2]!);
  }
  return {
    quick,
    batchSizes,
    strategies,
    out: values.out ?? (env['OUT'] ? env['OUT'] : 'gpu-check-out'),
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

/** balanced.ts at one batch size, on webgpu, with the check's budget; named so that both batches fit one report. */
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
      // The equivalence check runs on the cpu backend: one balanced step at batch 4096 takes minutes there.
      measure: { ...budget, equivalenceSteps: batchSize <= equivalenceMaxBatch ? 1 : 0 },
    },
    'scenarios/balanced.ts',
  );
  return { scenario, file: 'scenarios/balanced.ts' };
}

/** What scripts/pytorch_reference.py compare reads: one row per cell, plus the adapter and flags. */
export interface WebGpuSummary {
  kind: 'gan-update-bench gpu-check webgpu';
  createdAt: string;
  tfjs: string;
  node: string;
  adapter: ReturnType<typeof webgpuAdapterSummary> | null;
  device: string | null;
  isGpu: boolean | null;
  flagsRequested: Record<string, number | boolean | string>;
  flagsEffective: Record<string, unknown>;
  webgpuFlags: Record<string, unknown>;
  budget: Budget;
  equivalenceSkippedFor: string[];
  cells: Array<{
    strategy: StrategyId;
    batchSize: number;
    status: CellResult['status'];
    error: string | null;
    meanMs: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    samples: number | null;
    kernels: number | null;
    /** GPU programs one step dispatched (what sets its host overhead). */
    dispatches: number | null;
    flops: number | null;
    flopsPredicted: number | null;
    flopsPerSecond: number | null;
    equivalence: CellResult['equivalence'];
    maxParamDiff: number | null;
  }>;
}

/** `computes` false (Dawn's null device): nothing was computed, so no FLOP/s is reported. */
export function summarizeCells(cells: readonly CellResult[], computes = webgpuAdapterSummary()?.isNullDevice !== true): WebGpuSummary['cells'] {
  return cells.map((cell) => {
    const meanMs = cell.timing?.meanMs ?? null;
    return {
      strategy: cell.strategy,
      batchSize: cell.batchSize,
      status: cell.status,
      error: cell.error,
      meanMs,
      p50Ms: cell.timing?.p50Ms ?? null,
      p99Ms: cell.timing?.p99Ms ?? null,
      samples: cell.timing?.samples ?? null,
      kernels: cell.kernels,
      dispatches: cell.dispatches,
      flops: cell.flops,
      flopsPredicted: cell.flopsPredicted,
      flopsPerSecond: computes && meanMs && cell.flops !== null ? cell.flops / (meanMs / 1000) : null,
      equivalence: cell.equivalence,
      maxParamDiff: cell.maxParamDiff,
    };
  });
}

const si = (value: number | null, unit: string): string => {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const prefixes: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const [scale, prefix] = prefixes.find(([s]) => Math.abs(value) >= s) ?? [1, ''];
  return `${(value / scale).toPrecision(3)} ${prefix}${unit}`;
};

export function formatCellLine(cell: WebGpuSummary['cells'][number]): string {
  if (cell.status !== 'ok' || cell.meanMs === null) {
    return `  ${cell.strategy.padEnd(15)} b${String(cell.batchSize).padEnd(5)} FAILED: ${cell.error ?? 'no timing'}`;
  }
  return (
    `  ${cell.strategy.padEnd(15)} b${String(cell.batchSize).padEnd(5)} ${cell.meanMs.toFixed(2).padStart(9)} ms/step` +
    `  (p50 ${cell.p50Ms?.toFixed(2)}, p99 ${cell.p99Ms?.toFixed(2)}, n=${cell.samples})` +
    `  ${String(cell.kernels ?? 'n/a').padStart(5)} kernels/step (${cell.dispatches ?? 'n/a'} dispatches)` +
    `  ${si(cell.flops, 'FLOP')}/step  ${si(cell.flopsPerSecond, 'FLOP/s')}`
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseGpuCheckArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = args.out;
  await prepareOutputs([{ flag: '--out', path: dir, kind: 'folder' }]);
  applyFlags(args.flags);
  if (args.dawnOptions.length > 0) process.env[DAWN_OPTIONS_ENV] = args.dawnOptions.join(' ');

  const scenarios = args.batchSizes.map((batchSize) =>
    balancedAt(batchSize, args.strategies, args.budget, args.equivalenceMaxBatch),
  );
  const skipped = new Set(
    scenarios.filter(({ scenario }) => scenario.measure.equivalenceSteps === 0).map(({ scenario }) => scenario.name),
  );
  console.error(
    `gpu-check: balanced at batch ${args.batchSizes.join(', ')}; strategies ${args.strategies.join(', ')}; ` +
      `budget ${JSON.stringify(args.budget)}; flags ${JSON.stringify(args.flags)}; ` +
      `Dawn options ${JSON.stringify(process.env[DAWN_OPTIONS_ENV] ?? '')}; out ${dir}` +
      (skipped.size > 0 ? `; equivalence check skipped for ${[...skipped].join(', ')}` : ''),
  );

  let device: string | null = null;
  let isGpu: boolean | null = null;
  const summary = (results: RunResults): WebGpuSummary => ({
    kind: 'gan-update-bench gpu-check webgpu',
    createdAt: results.createdAt,
    tfjs: tf.version.tfjs,
    node: process.version,
    adapter: webgpuAdapterSummary() ?? null,
    device,
    isGpu,
    flagsRequested: args.flags,
    flagsEffective: effectiveFlags(args.flags),
    webgpuFlags: webgpuOverheadFlags(),
    budget: args.budget,
    equivalenceSkippedFor: [...skipped],
    cells: summarizeCells(results.cells),
  });
  const save = async (results: RunResults) => {
    await writeRawResults(dir, results);
    await writeFile(join(dir, 'webgpu.json'), `${JSON.stringify(summary(results), null, 2)}\n`);
  };

  const progress = createProgress();
  const started = performance.now();
  const results = await runBenchmark({
    scenarios,
    backend: 'webgpu',
    onEvent: async (event) => {
      progress(event);
      if (event.type === 'backend-started') {
        device = event.started.device.description;
        isGpu = event.started.device.isGpu;
        console.error(`gpu-check: webgpu flags ${JSON.stringify(webgpuOverheadFlags())}`);
        if (!event.started.device.isGpu) {
          console.error('gpu-check: NOTE this adapter is a software fallback (CPU): its timings say nothing about a GPU');
        }
      }
      if (event.type === 'scenario-end') {
        await save(event.results);
        for (const line of summarizeCells(event.cells).map(formatCellLine)) console.error(line);
      }
    },
  });
  await save(results);
  const written = await writeReport(dir, results);

  const final = summary(results);
  console.log(`\nwebgpu on ${device ?? 'no device (the backend did not start)'}`);
  console.log(`tfjs ${final.tfjs}, flags ${JSON.stringify(final.webgpuFlags)}`);
  if (Object.keys(args.flags).length > 0) console.log(`requested flags, as tfjs holds them: ${JSON.stringify(final.flagsEffective)}`);
  console.log('strategy         batch   mean ms/step  (p50, p99, n)        kernels/step (GPU dispatches)  FLOPs/step  achieved');
  for (const line of final.cells.map(formatCellLine)) console.log(line);
  console.log(
    `wrote ${dir}/results.json, results.csv, webgpu.json and ${written.map((file) => file.slice(dir.length + 1)).join(', ')} ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const failed = results.cells.filter((cell) => cell.status === 'errored');
  for (const cell of failed) console.error(`gpu-check: ${cell.scenario} ${cell.strategy} failed: ${cell.error}`);
  return failed.length > 0 ? 1 : 0;
}

if (isMain(import.meta.url)) await runCommand('gpu-check', main);
