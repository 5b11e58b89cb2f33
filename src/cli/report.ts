/**
 * `npm run report -- <results...>`: merges saved runs (shards, backends, machines) into one results folder
 * with one CSV, one report.md with its claims, and the charts. The same cell from two runs appears twice.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mergeRuns, renderCsv, runLabel, type TaggedCell } from '../report/index.js';
import { readRunResults } from '../results/read.js';
import type { RunResults } from '../types.js';
import { writeReport } from './output.js';

export const USAGE = `Usage: npm run report -- <results...> [--out DIR]

Merges saved runs (each a results folder or its results.json) into one results.csv, report.md and
charts: shards of one sweep, several backends, several machines. A cell measured in several runs is
shown once per run.

Options:
  --out <dir>   where to write (default: results/report-<timestamp>)
  -h, --help    show this text

Examples:
  npm run report -- results/small-d-2026-11-27T10-00-00 results/large-d-2026-11-27T10-05-00
  npm run report -- shard-*/results.json --out merged`;

export async function main(argv: readonly string[]): Promise<number> {
  let values: { out?: string; help?: boolean };
  let paths: string[];
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    values = parsed.values;
    paths = parsed.positionals;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (paths.length === 0) {
    console.error(`error: no results given\n\n${USAGE}`);
    return 2;
  }
  const runs: RunResults[] = [];
  try {
    for (const path of paths) runs.push(await readRunResults(path));
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  const dir = values.out ?? join('results', `report-${new Date().toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-')}`);
  await mkdir(dir, { recursive: true });
  const merged = mergeRuns(runs);
  const labels = runs.map((run, index) => runLabel(run, index));
  await writeFile(join(dir, 'results.csv'), renderCsv(merged.cells, { runOf: (cell) => labels[(cell as TaggedCell).run]! }));
  await writeReport(dir, runs);
  console.error(`merged ${runs.length} run(s), ${merged.cells.length} cells, into ${dir}/results.csv and ${dir}/report.md`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
