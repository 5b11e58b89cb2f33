import { defineScenario } from '../../src/index.js';

/**
 * The Dirac-GAN as the paper trains it (Mescheder, Geiger and Nowozin, ICML 2018; LMescheder/GAN_stability,
 * notebooks/DiracGAN.ipynb): G is one number theta (G(1) = theta), D(x) = sigmoid(psi x), both without bias, the
 * real data at 0; minimax G loss, D loss real + fake, gradient descent at 0.2 from (theta, psi) = (1, 1).
 * The strategies' D loss is (real + fake) / 2, so D's rate is 0.4: with plain gradient descent the same update,
 * bit for bit (2 is a power of two).
 * Expected from the update equations alone (test/quality/dirac.test.ts): simultaneous updates spiral out,
 * ||(theta, psi)|| = 3.35 after 500 steps; alternating ones circle, within [1.34, 1.42].
 */
export default defineScenario({
  name: 'dirac-paper',
  description:
    "The Dirac-GAN with the paper's loss (minimax G, D real + fake), gradient descent at 0.2 from (1, 1); " +
    'D at rate 0.4 on the mean, which is the sum at 0.2.',
  generator: { latentSize: 1, hidden: [], outputSize: 1, outputActivation: 'linear', bias: false, initialValue: 1 },
  discriminator: { hidden: [], bias: false, initialValue: 1 },
  data: { shape: [1], source: 'dirac' },
  batchSize: 1,
  optimizer: { name: 'sgd', learningRate: 0.2, discriminatorLearningRate: 0.4 },
  loss: { generator: 'minimax' },
  measure: { warmupSteps: 3, minSamples: 50, minTimeMs: 500, rounds: 5, equivalenceSteps: 3 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  // Deterministic (fixed start, data and noise): one seed says all; every step is a checkpoint (the trajectory).
  quality: { steps: 500, seeds: 1, evaluateEvery: 1, samples: 1, threshold: { metric: 'distance', value: 0.5, direction: 'below' } },
});
