import { describe, expect, it } from 'vitest';
import type { RoundPlan } from '../../src/measure/timing.js';
import type { PreparedStrategies, RoundOutcome } from '../../src/session/session.js';
import { timeStrategies } from '../../src/session/timing.js';
import type { StrategyId } from '../../src/strategies/ids.js';

const measure = { rounds: 3, minSamples: 6, minTimeMs: 30, warmupSteps: 4 };

/** A session whose rounds answer from `answer`, recording what each round was asked. */
function fakeSession(answer: (id: StrategyId, round: number) => Partial<RoundOutcome> | 'gone') {
  const asked: Array<{ ids: StrategyId[]; plan: RoundPlan }> = [];
  const prepared: PreparedStrategies = {
    async observe() {
      throw new Error('not used');
    },
    async timeRound(ids, plan) {
      const round = asked.length;
      asked.push({ ids: [...ids], plan });
      const outcomes = new Map<StrategyId, RoundOutcome>();
      for (const id of ids) {
        const outcome = answer(id, round);
        if (outcome === 'gone') throw new Error('the worker is gone');
        outcomes.set(id, { samplesMs: [round + 1], error: null, diverged: null, ...outcome });
      }
      return outcomes;
    },
    deviceMemory: () => ({ bytes: null, isEstimate: null }),
    harnessOverheadMs: async () => null,
    async dispose() {},
  };
  return { prepared, asked };
}

describe('timing strategies round by round, whatever the backend', () => {
  it('asks every round for its share of the samples and time, warming up only in the first', async () => {
    const { prepared, asked } = fakeSession(() => ({}));
    const timings = await timeStrategies(prepared, ['retain-graph', 'g-first'], measure);
    expect(asked.map(({ plan }) => plan)).toEqual([
      { warmupSteps: 4, iterations: 2, timeMs: 10 },
      { warmupSteps: 0, iterations: 2, timeMs: 10 },
      { warmupSteps: 0, iterations: 2, timeMs: 10 },
    ]);
    expect(timings.get('g-first')).toEqual({ samplesMs: [1, 2, 3], error: null, diverged: null });
  });

  it('times a strategy no more after the round in which it failed or diverged, keeping what it was timed before', async () => {
    const { prepared, asked } = fakeSession((id, round) =>
      id === 'g-first' && round === 0 ? { diverged: { step: 7, detail: 'generator parameters are not finite' } } : id === 'frozen-d' && round === 1 ? { error: 'boom' } : {},
    );
    const timings = await timeStrategies(prepared, ['retain-graph', 'g-first', 'frozen-d'], measure);
    expect(asked.map(({ ids }) => ids)).toEqual([['retain-graph', 'g-first', 'frozen-d'], ['retain-graph', 'frozen-d'], ['retain-graph']]);
    expect(timings.get('g-first')).toEqual({ samplesMs: [1], error: null, diverged: { step: 7, detail: 'generator parameters are not finite' } });
    expect(timings.get('frozen-d')).toMatchObject({ samplesMs: [1, 2], error: 'boom' });
  });

  it('fails every strategy not failed already with the message of a session that throws, and asks nothing after', async () => {
    const { prepared, asked } = fakeSession((id, round) => (round === 1 ? 'gone' : id === 'g-first' ? { error: 'its own failure' } : {}));
    const timings = await timeStrategies(prepared, ['retain-graph', 'g-first'], measure);
    expect(asked).toHaveLength(2);
    expect(timings.get('retain-graph')).toMatchObject({ samplesMs: [1], error: 'the worker is gone' });
    expect(timings.get('g-first')!.error).toBe('its own failure');
  });

  it('reports each round it starts, and stops when nothing is left to time', async () => {
    const rounds: string[] = [];
    const { prepared } = fakeSession(() => ({ error: 'fails at once' }));
    await timeStrategies(prepared, ['g-first'], measure, (round, of) => void rounds.push(`${round}/${of}`));
    expect(rounds).toEqual(['1/3']);
  });
});
