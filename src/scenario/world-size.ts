/**
 * The data-parallel world size a scenario runs at (issue 18): the scenario's batch size is the global batch, split
 * into equal contiguous shards, one per rank, as gan_ddp's `env.shard` does. A world size the batch does not divide
 * is bad input, found before anything is measured.
 */

/** The world sizes up to `batchSize` that divide it. */
export function divisorsOf(batchSize: number): number[] {
  const divisors: number[] = [];
  for (let n = 1; n <= batchSize; n++) if (batchSize % n === 0) divisors.push(n);
  return divisors;
}

/** Why `worldSize` cannot shard `batchSize` ("does not divide the batch size 16 (1, 2, 4, 8 or 16 do)"), or null. */
export function worldSizeProblem(batchSize: number, worldSize: number): string | null {
  if (!Number.isInteger(worldSize) || worldSize < 1) return `must be a positive integer, not ${String(worldSize)}`;
  if (batchSize % worldSize === 0) return null;
  const divisors = divisorsOf(batchSize);
  return `${worldSize} does not divide the batch size ${batchSize} (the global batch, split into equal shards): ${divisors.slice(0, -1).join(', ')} or ${divisors.at(-1)!} do`;
}
