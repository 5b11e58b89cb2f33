/** The comparison as the command lines call it: compare two runs and render the markdown summary. */
import type { RunResults } from '../results/run.js';
import { compareRuns } from './compare.js';
import type { CompareOptions, Comparison } from './comparison.js';
import { renderComparison } from './markdown.js';
import { readRunResults } from '../results/read.js';

export interface RenderedComparison {
  comparison: Comparison;
  /** The markdown summary: print it, write it to $GITHUB_STEP_SUMMARY or post it on the PR. */
  markdown: string;
}

/** Compares two runs in memory (bench --baseline: the run just finished against the baseline it read first). */
export function compareAndRender(baseline: RunResults, current: RunResults, options: CompareOptions = {}): RenderedComparison {
  const comparison = compareRuns(baseline, current, options);
  return { comparison, markdown: renderComparison(comparison) };
}

/** Compares two results on disk (each a results.json or its folder); errors name the file. */
export async function compareFiles(
  baselinePath: string,
  currentPath: string,
  options: CompareOptions = {},
): Promise<RenderedComparison> {
  return compareAndRender(await readRunResults(baselinePath), await readRunResults(currentPath), options);
}
