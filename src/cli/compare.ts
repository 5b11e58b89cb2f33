/**
 * `npm run compare -- <baseline> <current>`: compares two runs, prints a markdown summary and exits
 * 1 on a regression, 2 on bad input, 0 otherwise. The work is in api.ts; this file only parses flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { compareFiles } from '../compare/api.js';
import { DEFAULT_ALPHA, DEFAULT_THRESHOLD, type CompareOptions } from '../compare/comparison.js';
import { COMPARE_FLAGS, parseCompareFlags } from '../compare/options.js';

const USAGE = `Usage: npm run compare -- <baseline> <current> [options]

Compares two bench runs (each a results folder or its results.json) cell by cell.
Counts (flops, kernels, passes, leaked tensors, cpu bytes) must match exactly; a step time
changes only when a two-sided Mann-Whitney U test on the raw samples says so AND the ratio
of means passes the threshold. Across machines, times are compared relative to the
reference strategy (timeRatio). Exits 1 on a regression, 2 on bad input, 0 otherwise.

Options:
  --threshold <t>             ratio a time must pass, e.g. 10% or 0.1 (default ${DEFAULT_THRESHOLD * 100}%)
  --metric-threshold <m=t>    per-metric threshold for time or timeRatio; repeatable
  --alpha <a>                 significance level of the test (default ${DEFAULT_ALPHA})
  --mode <auto|ratio|absolute>
                              absolute ms, ratios to the reference strategy, or auto:
                              absolute on the same machine, ratio otherwise (default auto)
  --summary <file>            also write the markdown to this file (overwrites it)
  -h, --help                  show this text

Examples:
  npm run compare -- results/main results/pr
  npm run compare -- main/results.json pr/results.json --threshold 5% --summary "$GITHUB_STEP_SUMMARY"
  npm run compare -- baseline current --mode ratio --metric-threshold timeRatio=20% --alpha 0.01
`;

const FLAGS = {
  ...COMPARE_FLAGS,
  summary: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the CLI on `args` (without node and the script); returns the exit code. */
export async function runCompareCli(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    return fail(`expected <baseline> and <current>, got ${positionals.length} path${positionals.length === 1 ? '' : 's'}`);
  }
  const [baselinePath, currentPath] = positionals as [string, string];

  let options: CompareOptions;
  try {
    options = parseCompareFlags(values);
  } catch (error) {
    return fail((error as Error).message);
  }

  let result;
  try {
    result = await compareFiles(baselinePath, currentPath, options);
  } catch (error) {
    return fail((error as Error).message, false);
  }
  process.stdout.write(result.markdown);
  if (values.summary !== undefined) {
    try {
      await mkdir(dirname(values.summary), { recursive: true });
      await writeFile(values.summary, result.markdown);
    } catch (error) {
      return fail(`--summary ${values.summary}: cannot write (${(error as Error).message})`, false);
    }
  }
  return result.comparison.regressed ? 1 : 0;
}

function fail(message: string, showUsageHint = true): number {
  process.stderr.write(`compare: ${message}\n${showUsageHint ? 'Run with --help for usage.\n' : ''}`);
  return 2;
}

process.exitCode = await runCompareCli(process.argv.slice(2));
