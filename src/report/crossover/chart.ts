/**
 * The crossover chart of a sweep (Vega-Lite, data inline, rendered by `renderSvg`): each strategy's mean step
 * time over g-first's in the same variant, against D/G MACs per sample on a log axis, one line per strategy and
 * batch size, one panel per backend; a vertical rule at D/G = 1, where the post's rule of thumb switches.
 */
import { STRATEGY_IDS } from '../../strategies/ids.js';
import type { VegaLiteSpec } from '../charts/charts.js';
import type { CrossoverPoint } from './crossover.js';
import { crossoverGroups, sweepsOf } from './section.js';
import type { MergedRuns } from '../merge.js';

/** One point of the chart. */
export interface CrossoverChartRow {
  /** The panel: backend and device (and run). */
  series: string;
  strategy: string;
  batch: number;
  scenario: string;
  dToG: number;
  /** Mean step time over g-first's in the same variant. */
  relative: number;
  meanMs: number;
  rmePct: number;
}

/** The chart's rows: every timed strategy of every variant where g-first was timed. */
export function crossoverChartRows(groups: readonly { series: string; points: readonly CrossoverPoint[] }[]): CrossoverChartRow[] {
  return groups.flatMap(({ series, points }) =>
    points.flatMap((point) => {
      const reference = point.times['g-first'];
      if (!reference || reference.meanMs <= 0) return [];
      return STRATEGY_IDS.flatMap((strategy) => {
        const time = point.times[strategy];
        return time
          ? [{ series, strategy, batch: point.batchSize, scenario: point.scenario, dToG: point.dToG, relative: time.meanMs / reference.meanMs, meanMs: time.meanMs, rmePct: time.rmePct }]
          : [];
      });
    }),
  );
}

/** The chart's Vega-Lite spec; `title` names the sweep. */
export function crossoverChartSpec(title: string, rows: readonly CrossoverChartRow[]): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'series', type: 'nominal', title: null } },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'dToG', type: 'quantitative', scale: { type: 'log', nice: false, padding: 8 }, title: 'D/G MACs per sample (log)' },
            y: { field: 'relative', type: 'quantitative', scale: { type: 'log', nice: false, padding: 8 }, title: 'time per step ÷ g-first (log)' },
            color: { field: 'strategy', type: 'nominal', sort: [...STRATEGY_IDS], title: 'strategy' },
            // One line per strategy and batch size: the batch size sets the dash and the point's shape.
            strokeDash: { field: 'batch', type: 'nominal', sort: 'ascending', legend: null },
            shape: { field: 'batch', type: 'nominal', sort: 'ascending', title: 'batch size' },
            tooltip: [
              { field: 'scenario' },
              { field: 'strategy' },
              { field: 'dToG', format: '.3~g' },
              { field: 'relative', format: '.3f' },
              { field: 'meanMs', format: '.3~f' },
              { field: 'rmePct', format: '.1f' },
            ],
          },
        },
        // The post's rule switches at D/G = 1.
        { mark: { type: 'rule', strokeDash: [2, 2], color: 'gray' }, encoding: { x: { datum: 1 } } },
      ],
    },
  } as VegaLiteSpec;
}

/**
 * Every sweep's crossover chart among these runs, by sweep name; a sweep with nothing to chart (no variant where
 * g-first and another strategy were timed) has none.
 */
export function crossoverChartSpecs(merged: Pick<MergedRuns, 'scenarios' | 'cells'>): Map<string, VegaLiteSpec> {
  const specs = new Map<string, VegaLiteSpec>();
  for (const [name, variants] of sweepsOf(merged.scenarios)) {
    const rows = crossoverChartRows(crossoverGroups(variants, merged.cells));
    if (rows.length > 0) specs.set(name, crossoverChartSpec(`${name}: time per step relative to g-first against D/G MACs per sample`, rows));
  }
  return specs;
}

/** The file a sweep's chart is written to, beside report.md (a sweep's name is lower-case letters, digits and dashes). */
export const crossoverChartFile = (sweep: string) => `crossover-${sweep}.svg`;
