/**
 * How a strategy is timed, on every backend: the scenario's rounds (roundPlan: an equal share of the samples and
 * the time each, only the first warming up), every strategy still healthy timed in turn within each round by its
 * session, a strategy that fails or diverges timed no more.
 */
import { messageOf } from '../errors.js';
import type { Divergence } from '../measure/divergence.js';
import { roundPlan, type TimingOptions } from '../measure/timing.js';
import type { StrategyId } from '../strategies/ids.js';
import type { VariantFields } from '../results/cell.js';
import type { PreparedStrategies } from './session.js';

/** A strategy's samples over all rounds, and why it stopped being timed (failed, or diverged), if it did. */
export interface StrategyTiming {
  samplesMs: number[];
  error: string | null;
  diverged: Divergence | null;
  /** What the step variant reported after the last round that said (fp16's skipped steps and loss scales). */
  variant?: VariantFields;
}

/**
 * Times `ids` interleaved, round by round. A session that throws (its worker is gone) fails every strategy not
 * failed already with its message.
 */
export async function timeStrategies(
  prepared: PreparedStrategies,
  ids: readonly StrategyId[],
  measure: Pick<TimingOptions, 'rounds' | 'minSamples' | 'minTimeMs' | 'warmupSteps'>,
  onRound?: (round: number, rounds: number) => void | Promise<void>,
): Promise<Map<StrategyId, StrategyTiming>> {
  const timings = new Map<StrategyId, StrategyTiming>(ids.map((id) => [id, { samplesMs: [], error: null, diverged: null }]));
  const healthy = (id: StrategyId) => !timings.get(id)!.error && !timings.get(id)!.diverged;
  try {
    for (let round = 0; round < measure.rounds; round++) {
      const timed = [...timings.keys()].filter(healthy);
      if (timed.length === 0) break;
      await onRound?.(round + 1, measure.rounds);
      for (const [id, outcome] of await prepared.timeRound(timed, roundPlan(measure, round))) {
        const timing = timings.get(id);
        if (!timing) continue;
        timing.samplesMs.push(...outcome.samplesMs);
        timing.error = outcome.error;
        timing.diverged = outcome.diverged;
        if (outcome.variant) timing.variant = { ...timing.variant, ...outcome.variant };
      }
    }
  } catch (error) {
    for (const timing of timings.values()) timing.error ??= messageOf(error);
  }
  return timings;
}
