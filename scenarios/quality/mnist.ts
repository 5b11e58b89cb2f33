import { defineScenario } from '../../src/index.js';

/**
 * MNIST with a small MLP GAN (a 32-128-784 generator, a 784-128-1 discriminator, Adam 5e-4, batch 64), 2,000
 * steps (14 epochs of the 9,003 training digits), evaluated every 250 steps through the cached classifier
 * (src/quality/classifier-config.ts, 98.3% of the held-out digits right) on 2,500 generated digits.
 * Slow: about 15 minutes on two CPU cores for 5 strategies x 5 seeds, and the first run trains the classifier
 * (about a minute). The threshold, a classifier Inception score of 4, is against a ceiling of ~9.7 (the held-out digits'):
 * digits of several recognisable classes, not yet good ones.
 */
export default defineScenario({
  name: 'mnist',
  description: 'MNIST digits: a 32-128-784 G against a 784-128-1 D, Adam 5e-4, batch 64.',
  generator: { latentSize: 32, hidden: [128], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
  discriminator: { hidden: [128], activation: 'leakyRelu' },
  data: { shape: [28, 28], source: 'mnist' },
  batchSize: 64,
  optimizer: { learningRate: 5e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 3, minSamples: 20, minTimeMs: 1500, rounds: 5, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'],
  quality: { steps: 2000, evaluateEvery: 250, threshold: { metric: 'inception-score', value: 4, direction: 'above' } },
});
