import { defineSweep } from '../src/index.js';

/**
 * Where the post's rule of thumb flips: G fixed (64 → 128 → 784, MNIST-shaped, 108,544 MACs per sample) and D
 * (784 → w → w → 1) widened from about 1/32 of G's MACs per sample to 32 times them, by factors of 4:
 * w = 4, 17, 64, 217, 618, 1512 give D/G = 0.029, 0.126, 0.50, 2.0, 8.0, 32 (never 1, where the rule picks
 * neither); at batch 64 and 256. `npm run bench -- scenarios/crossover.ts` measures 12 variants; the report's
 * crossover section draws the map. The budgets keep the whole sweep on wasm on a 2-core machine to minutes.
 */
export default defineSweep({
  name: 'crossover',
  description: "G 64-128-784 fixed against D 784-w-w-1 from ~1/32 to ~32 times G's MACs per sample",
  base: {
    generator: { latentSize: 64, hidden: [128], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
    discriminator: { hidden: [64, 64], activation: 'leakyRelu' },
    data: { shape: [28, 28] },
    batchSize: 64,
    optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
    seed: 1,
    // The update-equivalence check does not depend on D's size (scenarios/balanced.ts runs it): skipped here.
    measure: { warmupSteps: 2, minSamples: 20, minTimeMs: 2500, rounds: 10, equivalenceSteps: 0 },
    // The crossover's pair, retain-graph and g-first, and the three others that run.
    strategies: ['retain-graph', 'g-first', 'single-forward', 'detach-d-first', 'frozen-d'],
  },
  axes: {
    discriminatorWidth: [4, 17, 64, 217, 618, 1512],
    batchSize: [64, 256],
  },
});
