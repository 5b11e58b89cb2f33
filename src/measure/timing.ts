/**
 * Time per training step with tinybench, the strategies interleaved: each round gives every strategy an equal
 * slice of time in turn, so that a machine that slows down mid-run slows all of them alike. The backend is
 * synchronised inside the timed call, so a sample ends only when the device has finished the step.
 */
import { Bench } from 'tinybench';
import { tf } from '../tf.js';

export interface TimedTask {
  id: string;
  /** One training step (synchronous: kernels are queued or run; `sync` waits for them). */
  step: () => void;
}

export interface TimingOptions {
  rounds: number;
  /** The least number of samples per task, over all rounds. */
  minSamples: number;
  /** The least timed milliseconds per task, over all rounds. */
  minTimeMs: number;
  /** Untimed steps per task before its first timed one. */
  warmupSteps: number;
  /** Waits for the device to finish queued work. */
  sync: () => Promise<void>;
  /** The clock, in milliseconds (tinybench's `now`); injectable for tests. */
  now?: () => number;
  onRound?: (round: number, rounds: number) => void;
}

export interface TaskTiming {
  /** Every timed step's duration in milliseconds, round after round. */
  samplesMs: number[];
  /** Set when the task threw; its samples then stop at the failing round. */
  error?: Error;
}

/** What one round asks of every task: untimed steps first, then samples until both `iterations` and `timeMs` are reached. */
export interface RoundPlan {
  warmupSteps: number;
  iterations: number;
  timeMs: number;
}

/**
 * Round `round` (0-based) of the interleaved timing: each round gets an equal share of the samples and the time,
 * and only the first round warms up. Every backend's timing loop follows it (tinybench here, the PyTorch worker's
 * own loop for the pytorch backend).
 */
export function roundPlan(
  { rounds, minSamples, minTimeMs, warmupSteps }: Pick<TimingOptions, 'rounds' | 'minSamples' | 'minTimeMs' | 'warmupSteps'>,
  round: number,
): RoundPlan {
  return {
    warmupSteps: round === 0 ? warmupSteps : 0,
    iterations: Math.max(1, Math.ceil(minSamples / rounds)),
    timeMs: minTimeMs / rounds,
  };
}

/** Runs the tasks round-robin and returns each task's samples. */
export async function timeInterleaved(tasks: readonly TimedTask[], options: TimingOptions): Promise<Map<string, TaskTiming>> {
  const { rounds, onRound } = options;
  const timings = new Map<string, TaskTiming>(tasks.map((task) => [task.id, { samplesMs: [] }]));
  for (let round = 0; round < rounds; round++) {
    onRound?.(round + 1, rounds);
    const timed = tasks.filter((task) => !timings.get(task.id)!.error);
    for (const [id, timing] of await timeRound(timed, roundPlan(options, round), options)) {
      const total = timings.get(id)!;
      total.samplesMs.push(...timing.samplesMs);
      if (timing.error) total.error = timing.error;
    }
  }
  return timings;
}

/** One round of the interleaved timing: every task in turn, as `plan` asks (tinybench). */
export async function timeRound(
  tasks: readonly TimedTask[],
  plan: RoundPlan,
  { sync, now }: Pick<TimingOptions, 'sync' | 'now'>,
): Promise<Map<string, TaskTiming>> {
  const timings = new Map<string, TaskTiming>(tasks.map((task) => [task.id, { samplesMs: [] }]));
  const bench = new Bench({
    time: plan.timeMs,
    iterations: plan.iterations,
    warmup: plan.warmupSteps > 0,
    warmupIterations: plan.warmupSteps,
    warmupTime: 0,
    retainSamples: true,
    ...(now ? { now } : {}),
  });
  for (const task of tasks) {
    bench.add(task.id, async () => {
      task.step();
      await sync();
    });
  }
  await bench.run();
  for (const benchTask of bench.tasks) {
    const timing = timings.get(benchTask.name)!;
    const result = benchTask.result;
    if (result.state === 'errored') {
      timing.error = result.error;
    } else if ('latency' in result && result.latency.samples) {
      timing.samplesMs.push(...result.latency.samples);
    }
  }
  return timings;
}

/**
 * The harness's own cost inside a timed sample, in milliseconds: the same tinybench loop, batch pick, tidy scope
 * and backend sync as a timed step, around an empty step.
 */
export async function measureHarnessOverhead(sync: () => Promise<void>, now?: () => number): Promise<number> {
  const pool = [0, 1, 2, 3];
  let next = 0;
  const bench = new Bench({ time: 200, iterations: 100, warmupIterations: 10, warmupTime: 0, ...(now ? { now } : {}) });
  bench.add('empty step', async () => {
    void pool[next++ % pool.length];
    tf.tidy(() => {});
    await sync();
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (!('latency' in result)) throw new Error('the empty step did not run');
  return result.latency.mean;
}
