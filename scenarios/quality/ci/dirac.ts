import { defineScenario } from '../../../src/index.js';

/** CI's cut-down Dirac-GAN (scenarios/quality/dirac-post.ts): 100 steps, 2 seeds, on the cpu backend. */
export default defineScenario({
  name: 'ci-dirac',
  description: "A cut-down Dirac-GAN run for CI: the post's loss, gradient descent at 0.2 from (1, 1), 100 steps.",
  generator: { latentSize: 1, hidden: [], outputSize: 1, outputActivation: 'linear', bias: false, initialValue: 1 },
  discriminator: { hidden: [], bias: false, initialValue: 1 },
  data: { shape: [1], source: 'dirac' },
  batchSize: 1,
  optimizer: { name: 'sgd', learningRate: 0.2 },
  measure: { warmupSteps: 2, minSamples: 5, minTimeMs: 100, rounds: 2, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  backend: 'cpu',
  quality: { steps: 100, seeds: 2, evaluateEvery: 10, samples: 1, threshold: { metric: 'distance', value: 1, direction: 'below' } },
});
