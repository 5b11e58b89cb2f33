import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import type { RunEvent } from '../../src/runner.js';
import type { Scenario } from '../../src/scenario/schema.js';

const scenario = (name: string) => ({ name }) as Scenario;
const start = (index: number, name: string, laterTimingFloorMs: number): RunEvent => ({
  type: 'scenario-start',
  index,
  count: 2,
  scenario: scenario(name),
  backend: 'cpu',
  strategies: ['g-first', 'single-forward'],
  timingFloorMs: 10_000,
  laterTimingFloorMs,
});
const end = (index: number, name: string): RunEvent =>
  ({ type: 'scenario-end', index, count: 2, scenario: scenario(name), cells: [], results: {} }) as unknown as RunEvent;

describe('createProgress', () => {
  it('gives no time left until a scenario has finished, then scales the requested timing by the measured pace', () => {
    let clock = 0;
    const lines: string[] = [];
    const progress = createProgress({ write: (line) => void lines.push(line), now: () => clock });
    progress(start(0, 'a', 10_000));
    progress({ type: 'phase', scenario: scenario('a'), phase: 'timing round 1/5' });
    clock = 20_000; // the first scenario asked for 10 s of timing and took 20 s in all
    progress(end(0, 'a'));
    progress(start(1, 'b', 0));
    clock = 25_000;
    progress({ type: 'phase', scenario: scenario('b'), phase: 'timing round 1/5' });
    expect(lines[0]).toBe('[1/2] a: 2 strategies on backend cpu; timing takes at least 10 s here and 10 s in the scenarios after it');
    expect(lines[1]).toBe('[1/2] a: timing round 1/5');
    // 10 s asked for, at 2x: 20 s, of which 5 s have passed.
    expect(lines.at(-1)).toBe('[2/2] b: timing round 1/5 (~15 s left)');
  });
});
