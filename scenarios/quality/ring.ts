import { defineScenario } from '../../src/index.js';

/**
 * PacGAN's ring (Lin et al., NeurIPS 2018; fjxmlzn/PacGAN, synthetic_data_experiments/2DRing_GAN&PacGAN): 8
 * Gaussians on the unit circle, std 0.01, metrics on 2,500 samples. The networks are far smaller than PacGAN's
 * (4 x 400 units with batch norm, 400 epochs) so that 5 strategies x 5 seeds train in a few minutes on two CPU
 * cores: a 2-64-64-2 generator and a 2-64-64-1 discriminator, 2,000 steps at batch 64.
 * The threshold, 10% of the samples within 3 standard deviations of a mode, is about 5 times what a generator
 * that has only found the ring's annulus scores (~2%): the modes themselves must be found.
 */
export default defineScenario({
  name: 'ring',
  description: "PacGAN's ring of 8 Gaussians (std 0.01): a 2-64-64-2 G against a 2-64-64-1 D, Adam 2e-3, batch 64.",
  generator: { latentSize: 2, hidden: [64, 64], activation: 'relu', outputSize: 2, outputActivation: 'linear' },
  discriminator: { hidden: [64, 64], activation: 'leakyRelu' },
  data: { shape: [2], source: 'ring' },
  batchSize: 64,
  optimizer: { learningRate: 2e-3, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 5, minSamples: 30, minTimeMs: 1000, rounds: 5, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'],
  quality: { steps: 2000, seeds: 5, evaluateEvery: 100, threshold: { metric: 'high-quality', value: 0.1, direction: 'above' } },
});
