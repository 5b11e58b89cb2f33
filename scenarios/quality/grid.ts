import { defineScenario } from '../../src/index.js';

/**
 * PacGAN's grid (fjxmlzn/PacGAN, synthetic_data_experiments/2DGrid_GAN&PacGAN): 25 Gaussians at
 * {-4, -2, 0, 2, 4}^2, std 0.05, metrics on 2,500 samples; small networks as in ring.ts, 2,000 steps at batch 64.
 * The threshold is 90% of the samples within 3 standard deviations of a mode (PacGAN's vanilla GAN: 94.8%). Lower
 * bars do not tell a learned grid apart: the untrained generator's samples all sit near (0, 0) and score up to
 * 0.80 on the central mode alone (seed 1 here), and a cloud spread over the square hits 20 or more of the 25
 * modes once each, with ~3% of its samples high quality, reverse KL ~0.3.
 */
export default defineScenario({
  name: 'grid',
  description: "PacGAN's grid of 25 Gaussians (std 0.05): a 2-64-64-2 G against a 2-64-64-1 D, Adam 2e-3, batch 64.",
  generator: { latentSize: 2, hidden: [64, 64], activation: 'relu', outputSize: 2, outputActivation: 'linear' },
  discriminator: { hidden: [64, 64], activation: 'leakyRelu' },
  data: { shape: [2], source: 'grid' },
  batchSize: 64,
  optimizer: { learningRate: 2e-3, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 5, minSamples: 30, minTimeMs: 1000, rounds: 5, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'],
  quality: { steps: 2000, seeds: 5, evaluateEvery: 100, threshold: { metric: 'high-quality', value: 0.9, direction: 'above' } },
});
