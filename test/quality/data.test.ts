import { describe, expect, it } from 'vitest';
import { createTrainingData, evaluationNoise, scenarioForSeed } from '../../src/quality/data/data.js';
import { isHeldOut, loadMnist, MNIST_PIXELS } from '../../src/quality/data/mnist-data.js';
import { GRID, RING } from '../../src/quality/data/mixtures.js';
import { createRandom, deriveSeed, permutation } from '../../src/quality/data/random.js';
import { loadScenario } from '../../src/scenario/load.js';

describe('seeded randomness', () => {
  it('derives the same seed from the same parts, different ones from different parts', () => {
    expect(deriveSeed(1, 0, 'data')).toBe(deriveSeed(1, 0, 'data'));
    expect(new Set([deriveSeed(1, 0, 'data'), deriveSeed(1, 1, 'data'), deriveSeed(2, 0, 'data'), deriveSeed(1, 0, 'evaluation')]).size).toBe(4);
    // FNV-1a of the empty string is its offset basis.
    expect(deriveSeed()).toBe(0x811c9dc5);
  });

  it('draws uniforms in [0, 1), normals with mean ~0 and variance ~1, and permutations', () => {
    const random = createRandom(5);
    const normals = Array.from({ length: 20_000 }, () => random.normal());
    const mean = normals.reduce((a, b) => a + b, 0) / normals.length;
    const variance = normals.reduce((a, b) => a + (b - mean) ** 2, 0) / normals.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect([...permutation(10, createRandom(3))].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(createRandom(9).uniform()).toBe(createRandom(9).uniform());
  });
});

describe('the MNIST split', () => {
  it('holds out every tenth digit of each class, scaled to [-1, 1]', () => {
    const { train, heldOut } = loadMnist();
    expect(train.count + heldOut.count).toBe(10_000);
    expect(heldOut.count).toBe(997);
    const perClass = Array(10).fill(0);
    for (const label of heldOut.labels) perClass[label]++;
    expect(perClass).toEqual([100, 112, 99, 103, 98, 86, 101, 107, 94, 97]);
    expect([isHeldOut(8), isHeldOut(9), isHeldOut(19)]).toEqual([false, true, true]);
    let [min, max] = [Infinity, -Infinity];
    for (const value of train.images) [min, max] = [Math.min(min, value), Math.max(max, value)];
    expect([min, max]).toEqual([-1, 1]);
    expect(train.images.length).toBe(train.count * MNIST_PIXELS);
  });
});

describe('training data', () => {
  it('gives every strategy of a seed the same batches, and each seed its own', async () => {
    const scenario = await loadScenario('scenarios/quality/ci/ring.ts');
    const [a, b, other] = [createTrainingData(scenario, 0), createTrainingData(scenario, 0), createTrainingData(scenario, 1)];
    expect(a.batch(7)).toEqual(b.batch(7));
    expect(a.batch(7)).not.toEqual(other.batch(7));
    expect(a.batch(7)).not.toEqual(a.batch(8));
    expect(evaluationNoise(scenario, 0, 10)).toEqual(evaluationNoise(scenario, 0, 10));
    expect(scenarioForSeed(scenario, 2).seed).toBe(scenario.seed + 4);
  });

  it("carries WGAN-GP's interpolation weights, one per sample in [0, 1) drawn per step from the seed, only under WGAN-GP", async () => {
    const ring = await loadScenario('scenarios/quality/ci/ring.ts');
    const wgan = { ...ring, regularizer: { ...ring.regularizer, kind: 'wgan-gp' as const } };
    const [a, b, other] = [createTrainingData(wgan, 0), createTrainingData(wgan, 0), createTrainingData(wgan, 1)];
    const alpha = a.batch(3).alpha!;
    expect(alpha).toHaveLength(ring.batchSize);
    expect(alpha.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(alpha).size).toBe(ring.batchSize);
    expect(b.batch(3).alpha).toEqual(alpha);
    expect(a.batch(4).alpha).not.toEqual(alpha);
    expect(other.batch(3).alpha).not.toEqual(alpha);
    // A stream of their own: the noise and real samples are those of the same seed without WGAN-GP.
    const plain = createTrainingData(ring, 0).batch(3);
    expect(plain.alpha).toBeUndefined();
    expect({ z: a.batch(3).z, real: a.batch(3).real }).toEqual(plain);
    expect(createTrainingData({ ...ring, regularizer: { ...ring.regularizer, kind: 'r1' } }, 0).batch(3).alpha).toBeUndefined();
  });

  it('draws ring and grid samples from their modes', async () => {
    for (const [file, mixture] of [['scenarios/quality/ci/ring.ts', RING], ['scenarios/quality/ci/grid.ts', GRID]] as const) {
      const scenario = await loadScenario(file);
      const { real, z } = createTrainingData(scenario, 0).batch(0);
      expect(real).toHaveLength(scenario.batchSize * 2);
      expect(z).toHaveLength(scenario.batchSize * scenario.generator.latentSize);
      for (let i = 0; i < scenario.batchSize; i++) {
        const nearest = Math.min(...mixture.means.map(([x, y]) => Math.hypot(real[2 * i]! - x, real[2 * i + 1]! - y)));
        expect(nearest).toBeLessThan(6 * mixture.std);
      }
    }
  });

  it('feeds the Dirac-GAN real data at 0 and G the constant 1', async () => {
    const scenario = await loadScenario('scenarios/quality/dirac-post.ts');
    const { z, real } = createTrainingData(scenario, 0).batch(3);
    expect([...z, ...real]).toEqual([1, 0]);
  });

  it('reads MNIST in epochs: every training digit once before any twice', async () => {
    const scenario = await loadScenario('scenarios/quality/ci/mnist.ts');
    const data = createTrainingData(scenario, 0);
    const { train } = loadMnist();
    const steps = Math.floor(train.count / scenario.batchSize);
    const fingerprint = (digit: Float32Array) => digit.reduce((sum, value, p) => sum + value * (p + 1) * 1.000001 ** p, 0);
    const seen = new Set<number>();
    for (let step = 0; step < steps; step++) {
      const { real } = data.batch(step);
      for (let i = 0; i < scenario.batchSize; i++) seen.add(fingerprint(real.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS)));
    }
    // Distinct images (a few digits of the package are duplicates of others).
    expect(seen.size).toBeGreaterThan(steps * scenario.batchSize - 20);
  });
});
