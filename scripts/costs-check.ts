/**
 * The measurements behind docs/costs.md, in one script that also runs bundled on a quiet machine (the GPU
 * machine: docs/costs.md says what travels with the bundle).
 *
 *   npx tsx scripts/costs-check.ts --backend wasm [--threads N] [--out DIR] [--quick]
 *   npx tsx scripts/costs-check.ts --backend webgpu|cpu [--out DIR]
 *
 * Prints markdown tables and writes costs-<backend>[-tN].json into --out:
 * - forms: the calibration (src/measure/calibration.ts) at each scenario's largest layer, at batch 64 and 4096,
 *   on wasm both as tfjs ships it ('shipped': transposed products in its scalar loop; batch 64 only) and with
 *   src/kernels/wasm-transposed-matmul.ts ('fixed');
 * - forward: on wasm, the dense forward (one _FusedMatMul on a new weight matrix, as after every optimizer step)
 *   against the same product computed as (Wᵀ·xᵀ)ᵀ, which packs only batch-sized data;
 * - steps (wasm): the four strategies of each scenario, shipped and fixed, all eight interleaved.
 *
 * --threads N starts tfjs-wasm's multi-threaded build, which does not start in Node as shipped (its worker is a
 * blob: URL, which Node's Worker refuses): see startThreadedWasm and docs/costs.md.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import balancedFile from '../scenarios/balanced.js';
import largeDFile from '../scenarios/large-d.js';
import smallDFile from '../scenarios/small-d.js';
import { backends, type ConcreteBackendId } from '../src/backends/index.js';
import { installWasmTransposedMatMul } from '../src/kernels/wasm-transposed-matmul.js';
import { calibrateBackend } from '../src/session/tfjs-calibration.js';
import { timeInterleaved } from '../src/measure/timing.js';
import { mean } from '../src/measure/statistics.js';
import { dense } from '../src/models/dense.js';
import { createBatches, createGan, disposeBatches } from '../src/models/gan.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/schema.js';
import { createStepRunner } from '../src/models/step-runner.js';
import { RUNNABLE_STRATEGY_IDS as STRATEGY_IDS, strategies } from '../src/strategies/index.js';
import { tf } from '../src/tf.js';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    out: { type: 'string', default: process.env.OUT ?? 'costs-check-out' },
    quick: { type: 'boolean', default: false },
  },
});
const backendId = args.backend as ConcreteBackendId;
const threads = args.threads === undefined ? null : Number(args.threads);
const quick = args.quick;
const SCENARIOS: Scenario[] = [smallDFile, balancedFile, largeDFile].map((file, i) => parseScenario(file, `scenario ${i}`));
const report: Record<string, unknown> = { backend: backendId, threads, node: process.version, cpu: os.cpus()[0]?.model, cpus: os.cpus().length };
const log = (line: string) => console.log(line);

/**
 * tfjs-backend-wasm's threaded main script and the module holding its worker's source: beside the bundle when
 * bundled (the latter as .cjs: the project's package.json makes .js files ES modules), else in node_modules.
 */
function threadedWasmFiles(): { mainScript: string; workerModule: string } {
  const here = typeof __dirname === 'string' ? __dirname : '';
  if (here && existsSync(join(here, 'tfjs-backend-wasm-threaded-simd.worker.cjs'))) {
    return { mainScript: join(here, 'tfjs-backend-wasm-threaded-simd.js'), workerModule: join(here, 'tfjs-backend-wasm-threaded-simd.worker.cjs') };
  }
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  return { mainScript: join(dir, 'tfjs-backend-wasm-threaded-simd.js'), workerModule: join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js') };
}
declare const __dirname: string | undefined;

/**
 * tfjs-wasm's threaded build in Node 20. Five things stand in its way, each worked around here:
 * 1. tfjs reports no thread support in Node (flag WASM_HAS_MULTITHREAD_SUPPORT, tfjs issue 3830): set it;
 * 2. the pthread worker is a blob: URL (URL.createObjectURL of the worker source), which Node's Worker refuses
 *    (ERR_WORKER_PATH): while the backend starts, that call returns a file holding the same source;
 * 3. the worker then loads the main script from another Blob (`mainScriptUrlOrBlob`), which its Node branch
 *    cannot read: the file's source loads wasm-out/tfjs-backend-wasm-threaded-simd.js instead;
 * 4. the C++ side caps threads at logical cores / 2 (`emscripten_num_logical_cores() / 2`): on a 2-vCPU machine
 *    that is 1, so os.cpus() reports twice the CPUs while it starts (on 16 cores the cap is 8 anyway);
 * 5. running pthreads keep their Worker ref'd, so Node never exits: they are unref'd after the start.
 */
async function startThreadedWasm(count: number): Promise<void> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as { setThreadsCount(n: number): void; getThreadsCount(): number };
  const { mainScript, workerModule } = threadedWasmFiles();
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents: string };
  const blobBranch =
    'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
  if (!wasmWorkerContents.includes(blobBranch)) throw new Error('tfjs-backend-wasm worker source changed: the thread patch does not apply');
  const workerFile = join(mkdtempSync(join(os.tmpdir(), 'tfjs-wasm-threads-')), 'worker.cjs');
  // tfjs escapes newlines the same way before making its Blob: the template literal turned "\n" into newlines.
  writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n').replace(blobBranch, `importScripts(${JSON.stringify(mainScript)});`));
  wasm.setThreadsCount(count);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const { createObjectURL } = URL;
  const nodeOs = require('node:os') as { cpus: typeof os.cpus }; // the CommonJS object the glue's require("os") gets
  const cpus = nodeOs.cpus;
  URL.createObjectURL = (blob: Blob) => (blob instanceof Blob && blob.type === 'application/javascript' ? workerFile : createObjectURL(blob));
  nodeOs.cpus = () => [...cpus(), ...cpus()];
  try {
    await backends.wasm.start();
  } finally {
    URL.createObjectURL = createObjectURL;
    nodeOs.cpus = cpus;
  }
  const module = (tf.backend() as unknown as { wasm: { PThread: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> } } }).wasm;
  for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
  report.threadsStarted = wasm.getThreadsCount();
  log(`wasm threads: asked ${count}, running ${wasm.getThreadsCount()}`);
}

/** Switches wasm's BatchMatMul between tfjs's own ('shipped') and the transposing wrapper ('fixed'). */
let shippedBatchMatMul: tf.KernelConfig | undefined;
let fixedBatchMatMul: tf.KernelConfig | undefined;
function useVariant(variant: 'shipped' | 'fixed'): void {
  const config = variant === 'shipped' ? shippedBatchMatMul : fixedBatchMatMul;
  if (!config || tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc === config.kernelFunc) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(config);
}

async function forms(variants: Array<'shipped' | 'fixed' | null>): Promise<void> {
  const provider = backends[backendId];
  const rows: unknown[] = [];
  log(`\n| variant | scenario | layer | batch | x·W | dY·Wᵀ | Xᵀ·dY | Multiply GB/s | rounds | time |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  const batches = quick ? [64] : backendId === 'cpu' ? [64] : [64, 4096];
  for (const batchSize of batches) {
    for (const scenario of batchSize === 64 ? SCENARIOS : SCENARIOS.slice(1)) {
      // tfjs's own transposed products at 4096 take ~5 s each: their 0.05-0.1× is clear at batch 64 already.
      for (const variant of variants.filter((v) => batchSize === 64 || v !== 'shipped')) {
        if (variant) useVariant(variant);
        const calibration = await calibrateBackend({ ...scenario, batchSize }, provider, { description: backendId });
        const g = Object.fromEntries(calibration.products.map((p) => [p.form, p.gflops])) as Record<string, number>;
        const { layer } = calibration;
        const ratio = (form: string) => `${g[form]!.toFixed(2)} (${(g[form]! / g.plain!).toFixed(2)}×)`;
        log(
          `| ${variant ?? backendId} | ${scenario.name} | ${layer.network}${layer.index + 1} ${layer.inputSize}→${layer.outputSize} | ${batchSize} | ` +
            `${g.plain?.toFixed(2)} | ${ratio('transposeB')} | ${ratio('transposeA')} | ${calibration.elementwise?.gbPerS.toFixed(2)} | ` +
            `${calibration.rounds} | ${(calibration.elapsedMs / 1000).toFixed(2)} s |${calibration.error ? ` ${calibration.error}` : ''}`,
        );
        rows.push({ variant, calibration });
      }
    }
  }
  useVariant('fixed');
  report.forms = rows;
}

/** The dense forward on a new weight matrix: the fused kernel (XNNPACK packs W) against (Wᵀ·xᵀ)ᵀ (it packs xᵀ). */
async function forward(): Promise<void> {
  const shapes: Array<[number, number, number]> = [
    [64, 512, 784],
    [64, 1024, 784],
    [64, 784, 1024],
    [64, 784, 512],
    [4096, 1024, 784],
  ];
  const rows: unknown[] = [];
  log('\n| batch × in → out | fused, new W | fused, same W | (Wᵀ·xᵀ)ᵀ + bias + act, new W |\n| --- | ---: | ---: | ---: |');
  for (const [b, i, o] of quick ? shapes.slice(0, 2) : shapes) {
    const x = tf.randomUniform([b, i], -1, 1, 'float32', 1);
    const w = tf.randomUniform([i, o], -1, 1, 'float32', 2);
    const bias = tf.randomUniform([o], -1, 1, 'float32', 3);
    const samples: Record<string, number[]> = { fused: [], cached: [], swapped: [] };
    for (let round = 0; round < (b > 1000 ? 4 : 12); round++) {
      for (const name of Object.keys(samples)) {
        const weights = name === 'cached' ? w : tf.neg(w);
        const start = performance.now();
        const out =
          name === 'swapped'
            ? tf.tidy(() => tf.leakyRelu(tf.add(tf.transpose(tf.matMul(tf.transpose(weights), tf.transpose(x))), bias), 0.2))
            : dense(x, weights, bias, 'leakyRelu');
        out.dataSync();
        samples[name]!.push(performance.now() - start);
        tf.dispose(name === 'cached' ? [out] : [out, weights]);
      }
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, [...v.slice(1)].sort((p, q) => p - q)[Math.floor((v.length - 1) / 2)]!]));
    const gf = (ms: number) => `${ms.toFixed(2)} ms (${((2 * b * i * o) / ms / 1e6).toFixed(1)} GFLOP/s)`;
    log(`| ${b} × ${i} → ${o} | ${gf(medians.fused!)} | ${gf(medians.cached!)} | ${gf(medians.swapped!)} |`);
    rows.push({ b, i, o, medians });
    tf.dispose([x, w, bias]);
  }
  report.forward = rows;
}

/** Mean step time of each strategy, shipped and fixed, all interleaved in one timing loop. */
async function steps(variants: Array<'shipped' | 'fixed'>): Promise<void> {
  const rows: unknown[] = [];
  for (const scenario of SCENARIOS) {
    const batches = createBatches(scenario, 4);
    const tasks = variants.flatMap((variant) =>
      STRATEGY_IDS.map((id) => {
        const gan = createGan(scenario);
        const run = createStepRunner(gan);
        let next = 0;
        return {
          id: `${variant} ${id}`,
          gan,
          step: () => {
            useVariant(variant);
            run(strategies[id], batches[next++ % batches.length]!);
          },
        };
      }),
    );
    const measure = quick ? { warmupSteps: 1, minSamples: 2, minTimeMs: 200, rounds: 1 } : { warmupSteps: 2, minSamples: 6, minTimeMs: 800, rounds: 2 };
    const timings = await timeInterleaved(tasks, { ...measure, sync: async () => {} });
    const means = Object.fromEntries([...timings].map(([id, t]) => [id, t.samplesMs.length ? mean(t.samplesMs) : NaN]));
    const line = (variant: string) => STRATEGY_IDS.map((id) => means[`${variant} ${id}`]!.toFixed(1)).join(' / ');
    for (const variant of variants) log(`| ${scenario.name} | ${variant} | ${line(variant)} |`);
    rows.push({ scenario: scenario.name, means });
    for (const task of tasks) task.gan.dispose();
    disposeBatches(batches);
  }
  useVariant('fixed');
  report.steps = rows;
}

async function main(): Promise<void> {
  mkdirSync(args.out!, { recursive: true });
  if (backendId === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    shippedBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
    if (threads !== null) await startThreadedWasm(threads);
    else await backends.wasm.start();
    installWasmTransposedMatMul();
    fixedBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
    const variants = threads === null ? (['shipped', 'fixed'] as const) : (['fixed'] as const);
    await forms([...variants]);
    await forward();
    log(`\n| scenario | variant | ${STRATEGY_IDS.join(' / ')} (mean ms per step) |\n| --- | --- | --- |`);
    await steps([...variants]);
  } else {
    const device = await backends[backendId].start();
    report.device = device.description;
    log(`${backendId}: ${device.description}`);
    await forms([null]);
  }
  const file = join(args.out!, `costs-${backendId}${threads === null ? '' : `-t${threads}`}.json`);
  writeFileSync(file, JSON.stringify(report, null, 1));
  log(`wrote ${file}`);
}

await main();
