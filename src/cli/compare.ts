/**
 * `npm run compare -- <baseline> <current>`: compares two runs and prints a markdown summary. The work is in
 * src/compare/api.ts; this file parses the flags, checks the paths first, and sets the exit code.
 */
import { compareFiles } from '../compare/api.js';
import { IncomparableRunsError } from '../compare/compare.js';
import { ResultsFileError } from '../results/read.js';
import { COMPARE_FLAGS, compareOptionsOf } from './compare-flags.js';
import { EXIT, isMain, messageOf, runCommand, UsageError } from './exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec } from './flags.js';
import { checkOutputs } from './output-checks.js';
import { prepareOutputs, resolveInput } from './paths.js';
import { writeFileAtomically } from './write-atomic.js';

export const COMPARE_COMMAND_FLAGS = {
  ...COMPARE_FLAGS,
  summary: { argument: 'file', description: 'also write the markdown to this file (overwrites it)' },
  ...HELP_FLAG,
} as const;

export const COMPARE_COMMAND: CommandSpec<typeof COMPARE_COMMAND_FLAGS> = {
  usage: 'npm run compare -- <baseline> <current>',
  summary: [
    'Compares two bench runs (each a results folder or its results.json) cell by cell.',
    'Counts (flops, kernels, passes, leaked tensors, cpu bytes) must match exactly; a step time',
    'changes only when a two-sided Mann-Whitney U test on the raw samples says so AND the ratio',
    'of means passes the threshold. Across machines, times are compared relative to the',
    'reference strategy (timeRatio). A baseline cell missing from the current run fails the',
    'comparison unless --allow-missing.',
  ].join('\n'),
  flags: COMPARE_COMMAND_FLAGS,
  failure: 'a regression, a changed count, or a baseline cell missing from the current run',
  examples: [
    'npm run compare -- results/main results/pr',
    'npm run compare -- main/results.json pr/results.json --threshold 5% --summary "$GITHUB_STEP_SUMMARY"',
    'npm run compare -- baseline current --mode ratio --metric-threshold timeRatio=20% --alpha 0.01',
    'npm run compare -- results/baseline shard-1 --allow-missing',
  ],
};

/** Runs the command on argv (without node and the script); returns the exit code. Bad input throws a UsageError. */
export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(COMPARE_COMMAND_FLAGS, argv);
  if (values.help) {
    process.stdout.write(renderHelp(COMPARE_COMMAND));
    return EXIT.ok;
  }
  if (positionals.length !== 2) {
    throw new UsageError(`expected <baseline> and <current>, got ${positionals.length} path${positionals.length === 1 ? '' : 's'} (see --help)`);
  }
  const options = compareOptionsOf(values);
  const [baselinePath, currentPath] = [resolveInput(positionals[0]!, '<baseline>'), resolveInput(positionals[1]!, '<current>')];
  if (values.summary !== undefined) {
    const summary = [{ flag: '--summary', path: values.summary, kind: 'file' } as const];
    await checkOutputs(summary, [{ what: '<baseline>', path: baselinePath }, { what: '<current>', path: currentPath }]);
    await prepareOutputs(summary);
  }

  let result;
  try {
    result = await compareFiles(baselinePath, currentPath, options);
  } catch (error) {
    if (error instanceof ResultsFileError || error instanceof IncomparableRunsError) throw new UsageError(messageOf(error), { cause: error });
    throw error;
  }
  process.stdout.write(result.markdown);
  if (values.summary !== undefined) await writeFileAtomically(values.summary, result.markdown);
  return result.comparison.failed ? EXIT.failed : EXIT.ok;
}

if (isMain(import.meta.url)) await runCommand('compare', main);
