import { defineScenario } from '../../src/index.js';

/**
 * ci-small-d's networks trained as the original GAN paper's algorithm: the minimax G loss and plain gradient descent
 * (D at twice G's rate). At `--world-size 2` its update is checked against world size 1 with that loss and optimizer,
 * not Adam's: `npm run bench -- scenarios/ci/minimax-sgd.ts --backend pytorch --world-size 2`.
 */
export default defineScenario({
  name: 'ci-minimax-sgd',
  description: "ci-small-d's networks with the minimax G loss and plain gradient descent (D at twice G's rate).",
  generator: { latentSize: 16, hidden: [64, 128], outputSize: 256 },
  discriminator: { hidden: [8] },
  data: { shape: [16, 16] },
  batchSize: 16,
  seed: 7,
  optimizer: { name: 'sgd', learningRate: 0.05, discriminatorLearningRate: 0.1 },
  loss: { generator: 'minimax' },
  measure: { warmupSteps: 5, minSamples: 40, minTimeMs: 1500, rounds: 5, equivalenceSteps: 3 },
  backend: 'cpu',
});
