/** The charts `chartSpecs` builds, by name, with the alt text a report gives them (no vega import needed). */
export const CHART_TITLES = {
  time: 'time per step',
  memory: 'peak memory per strategy',
  flops: 'FLOPs per strategy',
} as const;

export type ChartName = keyof typeof CHART_TITLES;
