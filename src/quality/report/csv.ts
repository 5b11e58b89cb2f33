/**
 * quality.csv: one row per scenario x backend x regularizer x strategy x seed x checkpoint x metric, long format, so
 * that any tool can pivot it: `scenario, backend, strategy, seed, step, seconds, metric, value`. A value that is
 * undefined at that checkpoint (the KL of an empty mode histogram) is empty. Failed trainings keep the rows they
 * reached; every row says how its training ended (`status`: ok, errored, diverged) and, for a diverged one, the step
 * where its values became non-finite (`diverged_at_step`; its rows stop before it), and D's gradient penalty it
 * trained with (`regularizer`; a column added last, so that readers of the earlier columns read them as before).
 */
import { stringify } from 'csv-stringify/sync';
import type { QualityResults } from '../results.js';

export const QUALITY_CSV_COLUMNS = ['scenario', 'backend', 'strategy', 'seed', 'step', 'seconds', 'metric', 'value', 'status', 'diverged_at_step', 'regularizer'] as const;

/** The CSV text of every checkpoint of every run. */
export function renderQualityCsv(results: QualityResults): string {
  const rows: Array<Array<string | number>> = [];
  for (const scenario of results.scenarios) {
    for (const run of scenario.runs) {
      const ended = [run.status, run.status === 'diverged' ? run.diverged.step : ''];
      for (const point of run.curve) {
        for (const metric of scenario.metrics) {
          const value = point.values[metric];
          rows.push([scenario.scenario, scenario.backend, run.strategy, run.seed, point.step, point.seconds, metric, value ?? '', ...ended, scenario.regularizer]);
        }
      }
    }
  }
  return stringify(rows, { header: true, columns: [...QUALITY_CSV_COLUMNS] });
}
