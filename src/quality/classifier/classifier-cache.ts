/**
 * The MNIST classifier, trained once and cached on disk. The cache key is a SHA-256 over what decides the
 * weights: the training digits and labels, the architecture and training settings (seed included), the
 * TensorFlow.js version and the backend that trained it; a change to any of them misses the cache and trains
 * anew. Training runs on tfjs's wasm backend (single-threaded WebAssembly: the same arithmetic on every machine
 * with the same build; its convolution gradients are src/kernels/wasm-conv-backprop.ts, which the backend's start
 * installs), or on the cpu backend
 * where wasm cannot start, switched to for the purpose and switched back; the classifier then runs on whatever
 * backend is active.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmBackend } from '../../backends/wasm.js';
import { tf } from '../../tf.js';
import { trainClassifier, type ClassifierConfig, type ClassifierWeights } from './classifier.js';
import type { DigitSet } from '../data/mnist-data.js';

/** `.cache/` at the repository's root (git ignores it). */
export const DEFAULT_CACHE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.cache');

/** Names the convolution-gradient kernels the classifier trains with: another implementation misses the cache. */
const CONV_GRADIENT_KERNELS = 'src/kernels/wasm-conv-backprop.ts (im2col products)';

/** The SHA-256 key of a classifier trained with `config` on `train` by this tfjs version on `trainedOn`. */
export function classifierCacheKey(config: ClassifierConfig, train: DigitSet, trainedOn: string): string {
  const data = createHash('sha256')
    .update(new Uint8Array(train.images.buffer, train.images.byteOffset, train.images.byteLength))
    .update(train.labels)
    .digest('hex');
  return createHash('sha256').update(JSON.stringify({ data, config, tfjs: tf.version.tfjs, trainedOn, kernels: CONV_GRADIENT_KERNELS })).digest('hex');
}

/**
 * Makes the backend the classifier trains on active and says which it is: 'wasm SIMD' or 'wasm' (the build
 * tfjs loads decides the arithmetic), else 'cpu'.
 */
async function startTrainingBackend(): Promise<string> {
  try {
    await wasmBackend.start();
    return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'wasm SIMD' : 'wasm';
  } catch {
    await tf.setBackend('cpu');
    return 'cpu';
  }
}

export interface CachedClassifier {
  trained: ClassifierWeights;
  /** The backend that trained it: 'wasm SIMD', 'wasm' or 'cpu'. */
  trainedOn: string;
  /** The weights file. */
  file: string;
  /** Whether this call trained it (a cache miss), and how long that took. */
  trainedNow: boolean;
  trainingSeconds: number | null;
}

interface CacheMeta {
  key: string;
  tfjs: string;
  trainedOn: string;
  config: ClassifierConfig;
  shapes: number[][];
  trainingSeconds: number;
}

/** Reads the cached classifier for this key, or trains it on the cpu backend and writes it. */
export async function loadOrTrainClassifier(options: {
  config: ClassifierConfig;
  train: DigitSet;
  cacheDir?: string;
  onEpoch?: (epoch: number, epochs: number) => void | Promise<void>;
}): Promise<CachedClassifier> {
  const { config, train, cacheDir = DEFAULT_CACHE_DIR } = options;
  const previous = tf.getBackend();
  let trainedOn: string;
  try {
    trainedOn = await startTrainingBackend();
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  const key = classifierCacheKey(config, train, trainedOn);
  const dir = join(cacheDir, 'mnist-classifier');
  const metaFile = join(dir, `${key}.json`);
  const weightsFile = join(dir, `${key}.bin`);
  if (existsSync(metaFile) && existsSync(weightsFile)) {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as CacheMeta;
    const bytes = await readFile(weightsFile);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    const weights = meta.shapes.map((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = all.slice(offset, offset + size);
      offset += size;
      return { shape, values };
    });
    if (offset !== all.length) throw new Error(`${weightsFile}: ${all.length} values, the architecture needs ${offset} (delete the file)`);
    return { trained: { config: meta.config, weights }, trainedOn, file: weightsFile, trainedNow: false, trainingSeconds: meta.trainingSeconds };
  }

  const started = performance.now();
  let trained: ClassifierWeights;
  try {
    await tf.setBackend(trainedOn === 'cpu' ? 'cpu' : 'wasm');
    trained = await trainClassifier(config, train, options.onEpoch);
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  const trainingSeconds = (performance.now() - started) / 1000;
  await mkdir(dir, { recursive: true });
  const total = trained.weights.reduce((sum, { values }) => sum + values.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const { values } of trained.weights) {
    all.set(values, offset);
    offset += values.length;
  }
  const meta: CacheMeta = { key, tfjs: tf.version.tfjs, trainedOn, config, shapes: trained.weights.map(({ shape }) => shape), trainingSeconds };
  // Written under temporary names and renamed, so that an interrupted run never leaves half a classifier.
  await writeFile(`${weightsFile}.tmp`, new Uint8Array(all.buffer));
  await writeFile(`${metaFile}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
  await rename(`${weightsFile}.tmp`, weightsFile);
  await rename(`${metaFile}.tmp`, metaFile);
  return { trained, trainedOn, file: weightsFile, trainedNow: true, trainingSeconds };
}
