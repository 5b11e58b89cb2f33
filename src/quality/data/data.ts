/**
 * What a quality run feeds the GAN, as plain arrays that any backend can take: per seed, the real samples and
 * noise of every training step (identical for every strategy: the same data order), and the noise the
 * checkpoints evaluate G on (fixed per seed). Every number comes from src/quality/data/random.ts, seeded by the
 * scenario's seed, the seed index and the step, so a step's batch can be made in any order. Under WGAN-GP a batch
 * also carries its interpolation weights, as the benchmark's batches do (src/models/gan.ts `createBatches`).
 */
import { isWassersteinGp } from '../../scenario/regularizer.js';
import type { Scenario } from '../../scenario/schema.js';
import { GRID, RING, sampleMixture } from './mixtures.js';
import { loadMnist, MNIST_PIXELS } from './mnist-data.js';
import { createRandom, deriveSeed, permutation, type Random } from './random.js';
import type { TrainingData } from '../../session/session.js';

// What a seed's data is, as every backend's session takes it (src/session/session.ts).
export type { BatchArrays, RowTable, TrainingData } from '../../session/session.js';

/** Seed index i's initial weights: G from `seed + 2i`, D from `seed + 2i + 1` (src/models/gan.ts). */
export function weightSeed(scenario: Scenario, seedIndex: number): number {
  return scenario.seed + 2 * seedIndex;
}

/** `scenario` with the weights of seed index i: what the GAN of that seed is built from. */
export function scenarioForSeed(scenario: Scenario, seedIndex: number): Scenario {
  return { ...scenario, seed: weightSeed(scenario, seedIndex) };
}

/** Noise for G: standard normal, or the Dirac-GAN's constant 1. */
function noise(scenario: Scenario, random: Random, count: number): Float32Array {
  const values = new Float32Array(count * scenario.generator.latentSize);
  if (scenario.data.source === 'dirac') return values.fill(1);
  for (let i = 0; i < values.length; i++) values[i] = random.normal();
  return values;
}

/**
 * WGAN-GP's interpolation weights of one batch, one per sample, uniform in [0, 1): PyTorch-GAN's
 * `Tensor(np.random.random((real_samples.size(0), 1, 1, 1)))`, drawn from a stream of their own so that the noise and
 * real samples are the same with or without them.
 */
function interpolationWeights(seed: number, step: number, batchSize: number): Float32Array {
  const random = createRandom(deriveSeed(seed, step, 'alpha'));
  return Float32Array.from({ length: batchSize }, () => random.uniform());
}

/** The training data of seed index `seedIndex` (with `alpha` in every batch where the regularizer is WGAN-GP's). */
export function createTrainingData(scenario: Scenario, seedIndex: number): TrainingData {
  const seed = deriveSeed(scenario.seed, seedIndex, 'data');
  const { batchSize } = scenario;
  const dataSize = scenario.generator.outputSize;
  const source = scenario.data.source;
  const wasserstein = isWassersteinGp(scenario.regularizer.kind);
  const mnist = source === 'mnist' ? loadMnist().train : null;
  // MNIST is read in epochs: a fresh seeded permutation of the training digits for each.
  const epochs = new Map<number, Uint32Array>();
  const epochOrder = (epoch: number) => {
    let order = epochs.get(epoch);
    if (!order) {
      order = permutation(mnist!.count, createRandom(deriveSeed(seed, 'epoch', epoch)));
      epochs.clear(); // a batch spans at most two epochs, asked for in order
      epochs.set(epoch, order);
    }
    return order;
  };
  const rows = (step: number): Uint32Array => {
    const indices = new Uint32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      const position = step * batchSize + i;
      indices[i] = epochOrder(Math.floor(position / mnist!.count))[position % mnist!.count]!;
    }
    return indices;
  };
  return {
    batch(step) {
      const random = createRandom(deriveSeed(seed, step));
      const z = noise(scenario, random, batchSize);
      let real: Float32Array;
      switch (source) {
        case 'ring':
          real = sampleMixture(RING, random, batchSize);
          break;
        case 'grid':
          real = sampleMixture(GRID, random, batchSize);
          break;
        case 'dirac':
          real = new Float32Array(batchSize * dataSize); // the real data sit at 0
          break;
        case 'mnist': {
          const digits = new Float32Array(batchSize * MNIST_PIXELS);
          rows(step).forEach((index, i) => digits.set(mnist!.images.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS), i * MNIST_PIXELS));
          real = digits;
          break;
        }
        case 'uniform':
          real = new Float32Array(batchSize * dataSize);
          for (let i = 0; i < real.length; i++) real[i] = random.uniform() * 2 - 1;
          break;
      }
      return wasserstein ? { z, real, alpha: interpolationWeights(seed, step, batchSize) } : { z, real };
    },
    ...(mnist ? { table: { values: mnist.images, rows } } : {}),
  };
}

/** The noise every checkpoint of seed index `seedIndex` generates its `count` samples from: [count, latentSize]. */
export function evaluationNoise(scenario: Scenario, seedIndex: number, count: number): Float32Array {
  return noise(scenario, createRandom(deriveSeed(scenario.seed, seedIndex, 'evaluation')), count);
}
