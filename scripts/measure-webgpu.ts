// Measures tfjs-webgpu costs on this machine's adapter: big matmul, per-dispatch overhead, sync and read-back.
// Run from the project root: npx tsx scripts/measure-webgpu.ts
import { cpus } from 'node:os';
import { tf } from '../src/tf.js';
import { webgpuBackend, webgpuOverheadFlags } from '../src/backends/webgpu.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (ms: number) => ms.toFixed(3);

async function timeMatmul(backend: string, sync: () => Promise<void>, runs: number): Promise<number> {
  await tf.setBackend(backend);
  const a = tf.randomNormal([64, 784]);
  const b = tf.randomNormal([784, 512]);
  for (let i = 0; i < 3; i++) { const c = tf.matMul(a, b); await c.data(); c.dispose(); } // compile + upload
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    await sync();
    times.push(performance.now() - start);
    c.dispose();
  }
  tf.dispose([a, b]);
  return median(times);
}

/**
 * 1000 chained adds on a GPU-resident tensor of `size` elements: ms per add (JS side, and until the GPU is done).
 * operand 'tensor': x + y with y already on the GPU; 'scalar': x + 1, which uploads a new scalar tensor each time.
 */
async function timeAdds(size: number, batch: number, operand: 'tensor' | 'scalar', count = 1000): Promise<{ enqueue: number; total: number }> {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
  const enqueue: number[] = [];
  const total: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    let x = tf.add(tf.zeros([size]), 0); // GPU-resident start
    const one = tf.add(tf.zeros([size]), 1);
    tf.env().set('WEBGPU_CPU_FORWARD', true);
    await webgpuBackend.sync();
    const start = performance.now();
    for (let i = 0; i < count; i++) { const y = operand === 'tensor' ? tf.add(x, one) : tf.add(x, 1); x.dispose(); x = y; }
    const queued = performance.now();
    await webgpuBackend.sync();
    const done = performance.now();
    const value = (await x.data())[0];
    if (value !== count) throw new Error(`expected ${count}, got ${value}`);
    tf.dispose([x, one]);
    if (rep > 0) { enqueue.push((queued - start) / count); total.push((done - start) / count); } // rep 0: warm-up
  }
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 15);
  return { enqueue: median(enqueue), total: median(total) };
}

const info = await webgpuBackend.start();
console.log(`device: ${info.description}; CPU: ${cpus()[0]?.model} x${cpus().length}`);
console.log('flags:', JSON.stringify(webgpuOverheadFlags()));

const webgpuMatmul = await timeMatmul('webgpu', () => webgpuBackend.sync(), 30);
const cpuMatmul = await timeMatmul('cpu', async () => {}, 30);
console.log(`matmul 64x784 @ 784x512: webgpu ${fmt(webgpuMatmul)} ms, tfjs cpu ${fmt(cpuMatmul)} ms (median of 30)`);

await tf.setBackend('webgpu');
for (const [size, operand] of [[4, 'tensor'], [4096, 'tensor'], [4, 'scalar']] as const) {
  for (const batch of [1, 15, 100, 1000]) {
    const { enqueue, total } = await timeAdds(size, batch, operand);
    console.log(`add x1000, [${size}] + ${operand === 'tensor' ? `[${size}] on GPU` : 'literal 1'}, DEFERRED_SUBMIT_BATCH_SIZE=${batch}: ${fmt(enqueue)} ms/add queued, ${fmt(total)} ms/add until GPU done`);
  }
}

// sync() with nothing pending, and a 4-float read-back, each a median of 200.
const syncTimes: number[] = [];
for (let i = 0; i < 200; i++) { const s = performance.now(); await webgpuBackend.sync(); syncTimes.push(performance.now() - s); }
tf.env().set('WEBGPU_CPU_FORWARD', false);
const small = tf.add(tf.zeros([4]), 1);
tf.env().set('WEBGPU_CPU_FORWARD', true);
const readTimes: number[] = [];
for (let i = 0; i < 200; i++) { const y = tf.add(small, 1); const s = performance.now(); await y.data(); readTimes.push(performance.now() - s); y.dispose(); }
console.log(`idle sync(): ${fmt(median(syncTimes))} ms; add + read back 4 floats: ${fmt(median(readTimes))} ms (medians of 200)`);

// tfjs cpu backend per-op cost, for scale.
await tf.setBackend('cpu');
let x = tf.zeros([4]);
const s = performance.now();
for (let i = 0; i < 1000; i++) { const y = tf.add(x, 1); x.dispose(); x = y; }
console.log(`tfjs cpu backend: ${fmt((performance.now() - s) / 1000)} ms/add ([4], 1000 chained)`);
