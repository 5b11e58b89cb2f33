import { defineScenario } from '../src/index.js';

/**
 * D far smaller than G (G's forward costs ~40x D's): where the post says strategy three wins, because a
 * needless generator gradient costs much more than a needless discriminator forward.
 */
export default defineScenario({
  name: 'small-d',
  description: 'A 64-256-512-784 generator against a 784-16-1 discriminator: D far smaller than G.',
  generator: { latentSize: 64, hidden: [256, 512], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
  discriminator: { hidden: [16], activation: 'leakyRelu' },
  data: { shape: [28, 28] },
  batchSize: 64,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
});
