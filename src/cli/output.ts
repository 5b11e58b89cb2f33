/** Writes a results folder: results.csv, results.json, report.md and its SVG charts (a crossover chart per sweep), every file atomically. */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chartRows, chartSpecs, crossoverChartFile, crossoverChartSpecs, mergeRuns, renderCsv, renderReport, renderSvg } from '../report/index.js';
import { GITHUB_ACTION_BENCHMARK_FILE, renderGithubActionBenchmark } from '../report/formats/github-action-benchmark.js';
import type { RunResults } from '../types.js';
import { writeFilesAtomically, writeTargetOf, type OutputFile, type WriteFunction } from './write-atomic.js';

/** Scenario names a default folder name spells out; the others are counted (`+3-more`). */
const NAMED_SCENARIOS = 3;
/** The longest scenario part of a default folder name: file systems allow 255 bytes per name, and the timestamp follows. */
const MAX_NAME_LENGTH = 80;

/**
 * `results/small-d-2026-11-27T13-45-02`: the default folder for a run of these scenarios. At most three names,
 * then `+N-more`, cut to 80 characters, so that 25 scenarios or a 260-character name still make a valid name;
 * the timestamp (to the second) always stays.
 */
export function defaultOutputDir(scenarioNames: readonly string[], date = new Date()): string {
  const stamp = date.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  const more = scenarioNames.length > NAMED_SCENARIOS ? `+${scenarioNames.length - NAMED_SCENARIOS}-more` : '';
  const named = scenarioNames.slice(0, NAMED_SCENARIOS).join('+') || 'no-scenario';
  const name = `${named.slice(0, MAX_NAME_LENGTH - more.length).replace(/[+-]+$/, '')}${more}`;
  return join('results', `${name}-${stamp}`);
}

/** Formats a results folder can hold beside CSV, JSON and markdown (`--format`). */
export const RESULT_FORMATS = ['github-action-benchmark'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** The raw results (CSV, JSON and the formats asked for), rendered: the files and their contents. */
function rawResultFiles(dir: string, results: RunResults, formats: readonly ResultFormat[] = []): OutputFile[] {
  return [
    { path: join(dir, 'results.csv'), data: renderCsv(results.cells, { scenarios: results.scenarios }) },
    { path: join(dir, 'results.json'), data: `${JSON.stringify(results, null, 2)}\n` },
    ...(formats.includes('github-action-benchmark') ? [{ path: join(dir, GITHUB_ACTION_BENCHMARK_FILE), data: renderGithubActionBenchmark(results.cells) }] : []),
  ];
}

/** Writes the raw results only (CSV and JSON), each atomically. */
export async function writeRawResults(dir: string, results: RunResults, options: { write?: WriteFunction } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFilesAtomically(rawResultFiles(dir, results), options);
}

/**
 * Writes a run whole: results.csv, results.json, the charts, then report.md. Called after every scenario, so
 * that an interrupted run keeps what it measured. Every file is first written beside its old one and renamed
 * over it only once all are written: a full disk or any failed write leaves the old set whole (an
 * OutputWriteError names the file), and a report.md, where there is one, always describes the results.json
 * beside it (the old one is removed just before the renames, the new one renamed last). Returns the files
 * written.
 */
export async function writeRun(dir: string, results: RunResults, options: { write?: WriteFunction; formats?: readonly ResultFormat[] } = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const report = await renderReportFiles(dir, results);
  const files = [...rawResultFiles(dir, results, options.formats), ...report.files];
  await writeFilesAtomically(files, { ...options, beforeRename: async () => rm(await writeTargetOf(join(dir, 'report.md')), { force: true }) });
  await removeFiles(report.stale);
  return files.map(({ path }) => path);
}

/** Writes the charts and report.md for one or several runs, atomically; returns the files written. */
export async function writeReport(dir: string, runs: RunResults | RunResults[], options: { write?: WriteFunction; extra?: OutputFile[] } = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const report = await renderReportFiles(dir, runs);
  const files = [...(options.extra ?? []), ...report.files];
  await writeFilesAtomically(files, options);
  await removeFiles(report.stale);
  return report.files.map(({ path }) => path);
}

async function removeFiles(paths: readonly string[]): Promise<void> {
  for (const path of paths) await rm(path, { force: true });
}

/**
 * A chart as SVG, or null where vega cannot draw it: a spec of thousands of cells overflows its expression parser's
 * stack. The report then goes without that chart rather than the run without its report.
 */
async function renderChart(spec: Parameters<typeof renderSvg>[0]): Promise<string | null> {
  try {
    return await renderSvg(spec);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/**
 * The charts and report.md of one or several runs, rendered (report.md last), and the files in `dir` that must
 * go once they are written: charts left from an earlier run into this folder, which would describe other data.
 */
async function renderReportFiles(dir: string, runs: RunResults | RunResults[]): Promise<{ files: OutputFile[]; stale: string[] }> {
  const list = Array.isArray(runs) ? runs : [runs];
  const files: OutputFile[] = [];
  const stale: string[] = [];
  const charts: Record<string, string> = {};
  const cells = list.flatMap((run) => run.cells);
  // No cell to chart (an empty shard, a run whose every cell failed): no empty charts, and none left from before.
  const chartable = chartRows(cells).length > 0;
  for (const [name, spec] of Object.entries(chartSpecs(cells))) {
    const file = `${name}.svg`;
    if (!chartable) {
      stale.push(join(dir, file));
      continue;
    }
    const svg = await renderChart(spec);
    if (svg === null) {
      stale.push(join(dir, file));
      continue;
    }
    files.push({ path: join(dir, file), data: svg });
    charts[name] = file;
  }
  const crossoverCharts: Record<string, string> = {};
  for (const [sweep, spec] of crossoverChartSpecs(mergeRuns(list))) {
    const file = crossoverChartFile(sweep);
    const svg = await renderChart(spec);
    if (svg === null) continue;
    files.push({ path: join(dir, file), data: svg });
    crossoverCharts[sweep] = file;
  }
  // A sweep's chart left from an earlier run into this folder would describe other data.
  const kept = Object.values(crossoverCharts);
  stale.push(...(await readdir(dir)).filter((file) => /^crossover-.+\.svg$/.test(file) && !kept.includes(file)).map((file) => join(dir, file)));
  files.push({ path: join(dir, 'report.md'), data: renderReport(list.length === 1 ? list[0]! : list, { charts, crossoverCharts }) });
  return { files, stale };
}
