import { defineScenario } from '../../../src/index.js';

/**
 * CI's cut-down MNIST (scenarios/quality/mnist.ts): a tiny GAN, 20 steps, 2 seeds, on the cpu backend, measured
 * through a tiny classifier (softmax regression on the pixels, one epoch: seconds to train, ~90% accurate), so
 * that CI checks the whole path without the real classifier's minutes of training.
 */
export default defineScenario({
  name: 'ci-mnist',
  description: 'A cut-down MNIST run for CI: a 16-32-784 generator, 20 steps, 2 seeds, a one-epoch classifier.',
  generator: { latentSize: 16, hidden: [32], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
  discriminator: { hidden: [16], activation: 'leakyRelu' },
  data: { shape: [28, 28], source: 'mnist' },
  batchSize: 16,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 2, minSamples: 5, minTimeMs: 100, rounds: 2, equivalenceSteps: 0 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  backend: 'cpu',
  quality: {
    steps: 20,
    seeds: 2,
    evaluateEvery: 10,
    samples: 100,
    threshold: { metric: 'frechet-distance', value: 50, direction: 'below' },
    classifier: { conv: [], dense: [], epochs: 1, batchSize: 64, learningRate: 3e-3 },
  },
});
