import { defineScenario } from '../../src/index.js';

/**
 * The Dirac-GAN (see dirac-paper.ts) with the post's loss: BCE, the non-saturating G loss and D loss
 * (real + fake) / 2, gradient descent at 0.2 for both networks from (theta, psi) = (1, 1).
 * Expected from the update equations alone (test/quality/dirac.test.ts): both converge, alternating faster:
 * ||(theta, psi)|| = 0.65 (min 0.46) simultaneous, 0.39 (min 0.28) alternating, after 500 steps.
 */
export default defineScenario({
  name: 'dirac-post',
  description: "The Dirac-GAN with the post's loss (non-saturating G, D (real + fake) / 2), gradient descent at 0.2 from (1, 1).",
  generator: { latentSize: 1, hidden: [], outputSize: 1, outputActivation: 'linear', bias: false, initialValue: 1 },
  discriminator: { hidden: [], bias: false, initialValue: 1 },
  data: { shape: [1], source: 'dirac' },
  batchSize: 1,
  optimizer: { name: 'sgd', learningRate: 0.2 },
  measure: { warmupSteps: 3, minSamples: 50, minTimeMs: 500, rounds: 5, equivalenceSteps: 3 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  quality: { steps: 500, seeds: 1, evaluateEvery: 1, samples: 1, threshold: { metric: 'distance', value: 0.5, direction: 'below' } },
});
