import type { StrategyId } from './ids.js';

/** The strategies whose one forward serves D's loss and G's loss: no WGAN-GP loop of nCritic critic steps fits them. */
const NO_CRITIC_LOOP: readonly StrategyId[] = ['retain-graph', 'single-forward', 'retain-graph-printed', 'detach-d-first-printed'];

/**
 * The strategy timings and equivalence are measured against: the post's strategy 1 when it runs. Under WGAN-GP it
 * cannot (one forward cannot give nCritic critic steps per generator step): then PyTorch-GAN's own loop,
 * detach-d-first, or the first strategy that has a critic loop. Decided here only; the PyTorch worker is told it in
 * `setup`.
 */
export function referenceStrategy(ids: readonly StrategyId[], regularizer = 'none'): StrategyId {
  if (regularizer === 'wgan-gp' || regularizer === 'wgan-gp-detached') {
    if (ids.includes('detach-d-first')) return 'detach-d-first';
    const fitting = ids.find((id) => !NO_CRITIC_LOOP.includes(id));
    if (fitting) return fitting;
  }
  return ids.includes('retain-graph') ? 'retain-graph' : ids[0]!;
}
