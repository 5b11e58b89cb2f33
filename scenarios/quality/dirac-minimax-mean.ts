import { defineScenario } from '../../src/index.js';

/**
 * The Dirac-GAN (see dirac-paper.ts) with the minimax G loss and the strategies' own D loss, (real + fake) / 2,
 * gradient descent at 0.2 for both networks from (theta, psi) = (1, 1).
 * Expected from the update equations alone (test/quality/dirac.test.ts): simultaneous, ||(theta, psi)|| = 2.78
 * after 500 steps; alternating stays within [1.20, 1.68].
 */
export default defineScenario({
  name: 'dirac-minimax-mean',
  description: 'The Dirac-GAN with the minimax G loss and D loss (real + fake) / 2, gradient descent at 0.2 from (1, 1).',
  generator: { latentSize: 1, hidden: [], outputSize: 1, outputActivation: 'linear', bias: false, initialValue: 1 },
  discriminator: { hidden: [], bias: false, initialValue: 1 },
  data: { shape: [1], source: 'dirac' },
  batchSize: 1,
  optimizer: { name: 'sgd', learningRate: 0.2 },
  loss: { generator: 'minimax' },
  measure: { warmupSteps: 3, minSamples: 50, minTimeMs: 500, rounds: 5, equivalenceSteps: 3 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  quality: { steps: 500, seeds: 1, evaluateEvery: 1, samples: 1, threshold: { metric: 'distance', value: 0.5, direction: 'below' } },
});
