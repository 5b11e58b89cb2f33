/** The `--strategies a,b` value every command takes: known ids, each once; errors name the flag. */
import { getStrategy, type StrategyId } from '../strategies/index.js';
import { messageOf, UsageError } from './exit.js';

/** Parses a comma-separated list of strategy ids; a UsageError names the flag and the id at fault. */
export function parseStrategyList(text: string, flag = '--strategies'): StrategyId[] {
  try {
    const ids = text.split(',').map((id) => id.trim()).filter(Boolean).map((id) => getStrategy(id).id);
    if (ids.length === 0) throw new Error('names no strategy');
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Error(`lists ${twice} twice`);
    return ids;
  } catch (error) {
    throw new UsageError(`${flag}: ${messageOf(error)}`, { cause: error });
  }
}
