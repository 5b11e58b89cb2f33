// Where one webgpu training step's time goes: enqueueing (JavaScript, tfjs, Dawn encoding) versus waiting for the
// device, per strategy, with tfjs's default submit batching and with one submit per step.
// Run from the project root: npx tsx scripts/profile-webgpu-step.ts [scenario.ts] (lavapipe or a GPU).
import { tf } from '../src/tf.js';
import { backends } from '../src/backends/index.js';
import { loadScenario } from '../src/scenario/load.js';
import { createBatches, createGan, disposeBatches } from '../src/models/gan.js';
import { createStepContext } from '../src/strategies/context.js';
import { strategies, STRATEGY_IDS } from '../src/strategies/index.js';
import { profileStep } from '../src/measure/memory.js';
const file = process.argv[2] ?? 'scenarios/balanced.ts';
const provider = backends.webgpu; await provider.start();
for (const flag of [15, 1000]) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', flag);
  const scenario = await loadScenario(file);
  for (const id of STRATEGY_IDS) {
    const gan = createGan(scenario, 'foreach'); const batches = createBatches(scenario, 4); const ctx = createStepContext(gan);
    for (let i = 0; i < 3; i++) { tf.tidy(() => strategies[id].step(ctx, batches[i % 4]!)); await provider.sync(); }
    const p = await profileStep(() => tf.tidy(() => strategies[id].step(ctx, batches[0]!)));
    const dispatches = p.kernels.filter((k) => k.name !== 'Identity' && k.name !== 'Reshape').length;
    let enqueue = 0, total = 0; const n = 5;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now(); tf.tidy(() => strategies[id].step(ctx, batches[i % 4]!)); const t1 = performance.now(); await provider.sync(); const t2 = performance.now();
      enqueue += t1 - t0; total += t2 - t0;
    }
    console.log(`${file} batch-submit ${flag} ${id}: ${p.kernels.length} kernels (${dispatches} dispatching), enqueue ${(enqueue / n).toFixed(1)} ms, total ${(total / n).toFixed(1)} ms, wait ${((total - enqueue) / n).toFixed(1)} ms`);
    gan.dispose();
    disposeBatches(batches);
  }
}
