/**
 * Vega-Lite charts of the measurements, with the data inline in each spec, and an SVG renderer for Node
 * (vega-lite compile → vega View with no renderer → SVG). The CLI writes the SVGs; `renderReport` links them.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { STRATEGY_IDS } from '../../strategies/ids.js';
import type { ChartName } from './chart-titles.js';
import type { MaybeTaggedCell } from '../claims/claims.js';

export { CHART_TITLES, type ChartName } from './chart-titles.js';

export type VegaLiteSpec = TopLevelSpec;

/** One bar: an ok cell's numbers, flat, as the specs' inline data. */
export interface ChartRow {
  scenario: string;
  strategy: string;
  /** Backend and device, and the run when cells come from several. */
  series: string;
  meanMs: number | null;
  lowerMs: number | null;
  upperMs: number | null;
  rmePct: number | null;
  peakKiB: number | null;
  retainedKiB: number | null;
  flops: number | null;
  flopsPredicted: number | null;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The inline data rows: one per ok cell, in the order given. */
export function chartRows(cells: readonly MaybeTaggedCell[]): ChartRow[] {
  const severalRuns = new Set(cells.map((cell) => cell.run)).size > 1;
  return cells
    .filter((cell) => cell.status === 'ok')
    .map((cell) => {
      const timing = cell.timing;
      const series = `${cell.backend} · ${cell.device}${severalRuns && cell.run != null ? ` · run ${cell.run + 1}` : ''}`;
      return {
        scenario: cell.scenario,
        strategy: cell.strategy,
        series,
        meanMs: timing?.meanMs ?? null,
        lowerMs: timing ? timing.meanMs * (1 - timing.rmePct / 100) : null,
        upperMs: timing ? timing.meanMs * (1 + timing.rmePct / 100) : null,
        rmePct: timing?.rmePct ?? null,
        peakKiB: cell.peakBytes == null ? null : cell.peakBytes / 1024,
        retainedKiB: cell.retainedBytes == null ? null : cell.retainedBytes / 1024,
        flops: cell.flops,
        flopsPredicted: cell.flopsPredicted,
      };
    });
}

/** Bars per strategy, grouped by series, one panel per scenario (four a row); `layers` add marks over the shared x axis. */
function facetedBars(title: string, rows: ChartRow[], layers: readonly object[]): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    // Four panels a row, in the run's order: a sweep's dozen variants would otherwise make one chart thousands of
    // pixels wide, in alphabetical order.
    facet: { field: 'scenario', type: 'nominal', title: null, sort: [...new Set(rows.map((row) => row.scenario))] },
    columns: 4,
    spec: {
      width: 200,
      height: 200,
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: [...STRATEGY_IDS], title: null, axis: { labelAngle: -30 } },
        xOffset: { field: 'series', type: 'nominal' },
        color: { field: 'series', type: 'nominal', title: 'backend · device' },
      },
      layer: layers,
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}

/** The three charts of these cells (ok cells only): time with its margin of error, peak memory, FLOPs. */
export function chartSpecs(cells: readonly MaybeTaggedCell[]): Record<ChartName, VegaLiteSpec> {
  const rows = chartRows(cells);
  return {
    time: facetedBars('Time per training step (mean, 95% margin of error)', rows, [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'meanMs', type: 'quantitative', title: 'ms per step' },
          tooltip: [
            { field: 'meanMs', format: '.3~f' },
            { field: 'rmePct', format: '.1f' },
          ],
        },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          y: { field: 'lowerMs', type: 'quantitative', title: 'ms per step' },
          y2: { field: 'upperMs' },
          color: { value: 'black' },
        },
      },
    ]),
    memory: facetedBars('Peak tensor memory per step (beyond the memory live before it)', rows, [
      { mark: 'bar', encoding: { y: { field: 'peakKiB', type: 'quantitative', title: 'KiB' } } },
    ]),
    flops: facetedBars('FLOPs per step (bars: measured from kernels; ticks: predicted from shapes)', rows, [
      {
        mark: 'bar',
        encoding: { y: { field: 'flops', type: 'quantitative', title: 'FLOPs', axis: { format: '~s' } } },
      },
      {
        mark: { type: 'tick', thickness: 2 },
        encoding: { y: { field: 'flopsPredicted', type: 'quantitative' }, color: { value: 'black' } },
      },
    ]),
  };
}

/** Renders a Vega-Lite spec to SVG text, headless (no canvas, no DOM). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
