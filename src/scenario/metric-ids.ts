/**
 * The data sources a scenario can train on and the quality metrics each one supports, as data: the scenario
 * schema validates against these lists (so they belong to the scenario's vocabulary), the quality run computes them (src/quality/metrics/evaluate.ts), and
 * docs/quality.md explains each one.
 */

/** Where the real samples come from (`data.source`). */
export const DATA_SOURCES = ['uniform', 'ring', 'grid', 'mnist', 'dirac'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

/** Every quality metric, by id. */
export const METRIC_IDS = [
  'high-quality',
  'modes',
  'reverse-kl',
  'inception-score',
  'frechet-distance',
  'classes',
  'distance',
  'theta',
  'psi',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

/**
 * The metrics each source supports, in the order reports list them. 'uniform' (the timing benchmark's noise)
 * has no structure to measure, so it supports none and `npm run quality` refuses it.
 */
export const METRICS_BY_SOURCE: Readonly<Record<DataSource, readonly MetricId[]>> = {
  uniform: [],
  ring: ['high-quality', 'modes', 'reverse-kl'],
  grid: ['high-quality', 'modes', 'reverse-kl'],
  mnist: ['inception-score', 'frechet-distance', 'classes'],
  dirac: ['distance', 'theta', 'psi'],
};

/** How a metric is printed in tables and chart axes. */
export const METRIC_TITLES: Readonly<Record<MetricId, string>> = {
  'high-quality': 'high-quality samples (fraction)',
  modes: 'modes covered',
  'reverse-kl': 'reverse KL of the mode histogram',
  'inception-score': 'classifier Inception score',
  'frechet-distance': 'Frechet distance (classifier logits)',
  classes: 'digit classes covered',
  distance: 'distance of (theta, psi) to the equilibrium (0, 0)',
  theta: 'theta',
  psi: 'psi',
};
