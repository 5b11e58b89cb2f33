/** The strategy ids, in the order reports list them (the post's 1, 2, 3, then the two-tape reference). */
export const STRATEGY_IDS = ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];
