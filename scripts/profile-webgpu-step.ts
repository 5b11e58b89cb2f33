// Where one webgpu training step's time goes: enqueueing (JavaScript, tfjs, Dawn encoding) versus waiting for the
// device, per strategy, with tfjs's default submit batching and with one submit per step; and how many GPU
// programs the step dispatches. Medians of 15 steps after 10 warm-up steps.
// Run from the project root: npx tsx scripts/profile-webgpu-step.ts [scenario.ts] (lavapipe or a GPU).
// With GAN_BENCH_DAWN_OPTIONS=backend=null (Dawn's null device) nothing is computed: the time is host overhead.
import { tf } from '../src/tf.js';
import { backends } from '../src/backends/index.js';
import { loadScenario } from '../src/scenario/load.js';
import { createBatches, createGan, disposeBatches } from '../src/models/gan.js';
import { createStepRunner } from '../src/models/step-runner.js';
import { RUNNABLE_STRATEGY_IDS, strategies } from '../src/strategies/index.js';

const file = process.argv[2] ?? 'scenarios/balanced.ts';
const provider = backends.webgpu;
const device = await provider.start();
console.log(`${file} on ${device.description}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const scenario = await loadScenario(file);
for (const batchSize of [15, 1000]) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batchSize);
  for (const id of RUNNABLE_STRATEGY_IDS) {
    const gan = createGan(scenario, 'foreach');
    const batches = createBatches(scenario, 4);
    const run = createStepRunner(gan);
    const step = (i: number) => run(strategies[id], batches[i % 4]!);
    for (let i = 0; i < 10; i++) { step(i); await provider.sync(); }
    const before = provider.dispatches!();
    step(0);
    const dispatches = provider.dispatches!() - before;
    await provider.sync();
    const enqueue: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now(); step(i); const t1 = performance.now(); await provider.sync(); const t2 = performance.now();
      enqueue.push(t1 - t0); total.push(t2 - t0);
    }
    const [e, t] = [median(enqueue), median(total)];
    console.log(
      `submit batch ${String(batchSize).padStart(4)}  ${id.padEnd(15)} ${dispatches} dispatches, enqueue ${e.toFixed(1)} ms ` +
        `(${((1000 * e) / dispatches).toFixed(0)} µs/dispatch), total ${t.toFixed(1)} ms, wait ${(t - e).toFixed(1)} ms`,
    );
    gan.dispose();
    disposeBatches(batches);
  }
}
