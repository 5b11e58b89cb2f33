/**
 * Which pictures a quality run gets, and their file names: per scenario (on each backend, under each regularizer),
 * each metric's curves against steps and against seconds, the 2-D points over the modes, the digits per strategy,
 * the Dirac-GAN's trajectories. Data in, specs and bytes out: the CLI renders the SVGs (src/report/charts.ts
 * `renderSvg`) and writes the files.
 */
import type { VegaLiteSpec } from '../../report/charts/charts.js';
import { curveSpec, diracSpec, scatterSpec } from './charts.js';
import { renderDigitGrid } from './digit-grid.js';
import type { Regularizer } from '../../scenario/regularizer.js';
import type { QualityScenarioResult } from '../results.js';
import { samplesKey, type QualityRun } from '../training/run.js';

/** Which result a picture is of: one scenario on one backend under one regularizer. */
interface FigureOf {
  scenario: string;
  backend: string;
  regularizer: Regularizer;
}

/** A picture of one scenario on one backend under one regularizer. */
export type Figure =
  | (FigureOf & { file: string; caption: string; kind: 'svg'; spec: VegaLiteSpec })
  | (FigureOf & { file: string; caption: string; kind: 'png'; bytes: Buffer });

/** Whether `figure` is a picture of `result`. */
export function isFigureOf(figure: FigureOf, result: Pick<QualityScenarioResult, 'scenario' | 'backend' | 'regularizer'>): boolean {
  return figure.scenario === result.scenario && figure.backend === result.backend && figure.regularizer === result.regularizer;
}

/** Every figure of the run, in the order the report shows them. */
export function qualityFigures({ results, finalSamples }: QualityRun): Figure[] {
  const figures: Figure[] = [];
  for (const result of results.scenarios) {
    if (result.error || result.runs.length === 0) continue;
    const name = result.scenario;
    const { backend, regularizer } = result;
    // The regularizer names the files only where the scenario trained on that backend under several of them.
    const regularizers = new Set(results.scenarios.filter((other) => other.scenario === name && other.backend === backend).map((other) => other.regularizer));
    const prefix = `quality-${name}-${backend}${regularizers.size > 1 ? `-${regularizer}` : ''}`;
    const samples = finalSamples.get(samplesKey(result));
    if (result.source === 'dirac') {
      figures.push({ scenario: name, backend, regularizer, file: `${prefix}-trajectories.svg`, caption: 'theta against psi', kind: 'svg', spec: diracSpec(result) });
    }
    for (const metric of result.metrics) {
      if (result.source === 'dirac' && metric !== 'distance') continue; // theta and psi are in the trajectory chart
      for (const axis of ['step', 'seconds'] as const) {
        figures.push({
          scenario: name,
          backend,
          regularizer,
          file: `${prefix}-${metric}-${axis === 'step' ? 'steps' : 'seconds'}.svg`,
          caption: `${metric} against ${axis === 'step' ? 'steps' : 'seconds'}`,
          kind: 'svg',
          spec: curveSpec(result, metric, axis),
        });
      }
    }
    if ((result.source === 'ring' || result.source === 'grid') && samples && samples.size > 0) {
      figures.push({ scenario: name, backend, regularizer, file: `${prefix}-points.svg`, caption: 'generated points over the modes', kind: 'svg', spec: scatterSpec(result, samples) });
    }
    if (result.source === 'mnist' && samples) {
      for (const [strategy, digits] of samples) {
        figures.push({ scenario: name, backend, regularizer, file: `${prefix}-digits-${strategy}.png`, caption: `${strategy}: seed 0's digits after ${result.steps} steps`, kind: 'png', bytes: renderDigitGrid(digits) });
      }
    }
  }
  return figures;
}
