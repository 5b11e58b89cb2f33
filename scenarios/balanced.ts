import { defineScenario } from '../src/index.js';

/**
 * The MLP GAN of eriklindernoren/PyTorch-GAN `implementations/gan/gan.py` (without its BatchNorm layers):
 * the network most readers of the post have trained. D costs about a third of G per forward.
 */
export default defineScenario({
  name: 'balanced',
  description: "PyTorch-GAN's gan.py MLP GAN: G 100-128-256-512-1024-784, D 784-512-256-1, batch 64, Adam 2e-4 (0.5, 0.999).",
  generator: { latentSize: 100, hidden: [128, 256, 512, 1024], activation: 'leakyRelu', outputSize: 784, outputActivation: 'tanh' },
  discriminator: { hidden: [512, 256], activation: 'leakyRelu' },
  data: { shape: [1, 28, 28] },
  batchSize: 64,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
});
