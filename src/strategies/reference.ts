import type { StrategyId } from './ids.js';

/**
 * The strategy timings and equivalence are measured against: the post's strategy 1 when it runs. Decided here
 * only; the PyTorch worker is told it in `setup`.
 */
export function referenceStrategy(ids: readonly StrategyId[]): StrategyId {
  return ids.includes('retain-graph') ? 'retain-graph' : ids[0]!;
}
