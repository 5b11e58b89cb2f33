import { describe, expect, it } from 'vitest';
import { timeInterleaved } from '../../src/measure/timing.js';

describe('timeInterleaved', () => {
  it('runs the strategies round-robin, each round giving every one its turn', async () => {
    const calls: string[] = [];
    const task = (id: string) => ({ id, step: () => void calls.push(id) });
    const timings = await timeInterleaved([task('a'), task('b')], {
      rounds: 3,
      minSamples: 6,
      minTimeMs: 0,
      warmupSteps: 1,
      sync: async () => {},
    });
    // tinybench warms every task up first (round 1 only), then each task gets 2 timed calls per round.
    const blocks = calls.join('').match(/(a+|b+)/g);
    expect(blocks).toEqual(['a', 'b', 'aa', 'bb', 'aa', 'bb', 'aa', 'bb']);
    expect(timings.get('a')!.samplesMs).toHaveLength(6);
    expect(timings.get('b')!.samplesMs).toHaveLength(6);
  });

  it('records a failing task and keeps timing the others', async () => {
    let n = 0;
    const timings = await timeInterleaved(
      [
        { id: 'ok', step: () => void n++ },
        { id: 'broken', step: () => { throw new Error('boom'); } },
      ],
      { rounds: 2, minSamples: 2, minTimeMs: 0, warmupSteps: 0, sync: async () => {} },
    );
    expect(timings.get('broken')!.error?.message).toBe('boom');
    expect(timings.get('ok')!.samplesMs).toHaveLength(2);
  });

  it('reads the injected clock', async () => {
    let t = 0;
    const timings = await timeInterleaved([{ id: 'a', step: () => {} }], {
      rounds: 1,
      minSamples: 3,
      minTimeMs: 0,
      warmupSteps: 0,
      sync: async () => {},
      now: () => (t += 5),
    });
    expect(timings.get('a')!.samplesMs.every((sample) => sample === 5)).toBe(true);
  });

  it("counts the backend's sync in every sample: the clock stops only once the device has finished the step", async () => {
    // A fake clock that only the step (1 ms) and the device (10 ms, after a macrotask, as a GPU queue answers)
    // move: a sample of 11 ms includes the device's work; 1 ms would mean the clock stopped at enqueue.
    let clock = 0;
    const sync = async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      clock += 10;
    };
    const timings = await timeInterleaved([{ id: 'a', step: () => void (clock += 1) }], {
      rounds: 2,
      minSamples: 4,
      minTimeMs: 0,
      warmupSteps: 1,
      sync,
      now: () => clock,
    });
    expect(timings.get('a')!.samplesMs).toEqual([11, 11, 11, 11]);
  });
});
