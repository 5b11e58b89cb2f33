/**
 * `npm run report -- <results...>`: merges saved runs (shards, backends, machines) into one results folder
 * with one CSV, one report.md with its claims, and the charts. The same cell from two runs appears twice.
 */
import { join } from 'node:path';
import { mergeRuns, renderCsv, runLabel, type TaggedCell } from '../report/index.js';
import { readRunResults, ResultsFileError } from '../results/read.js';
import type { RunResults } from '../types.js';
import { EXIT, isMain, messageOf, runCommand, UsageError } from './exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec } from './flags.js';
import { writeReport } from './output.js';
import { resolveInput } from './paths.js';
import { openResultsFolder } from './results-folder.js';

export const REPORT_FLAGS = {
  out: { argument: 'dir', description: 'where to write (default: results/report-<timestamp>)' },
  ...HELP_FLAG,
} as const;

export const REPORT_COMMAND: CommandSpec<typeof REPORT_FLAGS> = {
  usage: 'npm run report -- <results...>',
  summary: [
    'Merges saved runs (each a results folder or its results.json) into one results.csv, report.md and',
    'charts: shards of one sweep (an empty shard included), several backends, several machines. A cell',
    'measured in several runs is shown once per run; a run that did not finish is marked as such.',
  ].join('\n'),
  flags: REPORT_FLAGS,
  failure: null,
  examples: [
    'npm run report -- results/small-d-2026-11-27T10-00-00 results/large-d-2026-11-27T10-05-00',
    'npm run report -- shard-*/results.json --out merged',
  ],
};

/** `results/report-2026-11-27T13-45-02`. */
function defaultReportDir(date = new Date()): string {
  return join('results', `report-${date.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-')}`);
}

/** Runs the command on argv (without node and the script); returns the exit code. Bad input throws a UsageError. */
export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(REPORT_FLAGS, argv);
  if (values.help) {
    process.stdout.write(renderHelp(REPORT_COMMAND));
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('no results given (see --help)');
  const runs: RunResults[] = [];
  const inputs = positionals.map((path) => ({ what: 'results', path: resolveInput(path, 'results') }));
  for (const { path } of inputs) {
    try {
      runs.push(await readRunResults(path));
    } catch (error) {
      if (error instanceof ResultsFileError) throw new UsageError(messageOf(error), { cause: error });
      throw error;
    }
  }
  const dir = await openResultsFolder({ command: 'report', out: values.out, defaultDir: defaultReportDir, inputs });
  const merged = mergeRuns(runs);
  const labels = runs.map((run, index) => runLabel(run, index));
  const csv = renderCsv(merged.cells, { runOf: (cell) => labels[(cell as TaggedCell).run]!, scenarios: merged.scenarios });
  await writeReport(dir, runs, { extra: [{ path: join(dir, 'results.csv'), data: csv }] });
  console.error(`merged ${runs.length} run(s), ${merged.cells.length} cells, into ${dir}/results.csv and ${dir}/report.md`);
  return EXIT.ok;
}

if (isMain(import.meta.url)) await runCommand('report', main);
