/**
 * `npm run bench -- <scenario files...>`: the thin command line over runBenchmark. It parses flags, loads the
 * scenarios, prints progress, writes the results folder after every scenario, and sets the exit code:
 * 2 for bad input (nothing run, nothing written), 1 when a cell failed or a baseline comparison regressed.
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseBackendId, type BackendId } from '../backends/index.js';
import { compareAndRender } from '../compare/api.js';
import type { CompareOptions } from '../compare/comparison.js';
import { COMPARE_FLAGS, parseCompareFlags } from '../compare/options.js';
import { parseShard, shardCells } from '../compare/shard.js';
import { runBenchmark, type LoadedScenario } from '../runner.js';
import { readRunResults } from '../results/read.js';
import { loadScenario } from '../scenario/load.js';
import type { RunResults } from '../types.js';
import { getStrategy, type StrategyId } from '../strategies/index.js';
import { defaultOutputDir, writeRawResults, writeReport } from './output.js';
import { createProgress } from './progress.js';

export const USAGE = `Usage: npm run bench -- <scenario.ts...> [options]

Trains each update strategy of each scenario and measures time per step, FLOPs, forward and backward
passes, peak tensor memory and leaks; writes results.csv, results.json and report.md.

Options:
  --backend <id>        auto | cpu | wasm | webgpu | tensorflow | tensorflow-gpu | pytorch (default: the scenario's, auto)
  --strategies <list>   comma-separated: retain-graph,detach-d-first,g-first,single-forward (default: all)
  --out <dir>           results folder (default: results/<scenarios>-<timestamp>)
  --shard <i/n>         run only shard i of n of the scenarios (for a CI matrix; merge with npm run report)
  --baseline <path>     compare with a saved run (folder or results.json); exit 1 on a regression
  --summary <file>      with --baseline: also write the comparison's markdown to this file
  --threshold, --metric-threshold, --alpha, --mode
                        with --baseline: as in npm run compare (see npm run compare -- --help)
  -h, --help            show this text

Examples:
  npm run bench -- scenarios/small-d.ts
  npm run bench -- scenarios/*.ts --backend wasm --strategies retain-graph,g-first
  npm run bench -- scenarios/balanced.ts --baseline results/baseline --summary comparison.md
  npm run bench -- scenarios/ci/*.ts --backend cpu --baseline results/baseline --mode ratio --metric-threshold timeRatio=50%`;

const OPTIONS = {
  backend: { type: 'string' },
  strategies: { type: 'string' },
  out: { type: 'string' },
  shard: { type: 'string' },
  baseline: { type: 'string' },
  summary: { type: 'string' },
  ...COMPARE_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** Bad command-line input: printed with the usage text, exit code 2. */
class UsageError extends Error {}

interface BenchArgs {
  files: string[];
  backend?: BackendId;
  strategies?: StrategyId[];
  out?: string;
  shard: { index: number; count: number } | null;
  baseline?: string;
  summary?: string;
  compare: CompareOptions;
  help: boolean;
}

/** Parses and checks argv; every error names the flag or value at fault. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const check = <T>(flag: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new UsageError(`--${flag}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  for (const flag of ['summary', 'threshold', 'metric-threshold', 'alpha', 'mode'] as const) {
    if (values[flag] !== undefined && !values.baseline) throw new UsageError(`--${flag} needs --baseline`);
  }
  return {
    files: positionals,
    backend: values.backend === undefined ? undefined : check('backend', () => parseBackendId(values.backend!)),
    strategies:
      values.strategies === undefined
        ? undefined
        : check('strategies', () => {
            const ids = values.strategies!.split(',').map((id) => id.trim()).filter(Boolean);
            if (ids.length === 0) throw new Error('names no strategy');
            return ids.map((id) => getStrategy(id).id);
          }),
    out: values.out,
    shard: values.shard === undefined ? null : check('shard', () => parseShard(values.shard!)),
    baseline: values.baseline,
    summary: values.summary,
    compare: (() => {
      try {
        return parseCompareFlags(values);
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
    })(),
    help: values.help ?? false,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.files.length === 0) {
    console.error(`error: no scenario file given\n\n${USAGE}`);
    return 2;
  }

  let scenarios: LoadedScenario[] = [];
  try {
    for (const file of args.files) scenarios.push({ scenario: await loadScenario(file), file });
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  let baseline: RunResults | undefined;
  if (args.baseline) {
    try {
      baseline = await readRunResults(args.baseline);
    } catch (error) {
      console.error(`error: --baseline ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
  }
  const names = scenarios.map(({ scenario }) => scenario.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) {
    console.error(`error: two scenario files are named '${duplicate}'`);
    return 2;
  }
  if (args.shard) {
    const { index, count } = args.shard;
    scenarios = shardCells(scenarios, ({ scenario }) => scenario.name, index, count);
    console.error(`shard ${index}/${count}: ${scenarios.map(({ scenario }) => scenario.name).join(', ') || 'no scenario'}`);
  }

  const dir = args.out ?? defaultOutputDir(scenarios.map(({ scenario }) => scenario.name));
  const progress = createProgress();
  const results = await runBenchmark({
    scenarios,
    backend: args.backend,
    strategies: args.strategies,
    shard: args.shard,
    onEvent: async (event) => {
      progress(event);
      if (event.type === 'scenario-end') await writeRawResults(dir, event.results);
    },
  });
  await writeRawResults(dir, results);
  const written = await writeReport(dir, results);
  console.error(`wrote ${dir}/results.csv, results.json and ${written.map((file) => file.slice(dir.length + 1)).join(', ')}`);

  let exitCode = results.cells.some((cell) => cell.status === 'errored') ? 1 : 0;
  if (exitCode === 1) console.error('some cells failed: see the status and error columns of results.csv');
  if (baseline) {
    const { comparison, markdown } = compareAndRender(baseline, results, args.compare);
    console.log(markdown);
    if (args.summary) await writeFile(args.summary, markdown);
    if (comparison.regressed) exitCode = 1;
  }
  return exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  });
}
