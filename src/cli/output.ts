/** Writes a results folder: results.csv, results.json, report.md and its SVG charts. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartSpecs, renderCsv, renderReport, renderSvg } from '../report/index.js';
import type { RunResults } from '../types.js';

/** `results/small-d-2026-11-27T13-45-02`: the default folder for a run of these scenarios. */
export function defaultOutputDir(scenarioNames: readonly string[], date = new Date()): string {
  const stamp = date.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  return join('results', `${scenarioNames.join('+')}-${stamp}`);
}

/** Writes the raw results only (CSV and JSON): called after every scenario so that a crash loses nothing measured. */
export async function writeRawResults(dir: string, results: RunResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.csv'), renderCsv(results.cells));
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** Writes the raw results, the charts and report.md for one or several runs. */
export async function writeReport(dir: string, runs: RunResults | RunResults[]): Promise<string[]> {
  const list = Array.isArray(runs) ? runs : [runs];
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const charts: Record<string, string> = {};
  for (const [name, spec] of Object.entries(chartSpecs(list.flatMap((run) => run.cells)))) {
    const file = `${name}.svg`;
    await writeFile(join(dir, file), await renderSvg(spec));
    charts[name] = file;
    written.push(join(dir, file));
  }
  await writeFile(join(dir, 'report.md'), renderReport(list.length === 1 ? list[0]! : list, { charts }));
  written.push(join(dir, 'report.md'));
  return written;
}
