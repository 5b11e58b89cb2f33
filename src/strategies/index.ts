/** The strategy registry: every strategy the harness can run, by id. */
import { detachDiscriminatorFirst } from './detach-d-first.js';
import { detachDiscriminatorFirstPrinted } from './detach-d-first-printed.js';
import { frozenDiscriminator } from './frozen-d.js';
import { generatorFirst } from './g-first.js';
import { AS_PRINTED_STRATEGY_IDS, RUNNABLE_STRATEGY_IDS, STRATEGY_IDS, type StrategyId } from './ids.js';
import { retainGraph } from './retain-graph.js';
import { retainGraphPrinted } from './retain-graph-printed.js';
import { singleForward } from './single-forward.js';
import type { Strategy } from './strategy.js';

export { AS_PRINTED_STRATEGY_IDS, RUNNABLE_STRATEGY_IDS, STRATEGY_IDS, type StrategyId };

export const strategies: Readonly<Record<StrategyId, Strategy>> = {
  'retain-graph': retainGraph,
  'detach-d-first': detachDiscriminatorFirst,
  'g-first': generatorFirst,
  'single-forward': singleForward,
  'frozen-d': frozenDiscriminator,
  'retain-graph-printed': retainGraphPrinted,
  'detach-d-first-printed': detachDiscriminatorFirstPrinted,
};

/** The strategy with this id; throws with the list of known ids otherwise. */
export function getStrategy(id: string): Strategy {
  if (!(STRATEGY_IDS as readonly string[]).includes(id)) {
    throw new Error(`unknown strategy '${id}' (known: ${STRATEGY_IDS.join(', ')})`);
  }
  return strategies[id as StrategyId];
}
