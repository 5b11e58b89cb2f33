/**
 * The cells as github-action-benchmark's `customSmallerIsBetter` input (data in, string out): one entry per measured
 * cell, so that a repository's existing benchmark-tracking action charts the harness's cells over commits. Each
 * entry's name is the cell's key in words (src/results/key.ts), its value the mean ms per step, its range the relative
 * margin of error; `extra` says what ran and the counts that must not move. A stopped cell has no timing: it is left
 * out (the action has no way to say "errored"), and results.csv keeps its row.
 */
import { describeKey, varyingDimensions } from '../../results/key.js';
import type { CellResult } from '../../results/cell.js';

/** The file name in a results folder. */
export const GITHUB_ACTION_BENCHMARK_FILE = 'github-action-benchmark.json';

/** One entry as the action reads it (benchmark-action/github-action-benchmark: `customSmallerIsBetter`). */
export interface CustomBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/** The measured cells as entries: ms per step, smaller is better. */
export function githubActionBenchmarkEntries(cells: readonly CellResult[]): CustomBenchmarkEntry[] {
  // A framework version names an entry only where the run measured two (an upgrade must keep the series' names).
  const also = varyingDimensions(cells).filter((dimension) => dimension === 'framework');
  return cells.flatMap((cell): CustomBenchmarkEntry[] => {
    if (cell.status !== 'ok') return [];
    const extra = [
      `device: ${cell.device}`,
      `framework: ${cell.framework}`,
      `samples: ${cell.timing.samples}`,
      cell.timeRatio === null ? null : `time ratio to the reference strategy: ${cell.timeRatio.toFixed(3)}`,
      cell.flops === null ? null : `FLOPs per step: ${cell.flops}`,
    ].filter((line): line is string => line !== null);
    return [{ name: describeKey(cell, also), unit: 'ms/step', value: cell.timing.meanMs, range: `± ${cell.timing.rmePct.toFixed(1)}%`, extra: extra.join('\n') }];
  });
}

/** The file's text: the entries as a JSON array. */
export function renderGithubActionBenchmark(cells: readonly CellResult[]): string {
  return `${JSON.stringify(githubActionBenchmarkEntries(cells), null, 2)}\n`;
}
