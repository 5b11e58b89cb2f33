/** The comparison as the bench CLI and the compare CLI call it: read baseline results, compare, render. */
import type { RunResults } from '../types.js';
import { compareRuns } from './compare.js';
import type { CompareOptions, Comparison } from './comparison.js';
import { renderComparison } from './markdown.js';
import { readRunResults } from '../results/read.js';

export interface RenderedComparison {
  comparison: Comparison;
  /** The markdown summary: print it, write it to $GITHUB_STEP_SUMMARY or post it on the PR. */
  markdown: string;
}

/** Compares a run just finished with the results at `baselinePath` (a results.json or its folder). */
export async function compareAndRender(
  baselinePath: string,
  current: RunResults,
  options: CompareOptions = {},
): Promise<RenderedComparison> {
  const baseline = await readRunResults(baselinePath);
  const comparison = compareRuns(baseline, current, options);
  return { comparison, markdown: renderComparison(comparison) };
}

/** Compares two results on disk. */
export async function compareFiles(
  baselinePath: string,
  currentPath: string,
  options: CompareOptions = {},
): Promise<RenderedComparison> {
  const baseline = await readRunResults(baselinePath);
  const current = await readRunResults(currentPath);
  const comparison = compareRuns(baseline, current, options);
  return { comparison, markdown: renderComparison(comparison) };
}
