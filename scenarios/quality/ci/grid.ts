import { defineScenario } from '../../../src/index.js';

/** CI's cut-down grid (scenarios/quality/grid.ts): tiny networks, 60 steps, 2 seeds, on the cpu backend. */
export default defineScenario({
  name: 'ci-grid',
  description: "A cut-down grid run for CI: PacGAN's 25 Gaussians, 16-unit networks, 60 steps, 2 seeds.",
  generator: { latentSize: 2, hidden: [16, 16], activation: 'relu', outputSize: 2, outputActivation: 'linear' },
  discriminator: { hidden: [16, 16], activation: 'leakyRelu' },
  data: { shape: [2], source: 'grid' },
  batchSize: 64,
  optimizer: { learningRate: 2e-3, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 2, minSamples: 5, minTimeMs: 100, rounds: 2, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  backend: 'cpu',
  quality: { steps: 60, seeds: 2, evaluateEvery: 20, samples: 500, threshold: { metric: 'modes', value: 1, direction: 'above' } },
});
