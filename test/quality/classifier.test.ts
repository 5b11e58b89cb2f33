import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBackend } from '../../src/backends/index.js';
import { classifierCacheKey, DEFAULT_CACHE_DIR, loadOrTrainClassifier } from '../../src/quality/classifier/classifier-cache.js';
import { MNIST_CLASSIFIER, type ClassifierConfig } from '../../src/quality/classifier/classifier-config.js';
import { createMnistReference } from '../../src/quality/metrics/evaluate.js';
import { loadMnist } from '../../src/quality/data/mnist-data.js';
import { tf } from '../../src/tf.js';

/**
 * The quality run's classifier (MNIST_CLASSIFIER, two convolutions) takes minutes to train on two cores, so the
 * tests train a tiny one, softmax regression on the pixels for one epoch (seconds), through the same code:
 * seeded, cached, run over the held-out digits. docs/quality.md gives the real one's accuracy and ceiling.
 */
const TINY: ClassifierConfig = { conv: [], dense: [], epochs: 1, batchSize: 64, learningRate: 3e-3, learningRateDecay: 1, seed: 1 };

beforeAll(async () => {
  await startBackend('wasm');
});

describe('the MNIST classifier', () => {
  it('trains deterministically: the same bits in two empty caches, then read back from the cache', { timeout: 300_000 }, async () => {
    const { train, heldOut } = loadMnist();
    const [first, second] = [await mkdtemp(join(tmpdir(), 'classifier-')), await mkdtemp(join(tmpdir(), 'classifier-'))];
    const a = await loadOrTrainClassifier({ config: TINY, train, cacheDir: first });
    const b = await loadOrTrainClassifier({ config: TINY, train, cacheDir: second });
    expect([a.trainedNow, b.trainedNow]).toEqual([true, true]);
    expect(b.trained.weights).toEqual(a.trained.weights);
    const cached = await loadOrTrainClassifier({ config: TINY, train, cacheDir: first });
    expect(cached.trainedNow).toBe(false);
    expect(cached.trained.weights).toEqual(a.trained.weights);
    expect(await readdir(join(first, 'mnist-classifier'))).toHaveLength(2); // weights and their description

    // Held out: a tenth of each class. Softmax regression gets ~90% of them; the real digits' Inception score
    // (the ceiling of a generator's) is high, though short of 10: the classifier is not always sure.
    const reference = await createMnistReference(a.trained, heldOut);
    expect(reference.heldOutCount).toBe(997);
    expect(reference.heldOutAccuracy).toBeGreaterThan(0.85);
    expect(reference.heldOutInceptionScore).toBeGreaterThan(6);
    expect(reference.heldOutInceptionScore).toBeLessThan(10);
    reference.model.dispose();
    expect(tf.getBackend()).toBe('wasm');
  });

  it("is cached by default in .cache/ at the repository's root, wherever its source file lives", () => {
    expect(DEFAULT_CACHE_DIR).toBe(resolve(import.meta.dirname, '../../.cache'));
  });

  it('is cached under a key that changes with the data, the architecture, the seed and the training backend', () => {
    const { train, heldOut } = loadMnist();
    const key = classifierCacheKey(MNIST_CLASSIFIER, train, 'wasm SIMD');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(classifierCacheKey(MNIST_CLASSIFIER, train, 'wasm SIMD')).toBe(key);
    expect(classifierCacheKey({ ...MNIST_CLASSIFIER, seed: 2 }, train, 'wasm SIMD')).not.toBe(key);
    expect(classifierCacheKey({ ...MNIST_CLASSIFIER, dense: [64] }, train, 'wasm SIMD')).not.toBe(key);
    expect(classifierCacheKey(MNIST_CLASSIFIER, heldOut, 'wasm SIMD')).not.toBe(key);
    expect(classifierCacheKey(MNIST_CLASSIFIER, train, 'cpu')).not.toBe(key);
  });
});
