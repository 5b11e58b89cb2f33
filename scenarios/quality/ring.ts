import { defineScenario } from '../../src/index.js';

export default defineScenario({
  name: 'ring',
  description: "PacGAN's ring: 8 Gaussians on the unit circle, std 0.01.",
  generator: { latentSize: 2, hidden: [128, 128], activation: 'relu', outputSize: 2, outputActivation: 'linear' },
  discriminator: { hidden: [128, 128], activation: 'leakyRelu' },
  data: { shape: [2], source: 'ring' },
  batchSize: 100,
  optimizer: { learningRate: 1e-3, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 5, minSamples: 30, minTimeMs: 1000, rounds: 5, equivalenceSteps: 3 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  quality: { steps: 3000, seeds: 5, evaluateEvery: 250, threshold: { metric: 'high-quality', value: 0.5, direction: 'above' } },
});
