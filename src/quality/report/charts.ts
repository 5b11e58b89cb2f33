/**
 * The quality run's charts as Vega-Lite specs with their data inline (rendered to SVG by src/report/charts.ts's
 * `renderSvg`): each metric against steps and against seconds, one line per strategy (the mean over seeds) with
 * its seed band (min to max over seeds); the generated points of the 2-D mixtures over their modes; the
 * Dirac-GAN's trajectories, theta against psi.
 */
import type { VegaLiteSpec } from '../../report/charts/charts.js';
import { RUNNABLE_STRATEGY_IDS, type StrategyId } from '../../strategies/ids.js';
import { METRIC_TITLES, type MetricId } from '../../scenario/metric-ids.js';
import { GRID, RING } from '../data/mixtures.js';
import type { QualityScenarioResult } from '../results.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const STRATEGY_ORDER = [...RUNNABLE_STRATEGY_IDS];

/** One point of a curve chart: a strategy's mean and range over seeds at one checkpoint. */
export interface CurveRow {
  strategy: StrategyId;
  step: number;
  seconds: number;
  mean: number;
  low: number;
  high: number;
  seeds: number;
}

/** The rows of `metric`'s curves: per strategy and checkpoint, over the seeds that have a value there. */
export function curveRows(result: QualityScenarioResult, metric: MetricId): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const strategy of result.strategies) {
    const runs = result.runs.filter((run) => run.strategy === strategy);
    const steps = [...new Set(runs.flatMap((run) => run.curve.map((point) => point.step)))].sort((a, b) => a - b);
    for (const step of steps) {
      const points = runs.map((run) => run.curve.find((point) => point.step === step)).filter((point) => point !== undefined);
      const values = points.map((point) => point.values[metric]).filter((value): value is number => value != null && Number.isFinite(value));
      if (values.length === 0) continue;
      rows.push({
        strategy,
        step,
        seconds: points[0]!.seconds,
        mean: values.reduce((a, b) => a + b, 0) / values.length,
        low: Math.min(...values),
        high: Math.max(...values),
        seeds: values.length,
      });
    }
  }
  return rows;
}

/** `metric` against steps or seconds: a line per strategy, its seed band, and the threshold as a rule. */
export function curveSpec(result: QualityScenarioResult, metric: MetricId, axis: 'step' | 'seconds'): VegaLiteSpec {
  const x = { field: axis, type: 'quantitative', title: axis === 'step' ? 'training steps' : 'seconds (steps x measured ms per step)' };
  const color = { field: 'strategy', type: 'nominal', sort: STRATEGY_ORDER, title: 'strategy' };
  const layers: object[] = [
    { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
    {
      mark: { type: 'line', point: result.evaluateEvery * 50 >= result.steps ? { size: 12 } : false },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative', title: METRIC_TITLES[metric] },
        color,
        strokeDash: { field: 'strategy', type: 'nominal', sort: STRATEGY_ORDER, legend: null },
        tooltip: [{ field: 'strategy' }, { field: 'step' }, { field: 'seconds', format: '.3~f' }, { field: 'mean', format: '.4~f' }, { field: 'seeds' }],
      },
    },
  ];
  if (result.threshold.metric === metric) {
    layers.push({ data: { values: [{ threshold: result.threshold.value }] }, mark: { type: 'rule', strokeDash: [2, 2], color: 'gray' }, encoding: { y: { field: 'threshold', type: 'quantitative' } } });
  }
  return {
    $schema: SCHEMA,
    title: `${result.scenario} (${result.backend}): ${METRIC_TITLES[metric]} against ${axis === 'step' ? 'steps' : 'seconds'}; mean and range over ${result.seeds} seed${result.seeds === 1 ? '' : 's'}`,
    width: 420,
    height: 260,
    data: { values: curveRows(result, metric) },
    layer: layers,
  } as VegaLiteSpec;
}

/**
 * Seed 0's generated points at the last checkpoint, one panel per strategy, over the modes' means (red), on
 * PacGAN's figure range for the grid ([-6, 6]) and a matching one for the ring; points outside are not drawn.
 */
export function scatterSpec(result: QualityScenarioResult, samples: ReadonlyMap<StrategyId, Float32Array>, pointsPerPanel = 1000): VegaLiteSpec {
  const mixture = result.source === 'grid' ? GRID : RING;
  const extent = result.source === 'grid' ? 6 : 1.5;
  const points = [...samples.entries()].flatMap(([strategy, values]) =>
    Array.from({ length: Math.min(pointsPerPanel, values.length / 2) }, (_, i) => ({ strategy, x: values[2 * i]!, y: values[2 * i + 1]! })),
  );
  const modes = STRATEGY_ORDER.filter((id) => samples.has(id)).flatMap((strategy) => mixture.means.map(([x, y]) => ({ strategy, x, y })));
  const scale = { domain: [-extent, extent] };
  return {
    $schema: SCHEMA,
    title: `${result.scenario} (${result.backend}): seed 0's generated points after ${result.steps} steps (red: the modes' means)`,
    data: { values: [...points.map((p) => ({ ...p, kind: 'generated' })), ...modes.map((p) => ({ ...p, kind: 'mode' }))] },
    facet: { column: { field: 'strategy', type: 'nominal', sort: STRATEGY_ORDER, title: null } },
    spec: {
      width: 200,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'generated'" }],
          mark: { type: 'circle', size: 6, opacity: 0.35, color: 'black', clip: true },
          encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale } },
        },
        {
          transform: [{ filter: "datum.kind === 'mode'" }],
          mark: { type: 'point', shape: 'cross', size: 60, color: 'red', filled: true },
          encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale } },
        },
      ],
    },
  } as VegaLiteSpec;
}

/** The Dirac-GAN's trajectories, (theta, psi) at every checkpoint of seed 0, one line per strategy; + the equilibrium. */
export function diracSpec(result: QualityScenarioResult): VegaLiteSpec {
  const rows = result.runs
    .filter((run) => run.seed === 0)
    .flatMap((run) => run.curve.map((point) => ({ strategy: run.strategy, step: point.step, theta: point.values.theta, psi: point.values.psi })));
  const color = { field: 'strategy', type: 'nominal', sort: STRATEGY_ORDER, title: 'strategy' };
  return {
    $schema: SCHEMA,
    title: `${result.scenario} (${result.backend}): (theta, psi) over ${result.steps} steps from (1, 1); the equilibrium is (0, 0)`,
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'theta', type: 'quantitative', title: 'theta (G)' },
          y: { field: 'psi', type: 'quantitative', title: 'psi (D)' },
          order: { field: 'step', type: 'quantitative' },
          color,
          strokeDash: { field: 'strategy', type: 'nominal', sort: STRATEGY_ORDER, legend: null },
        },
      },
      {
        data: { values: [{ theta: 0, psi: 0 }] },
        mark: { type: 'point', shape: 'cross', size: 80, color: 'red', filled: true },
        encoding: { x: { field: 'theta', type: 'quantitative' }, y: { field: 'psi', type: 'quantitative' } },
      },
    ],
  } as VegaLiteSpec;
}
