/** Writes a results folder: results.csv, results.json, report.md and its SVG charts (a crossover chart per sweep). */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartRows, chartSpecs, crossoverChartFile, crossoverChartSpecs, mergeRuns, renderCsv, renderReport, renderSvg } from '../report/index.js';
import type { RunResults } from '../types.js';

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

/** Writes the raw results only (CSV and JSON). */
export async function writeRawResults(dir: string, results: RunResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.csv'), renderCsv(results.cells, { scenarios: results.scenarios }));
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/**
 * Writes a run whole: results.csv, results.json, the charts, then report.md, after removing the old
 * report.md. Called after every scenario, so that an interrupted run keeps what it measured, and a report.md,
 * where there is one, always describes the results.json beside it (never an older run's, never a half-written
 * set). Returns the files written.
 */
export async function writeRun(dir: string, results: RunResults): Promise<string[]> {
  await rm(join(dir, 'report.md'), { force: true });
  await writeRawResults(dir, results);
  return [join(dir, 'results.csv'), join(dir, 'results.json'), ...(await writeReport(dir, results))];
}

/** Writes the charts and report.md for one or several runs; returns the files written. */
export async function writeReport(dir: string, runs: RunResults | RunResults[]): Promise<string[]> {
  const list = Array.isArray(runs) ? runs : [runs];
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const charts: Record<string, string> = {};
  const cells = list.flatMap((run) => run.cells);
  // No cell to chart (an empty shard, a run whose every cell failed): no empty charts, and none left from before.
  const chartable = chartRows(cells).length > 0;
  for (const [name, spec] of Object.entries(chartSpecs(cells))) {
    const file = `${name}.svg`;
    if (!chartable) {
      await rm(join(dir, file), { force: true });
      continue;
    }
    await writeFile(join(dir, file), await renderSvg(spec));
    charts[name] = file;
    written.push(join(dir, file));
  }
  const crossoverCharts: Record<string, string> = {};
  for (const [sweep, spec] of crossoverChartSpecs(mergeRuns(list))) {
    const file = crossoverChartFile(sweep);
    await writeFile(join(dir, file), await renderSvg(spec));
    crossoverCharts[sweep] = file;
    written.push(join(dir, file));
  }
  // A sweep's chart left from an earlier run into this folder would describe other data.
  const stale = (await readdir(dir)).filter((file) => /^crossover-.+\.svg$/.test(file) && !Object.values(crossoverCharts).includes(file));
  for (const file of stale) await rm(join(dir, file), { force: true });
  await writeFile(join(dir, 'report.md'), renderReport(list.length === 1 ? list[0]! : list, { charts, crossoverCharts }));
  written.push(join(dir, 'report.md'));
  return written;
}
