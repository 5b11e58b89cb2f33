import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import type { RunEvent } from '../../src/run/runner.js';
import type { Scenario } from '../../src/scenario/schema.js';

const scenario = (name: string) => ({ name }) as Scenario;
const start = (index: number, name: string, laterTimingFloorMs: number, count = 2, timingFloorMs = 10_000): RunEvent => ({
  type: 'scenario-start',
  index,
  count,
  scenario: scenario(name),
  backends: ['cpu'],
  strategies: ['g-first', 'single-forward'],
  timingFloorMs,
  laterTimingFloorMs,
});
const end = (index: number, name: string, count = 2): RunEvent =>
  ({ type: 'scenario-end', index, count, scenario: scenario(name), cells: [], results: {} }) as unknown as RunEvent;
const phase = (name: string): RunEvent => ({ type: 'phase', scenario: scenario(name), phase: 'timing round 5/5' });

function recorder() {
  const clock = { now: 0 };
  const lines: string[] = [];
  const progress = createProgress({ write: (line) => void lines.push(line), now: () => clock.now });
  return { clock, lines, progress };
}

describe('createProgress', () => {
  it('gives no time left until a scenario has finished, then scales the requested timing by the measured pace', () => {
    const { clock, lines, progress } = recorder();
    progress(start(0, 'a', 10_000));
    progress({ type: 'phase', scenario: scenario('a'), phase: 'timing round 1/5' });
    clock.now = 20_000; // the first scenario asked for 10 s of timing and took 20 s in all
    progress(end(0, 'a'));
    progress(start(1, 'b', 0));
    clock.now = 25_000;
    progress({ type: 'phase', scenario: scenario('b'), phase: 'timing round 1/5' });
    expect(lines[0]).toBe('[1/2] a: 2 strategies on backend cpu; timing takes at least 10 s here and 10 s in the scenarios after it');
    expect(lines[1]).toBe('[1/2] a: timing round 1/5');
    // 10 s asked for, at 2x: 20 s, of which 5 s have passed.
    expect(lines.at(-1)).toBe('[2/2] b: timing round 1/5 (~15 s left)');
  });

  it('still counts the scenarios after the current one when the current one runs past its estimate', () => {
    const { clock, lines, progress } = recorder();
    progress(start(0, 'a', 20_000, 3));
    clock.now = 20_000; // 10 s asked for, 20 s taken: pace 2
    progress(end(0, 'a', 3));
    progress(start(1, 'b', 10_000, 3));
    clock.now = 65_000; // b was expected to take 20 s and has taken 45 s; c is still to run
    progress(phase('b'));
    expect(lines.at(-1)).toBe('[2/3] b: timing round 5/5 (~20 s left)');
  });

  it('estimates from the mean scenario time when the scenarios ask for no timing at all', () => {
    const { clock, lines, progress } = recorder();
    progress(start(0, 'a', 0, 3, 0));
    clock.now = 6_000;
    progress(end(0, 'a', 3));
    progress(start(1, 'b', 0, 3, 0));
    clock.now = 8_000;
    progress(phase('b'));
    // b: 6 s expected, 2 s passed; c: 6 s.
    expect(lines.at(-1)).toBe('[2/3] b: timing round 5/5 (~10 s left)');
  });

  it('says which backend each line is about when a scenario runs on several, and which backend a failed cell was on', () => {
    const { lines, progress } = recorder();
    progress({ ...start(0, 'a', 0, 1), backends: ['cpu', 'pytorch'] } as RunEvent);
    progress({ type: 'backend-start', scenario: scenario('a'), backend: 'cpu', index: 0, count: 2 } as RunEvent);
    progress(phase('a'));
    progress({ type: 'backend-start', scenario: scenario('a'), backend: 'pytorch', index: 1, count: 2 } as RunEvent);
    progress(phase('a'));
    const failed = { strategy: 'g-first', backend: 'pytorch', status: 'errored', error: 'worker gone' };
    const ok = { strategy: 'g-first', backend: 'cpu', status: 'ok', error: null };
    const raised = { strategy: 'retain-graph-printed', backend: 'cpu', status: 'raised', error: 'one of the variables ...' };
    progress({ ...end(0, 'a', 1), cells: [ok, raised, failed] } as unknown as RunEvent);
    expect(lines).toEqual([
      '[1/1] a: 2 strategies on backends cpu, pytorch; timing takes at least 10 s here',
      '[1/1] a · cpu (1/2): timing round 5/5',
      '[1/1] a · pytorch (2/2): timing round 5/5',
      '[1/1] a: g-first on pytorch failed: worker gone',
      "[1/1] a: done in 0 s, 1/3 cells ok, 1 raised PyTorch's error as printed code must (0 s elapsed)",
    ]);
  });

  it('names each backend once where it runs several units (a regularizer each), and counts the units', () => {
    const { lines, progress } = recorder();
    progress({ ...start(0, 'a', 0, 1), backends: ['wasm', 'wasm', 'pytorch', 'pytorch'] } as RunEvent);
    expect(lines).toEqual(['[1/1] a: 2 strategies on backends wasm, pytorch (4 units); timing takes at least 10 s here']);
  });

  it("says once per run why a backend was passed over, not for every variant of a sweep", () => {
    const { lines, progress } = recorder();
    const started = (name: string): RunEvent =>
      ({
        type: 'backend-started',
        scenario: scenario(name),
        started: { provider: { id: 'wasm' }, device: { description: 'wasm SIMD' }, passedOver: ['webgpu: only a software adapter'] },
      }) as unknown as RunEvent;
    progress(start(0, 'a', 0));
    progress(started('a'));
    progress(end(0, 'a'));
    progress(start(1, 'b', 0));
    progress(started('b'));
    expect(lines.filter((line) => line.includes('passed over'))).toEqual(['[1/2] a: passed over webgpu: only a software adapter']);
    expect(lines.filter((line) => line.includes('running on'))).toEqual(['[1/2] a: running on wasm: wasm SIMD', '[2/2] b: running on wasm: wasm SIMD']);
  });
});
