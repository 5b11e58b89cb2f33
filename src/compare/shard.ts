/**
 * Splits a run's cells across CI jobs: the distinct keys, sorted, are dealt out round-robin, so every job
 * computes the same split from the same inputs, the shards are as even as the keys allow (a hash would leave
 * shards empty with only a handful of scenarios), and merging all shards gives exactly the unsharded set.
 */

export interface Shard {
  /** 1-based, as written in `--shard 2/4`. */
  index: number;
  count: number;
}

function validateShard(index: number, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 1 || index > count) {
    throw new RangeError(`shard index must be an integer from 1 to ${count}, got ${index}`);
  }
}

/** The cells of shard `index` (1-based) of `count`, in their original order; cells with equal keys stay together. */
export function shardCells<T>(cells: readonly T[], keyOf: (cell: T) => string, index: number, count: number): T[] {
  validateShard(index, count);
  const keys = [...new Set(cells.map(keyOf))].sort();
  const shardOfKey = new Map(keys.map((key, i) => [key, (i % count) + 1]));
  return cells.filter((cell) => shardOfKey.get(keyOf(cell)) === index);
}

/** Parses `--shard INDEX/COUNT` ("2/4" is the second of four); errors name the flag. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`--shard expects INDEX/COUNT such as 2/4, got '${text}'`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  // 99999999999999999999 parses, as 1e20: a number that no longer counts anything.
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    throw new Error(`--shard numbers must be at most ${Number.MAX_SAFE_INTEGER}, got '${text}'`);
  }
  if (count < 1) throw new Error(`--shard count must be at least 1, got '${text}'`);
  if (index < 1 || index > count) throw new Error(`--shard index must be from 1 to ${count} (1-based), got '${text}'`);
  return { index, count };
}
