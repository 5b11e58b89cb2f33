/** The `--strategies a,b` value every command takes: known ids, each once; errors name the flag. */
import { DISTRIBUTED_ONLY_STRATEGY_IDS, isDistributedOnly, type CellStrategyId, type DistributedOnlyStrategyId } from '../strategies/ids.js';
import { getStrategy, STRATEGY_IDS, type StrategyId } from '../strategies/index.js';
import { messageOf, UsageError } from './exit.js';

/** Parses a comma-separated list of strategy ids; a UsageError names the flag and the id at fault. */
export function parseStrategyList(text: string, flag = '--strategies'): StrategyId[] {
  return parseIds(text, flag, (id) => getStrategy(id).id);
}

/**
 * bench's list: the registry's ids and gan_ddp's distributed-only ones (cells at world size > 1 only), apart
 * (bench checks the world size and that the registry's part is not empty). A UsageError names the flag and the id.
 */
export function parseBenchStrategyList(text: string, flag = '--strategies'): { registry: StrategyId[]; distributedOnly: DistributedOnlyStrategyId[] } {
  const ids = parseIds<CellStrategyId>(text, flag, (id) => {
    if (isDistributedOnly(id)) return id;
    try {
      return getStrategy(id).id;
    } catch {
      throw new Error(`unknown strategy '${id}' (known: ${[...STRATEGY_IDS, ...DISTRIBUTED_ONLY_STRATEGY_IDS].join(', ')}; the last ${DISTRIBUTED_ONLY_STRATEGY_IDS.length} at --world-size > 1 only)`);
    }
  });
  return { registry: ids.filter((id): id is StrategyId => !isDistributedOnly(id)), distributedOnly: ids.filter(isDistributedOnly) };
}

function parseIds<Id extends string>(text: string, flag: string, known: (id: string) => Id): Id[] {
  try {
    const ids = text.split(',').map((id) => id.trim()).filter(Boolean).map(known);
    if (ids.length === 0) throw new Error('names no strategy');
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Error(`lists ${twice} twice`);
    return ids;
  } catch (error) {
    throw new UsageError(`${flag}: ${messageOf(error)}`, { cause: error });
  }
}
