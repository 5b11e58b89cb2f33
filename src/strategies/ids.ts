/**
 * The strategies that train: the post's 1, 2, 3 as PyTorch runs them, the two-gradient reference, and pix2pix's
 * alternating update with D frozen for G's step.
 */
export const RUNNABLE_STRATEGY_IDS = ['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'] as const;

/** The post's strategies 1 and 2 exactly as printed: PyTorch raises an error running them, and so do these. */
export const AS_PRINTED_STRATEGY_IDS = ['retain-graph-printed', 'detach-d-first-printed'] as const;

/** Whether a strategy is one of the post's listings as printed. */
export function isAsPrinted(id: string): boolean {
  return (AS_PRINTED_STRATEGY_IDS as readonly string[]).includes(id);
}

/** Every strategy id, in the order reports list them. */
export const STRATEGY_IDS = [...RUNNABLE_STRATEGY_IDS, ...AS_PRINTED_STRATEGY_IDS] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];

/**
 * gan_ddp's strategies with no tfjs form (issue 18): measured under torch.distributed at world size N > 1 only, so
 * they are cells of a world size N run and never of world size 1's (nothing counts their passes, FLOPs or memory).
 */
export const DISTRIBUTED_ONLY_STRATEGY_IDS = ['single-forward-inputs', 'stylegan2-ada', 'stylegan3-flat'] as const;
export type DistributedOnlyStrategyId = (typeof DISTRIBUTED_ONLY_STRATEGY_IDS)[number];

/** What a cell's strategy can be: a registry strategy, or (at world size N > 1 only) a distributed-only one. */
export type CellStrategyId = StrategyId | DistributedOnlyStrategyId;

/** Whether a cell's strategy is one of gan_ddp's distributed-only forms (no registry entry, no world size 1 cell). */
export function isDistributedOnly(id: string): id is DistributedOnlyStrategyId {
  return (DISTRIBUTED_ONLY_STRATEGY_IDS as readonly string[]).includes(id);
}
