/**
 * The strategies that train: the post's 1, 2, 3 as PyTorch runs them, the two-gradient reference, and pix2pix's
 * alternating update with D frozen for G's step.
 */
export const RUNNABLE_STRATEGY_IDS = ['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'] as const;

/** The post's strategies 1 and 2 exactly as printed: PyTorch raises an error running them, and so do these. */
export const AS_PRINTED_STRATEGY_IDS = ['retain-graph-printed', 'detach-d-first-printed'] as const;

/** Every strategy id, in the order reports list them. */
export const STRATEGY_IDS = [...RUNNABLE_STRATEGY_IDS, ...AS_PRINTED_STRATEGY_IDS] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];
