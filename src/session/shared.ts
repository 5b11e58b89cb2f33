/** What the sessions of one run share, and the rules every backend's session follows. */
import type { Scenario } from '../scenario/schema.js';
import type { StrategyId } from '../strategies/ids.js';
import type { EquivalenceOutcome } from './session.js';

/** Distinct batches the observed and timed steps cycle through (data generation is not part of a training step). */
export const BATCH_POOL = 4;

/** The checks a run makes once however many of its sessions ask: the tfjs equivalence check (on cpu) per scenario. */
export interface SharedChecks {
  tfjsEquivalence: Map<Scenario, Promise<Map<StrategyId, EquivalenceOutcome>>>;
}

/** Nothing checked yet: one per run. */
export function createSharedChecks(): SharedChecks {
  return { tfjsEquivalence: new Map() };
}
