/**
 * The `--backend a,b` value every measuring command takes: known ids, each at most once, measured one after the
 * other into one results folder. `auto` picks one backend, so it stands alone.
 */
import { parseBackendId, type BackendId } from '../backends/index.js';
import { messageOf, UsageError } from './exit.js';

/** Parses a comma-separated list of backend ids; a UsageError names the flag and the id at fault. */
export function parseBackendList(text: string, flag = '--backend'): BackendId[] {
  try {
    const ids = text
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
      .map(parseBackendId);
    if (ids.length === 0) throw new Error('names no backend');
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Error(`lists ${twice} twice`);
    if (ids.length > 1 && ids.includes('auto')) {
      throw new Error('auto picks one backend and cannot be listed with others: name the backends instead');
    }
    return ids;
  } catch (error) {
    throw new UsageError(`${flag}: ${messageOf(error)}`, { cause: error });
  }
}
