/**
 * How a strategy is timed, on every backend: the scenario's rounds (roundPlan: an equal share of the samples and
 * the time each, only the first warming up), every strategy still healthy timed in turn within each round by its
 * session, a strategy that fails or diverges timed no more. timeSetups does the same for several setups at once (the
 * quality run's regularizers), every setup in every round.
 */
import { messageOf } from '../errors.js';
import type { Divergence } from '../measure/divergence.js';
import { roundPlan, type TimingOptions } from '../measure/timing.js';
import type { StrategyId } from '../strategies/ids.js';
import type { VariantFields } from '../results/cell.js';
import type { PreparedStrategies, RoundOutcome } from './session.js';

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
  const timings = untimed(ids);
  try {
    for (let round = 0; round < measure.rounds; round++) {
      const timed = healthy(timings);
      if (timed.length === 0) break;
      await onRound?.(round + 1, measure.rounds);
      record(timings, await prepared.timeRound(timed, roundPlan(measure, round)));
    }
  } catch (error) {
    for (const timing of timings.values()) timing.error ??= messageOf(error);
  }
  return timings;
}

/** One setup of a joint timing (the quality run's scenario under one regularizer) and the strategies timed on it. */
export interface TimedSetup<K> {
  key: K;
  /** Sets the setup's GANs up afresh (the session's prepare); called once a round. */
  prepare: () => Promise<PreparedStrategies>;
  ids: readonly StrategyId[];
}

/**
 * Times several setups' strategies in the same rounds, so that what the machine's speed does while they are timed
 * falls on every setup alike and their step times compare (timed one setup after the other, a regularizer's step
 * could come out faster than no regularizer's). A session holds one setup at a time (the PyTorch worker does), so
 * each round sets each one up afresh, warms it up again (a fresh setup starts cold) and disposes of it, in an order
 * that rotates by round. A setup that fails to prepare, or a session that throws, fails that setup's strategies not
 * failed already with its message; the other setups go on.
 */
export async function timeSetups<K>(
  setups: readonly TimedSetup<K>[],
  measure: Pick<TimingOptions, 'rounds' | 'minSamples' | 'minTimeMs' | 'warmupSteps'>,
  onRound?: (round: number, rounds: number) => void | Promise<void>,
): Promise<Map<K, Map<StrategyId, StrategyTiming>>> {
  const timings = new Map(setups.map((setup) => [setup.key, untimed(setup.ids)]));
  for (let round = 0; round < measure.rounds; round++) {
    if (setups.every((setup) => healthy(timings.get(setup.key)!).length === 0)) break;
    await onRound?.(round + 1, measure.rounds);
    const plan = { ...roundPlan(measure, round), warmupSteps: measure.warmupSteps };
    for (let index = 0; index < setups.length; index++) {
      const setup = setups[(index + round) % setups.length]!;
      const setupTimings = timings.get(setup.key)!;
      const timed = healthy(setupTimings);
      if (timed.length === 0) continue;
      try {
        const prepared = await setup.prepare();
        try {
          record(setupTimings, await prepared.timeRound(timed, plan));
        } finally {
          await prepared.dispose();
        }
      } catch (error) {
        for (const timing of setupTimings.values()) timing.error ??= messageOf(error);
      }
    }
  }
  return timings;
}

function untimed(ids: readonly StrategyId[]): Map<StrategyId, StrategyTiming> {
  return new Map(ids.map((id) => [id, { samplesMs: [], error: null, diverged: null }]));
}

/** The strategies still timed: none failed or diverged. */
function healthy(timings: Map<StrategyId, StrategyTiming>): StrategyId[] {
  return [...timings].filter(([, timing]) => !timing.error && !timing.diverged).map(([id]) => id);
}

/** Adds one round's outcomes to the strategies' timings. */
function record(timings: Map<StrategyId, StrategyTiming>, outcomes: Map<StrategyId, RoundOutcome>): void {
  for (const [id, outcome] of outcomes) {
    const timing = timings.get(id);
    if (!timing) continue;
    timing.samplesMs.push(...outcome.samplesMs);
    timing.error = outcome.error;
    timing.diverged = outcome.diverged;
    if (outcome.variant) timing.variant = { ...timing.variant, ...outcome.variant };
  }
}
