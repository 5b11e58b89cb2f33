import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { createSharedChecks, startSession } from '../../src/session/index.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'tiny');

describe('a tfjs session', () => {
  it('checks equivalence on cpu, then makes its own backend active again; the sessions of one run share the check', async () => {
    const shared = createSharedChecks();
    const phases: string[] = [];
    const wasm = await startSession('wasm', { shared });
    expect(tf.getBackend()).toBe('wasm');
    const first = await wasm.checkEquivalence(scenario, ['retain-graph', 'g-first'], 'retain-graph', 2, (phase) => void phases.push(phase));
    expect(tf.getBackend()).toBe('wasm');
    expect(first.get('g-first')).toMatchObject({ result: { reference: 'retain-graph', equivalence: 'identical' }, note: null, diverged: null });
    const cpu = await startSession('cpu', { shared });
    expect(await cpu.checkEquivalence(scenario, ['retain-graph', 'g-first'], 'retain-graph', 2, (phase) => void phases.push(phase))).toBe(first);
    expect(phases).toEqual(['update equivalence on cpu (2 steps per strategy)']);
    await Promise.all([wasm.close(), cpu.close()]);
  });

  it("under WGAN-GP compares the strategies that fit it, and notes on each other one why it was not compared", async () => {
    const session = await startSession('cpu');
    const wgan = parseScenario({ ...tiny, regularizer: { kind: 'wgan-gp' } }, 'tiny');
    const check = await session.checkEquivalence(wgan, ['retain-graph', 'detach-d-first', 'g-first'], 'detach-d-first', 2, () => {});
    expect(check.get('g-first')).toMatchObject({ result: { reference: 'detach-d-first' }, note: null });
    expect(check.get('retain-graph')).toMatchObject({ result: null, note: expect.stringMatching(/^equivalence check failed: regularizer wgan-gp does not fit this strategy/) });
    await session.close();
  });

  it('observes a step with its counts, and times a round of it with at least the samples asked for', async () => {
    const session = await startSession('cpu');
    const prepared = await session.prepare(scenario, ['g-first']);
    const observed = await prepared.observe('g-first');
    expect(observed).toMatchObject({ diverged: null, record: { generatorForwards: 1, leakedTensors: 0 } });
    const round = await prepared.timeRound(['g-first'], { warmupSteps: 1, iterations: 3, timeMs: 0 });
    expect(round.get('g-first')).toMatchObject({ error: null, diverged: null });
    expect(round.get('g-first')!.samplesMs.length).toBeGreaterThanOrEqual(3);
    await prepared.dispose();
    await session.close();
  });
});
