import { describe, expect, it } from 'vitest';
import type { RoundPlan } from '../../src/measure/timing.js';
import type { PreparedStrategies, RoundOutcome } from '../../src/session/session.js';
import { timeSetups, timeStrategies } from '../../src/session/timing.js';
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

describe('timing several setups in the same rounds (a quality run\'s regularizers)', () => {
  /** Setups whose rounds answer from `answer`, recording each prepare, round and dispose in order. */
  function setups(keys: string[], answer: (key: string, id: StrategyId) => Partial<RoundOutcome> | 'no setup' = () => ({})) {
    const log: string[] = [];
    const made = keys.map((key) => ({
      key,
      ids: ['g-first', 'detach-d-first'] as StrategyId[],
      async prepare(): Promise<PreparedStrategies> {
        if ([...made.find((setup) => setup.key === key)!.ids].some((id) => answer(key, id) === 'no setup')) throw new Error(`${key} cannot be set up`);
        log.push(`prepare ${key}`);
        const { prepared } = fakeSession((id) => answer(key, id) as Partial<RoundOutcome>);
        return {
          ...prepared,
          async timeRound(ids, plan) {
            log.push(`time ${key} ${ids.join(',')} warmup ${plan.warmupSteps}`);
            return prepared.timeRound(ids, plan);
          },
          async dispose() {
            log.push(`dispose ${key}`);
          },
        };
      },
    }));
    return { made, log };
  }

  it('sets every setup up afresh each round, warms it up each time, disposes of it, and rotates their order by round', async () => {
    const { made, log } = setups(['none', 'r1']);
    const timings = await timeSetups(made, measure);
    expect(log).toEqual([
      'prepare none', 'time none g-first,detach-d-first warmup 4', 'dispose none',
      'prepare r1', 'time r1 g-first,detach-d-first warmup 4', 'dispose r1',
      'prepare r1', 'time r1 g-first,detach-d-first warmup 4', 'dispose r1',
      'prepare none', 'time none g-first,detach-d-first warmup 4', 'dispose none',
      'prepare none', 'time none g-first,detach-d-first warmup 4', 'dispose none',
      'prepare r1', 'time r1 g-first,detach-d-first warmup 4', 'dispose r1',
    ]);
    expect(timings.get('r1')!.get('g-first')).toEqual({ samplesMs: [1, 1, 1], error: null, diverged: null });
  });

  it('fails only the strategies of a setup that cannot be prepared, or that fail, and times the rest on', async () => {
    const { made, log } = setups(['none', 'r1', 'wgan-gp'], (key, id) => (key === 'r1' ? 'no setup' : key === 'wgan-gp' && id === 'g-first' ? { error: 'refused' } : {}));
    const timings = await timeSetups(made, measure);
    expect(timings.get('r1')!.get('g-first')).toMatchObject({ samplesMs: [], error: 'r1 cannot be set up' });
    expect(timings.get('wgan-gp')!.get('g-first')).toMatchObject({ samplesMs: [1], error: 'refused' });
    expect(timings.get('none')!.get('detach-d-first')!.samplesMs).toHaveLength(3);
    expect(log.filter((line) => line.startsWith('time wgan-gp'))).toEqual([
      'time wgan-gp g-first,detach-d-first warmup 4',
      'time wgan-gp detach-d-first warmup 4',
      'time wgan-gp detach-d-first warmup 4',
    ]);
  });
});
