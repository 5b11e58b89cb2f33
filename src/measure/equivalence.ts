/**
 * Update equivalence: from identical weights, data and noise, train each strategy a few steps and compare its
 * parameters with a reference strategy's; where D has BatchNorm, also D's running statistics (its running means
 * and variances, which every training-mode forward updates: a strategy with more D forwards updates them more
 * often). Run on the cpu backend, whose kernels are deterministic.
 */
import type { AdamImplementation } from '../models/adam.js';
import { createBatches, createGan, disposeBatches } from '../models/gan.js';
import type { Scenario } from '../scenario/schema.js';
import { createStepRunner } from '../models/step-runner.js';
import type { StrategyId } from '../strategies/ids.js';
import { strategies } from '../strategies/index.js';
import { divergenceIn, type Divergence } from './divergence.js';
import { messageOf } from '../errors.js';

/** How a strategy's parameters after N steps compare with the reference strategy's, from identical starts. */
export type EquivalenceClass = 'reference' | 'identical' | 'within-tolerance' | 'different';

/** Largest absolute parameter difference still called "equal within float tolerance". */
export const EQUIVALENCE_TOLERANCE = 1e-6;

export interface EquivalenceResult {
  strategy: StrategyId;
  reference: StrategyId;
  maxParamDiff: number;
  equivalence: EquivalenceClass;
  /**
   * Largest absolute difference of D's BatchNorm running statistics (means and variances) to the reference
   * strategy's after the same steps; null where D has no BatchNorm (or the check did not report it).
   */
  maxRunningStatsDiff?: number | null;
}

/** Classifies a largest absolute difference. */
export function classifyDifference(maxParamDiff: number, tolerance = EQUIVALENCE_TOLERANCE): EquivalenceClass {
  if (maxParamDiff === 0) return 'identical';
  return maxParamDiff <= tolerance ? 'within-tolerance' : 'different';
}

/** Largest absolute elementwise difference of two equally long vectors. */
export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} parameters with ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Every value of these variables, flattened in order. */
async function flatten(variables: readonly { data(): Promise<unknown> }[]): Promise<Float32Array> {
  const parts = (await Promise.all(variables.map((variable) => variable.data()))) as Float32Array[];
  const flat = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    flat.set(part, offset);
    offset += part.length;
  }
  return flat;
}

/** What a strategy's training leaves: every parameter, and D's BatchNorm running statistics (null without any). */
export interface TrainedState {
  parameters: Float32Array;
  discriminatorRunningStats: Float32Array | null;
}

/** Trains `strategy` for `steps` steps from the scenario's seeded start and returns its parameters and D's running statistics. */
export async function trainedState(scenario: Scenario, strategy: StrategyId, steps: number, adam: AdamImplementation = 'for-loop'): Promise<TrainedState> {
  const gan = createGan(scenario, adam);
  const batches = createBatches(scenario, steps);
  try {
    const step = createStepRunner(gan);
    for (const batch of batches) step(strategies[strategy], batch);
    return {
      parameters: await flatten([...gan.generator.variables, ...gan.discriminator.variables]),
      discriminatorRunningStats: gan.discriminator.buffers.length > 0 ? await flatten(gan.discriminator.buffers) : null,
    };
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

/** Trains `strategy` for `steps` steps from the scenario's seeded start and returns all parameters, flattened. */
export async function trainedParameters(
  scenario: Scenario,
  strategy: StrategyId,
  steps: number,
  adam: AdamImplementation = 'for-loop',
): Promise<Float32Array> {
  return (await trainedState(scenario, strategy, steps, adam)).parameters;
}

/** The equivalence check's results, and the strategies whose parameters became non-finite (left out of the results). */
export interface EquivalenceCheck {
  results: EquivalenceResult[];
  diverged: Map<StrategyId, Divergence>;
  /** Strategies whose own steps threw (one that does not fit the regularizer, say): the message; the others compared. */
  failed: Map<StrategyId, string>;
}

/** Where a trained state is not finite: its parameters, or D's running statistics (at the check's last step). */
function stateDivergence(state: TrainedState, steps: number): Divergence | null {
  return (
    divergenceIn(state.parameters, 'parameters', steps) ??
    (state.discriminatorRunningStats ? divergenceIn(state.discriminatorRunningStats, "D's running statistics", steps) : null)
  );
}

/**
 * Compares every strategy with `reference` (which must be among them) after `steps` steps each. Strategies that
 * raise by design (the post's code as printed) have nothing to compare and are left out. A strategy whose
 * parameters are not finite after its steps is diverged, never a NaN difference; with the reference diverged, no
 * other strategy has anything to be compared with.
 */
export async function checkEquivalenceStates(
  scenario: Scenario,
  strategyIds: readonly StrategyId[],
  reference: StrategyId,
  steps: number,
): Promise<EquivalenceCheck> {
  const referenceState = await trainedState(scenario, reference, steps);
  const referenceDiverged = stateDivergence(referenceState, steps);
  const runningStatsDiff = (state: TrainedState) =>
    state.discriminatorRunningStats && referenceState.discriminatorRunningStats
      ? maxAbsDifference(state.discriminatorRunningStats, referenceState.discriminatorRunningStats)
      : null;
  const results: EquivalenceResult[] = [];
  const diverged = new Map<StrategyId, Divergence>();
  const failed = new Map<StrategyId, string>();
  for (const strategy of strategyIds) {
    if (strategies[strategy].raises) continue;
    if (strategy === reference) {
      if (referenceDiverged) diverged.set(strategy, referenceDiverged);
      else results.push({ strategy, reference, maxParamDiff: 0, equivalence: 'reference', maxRunningStatsDiff: runningStatsDiff(referenceState) });
      continue;
    }
    let state: TrainedState;
    try {
      state = await trainedState(scenario, strategy, steps);
    } catch (error) {
      failed.set(strategy, messageOf(error));
      continue;
    }
    const own = stateDivergence(state, steps);
    if (own) {
      diverged.set(strategy, own);
      continue;
    }
    if (referenceDiverged) continue;
    const maxParamDiff = maxAbsDifference(state.parameters, referenceState.parameters);
    results.push({ strategy, reference, maxParamDiff, equivalence: classifyDifference(maxParamDiff), maxRunningStatsDiff: runningStatsDiff(state) });
  }
  return { results, diverged, failed };
}

/** The results of checkEquivalenceStates: every strategy compared with `reference` (diverged ones left out). */
export async function checkEquivalence(
  scenario: Scenario,
  strategyIds: readonly StrategyId[],
  reference: StrategyId,
  steps: number,
): Promise<EquivalenceResult[]> {
  return (await checkEquivalenceStates(scenario, strategyIds, reference, steps)).results;
}
