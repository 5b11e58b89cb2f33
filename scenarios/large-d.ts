import { defineScenario } from '../src/index.js';

/**
 * D far larger than G (D's forward costs ~25x G's): where the post says to take strategy one, because a
 * needless discriminator forward then costs more than a needless generator gradient.
 */
export default defineScenario({
  name: 'large-d',
  description: 'A 32-64-784 generator against a 784-1024-512-1 discriminator: D far larger than G.',
  generator: { latentSize: 32, hidden: [64], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
  discriminator: { hidden: [1024, 512], activation: 'leakyRelu' },
  data: { shape: [28, 28] },
  batchSize: 64,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { equivalenceSteps: 2 },
});
