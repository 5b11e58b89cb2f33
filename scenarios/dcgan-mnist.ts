import { defineScenario } from '../src/index.js';
import { dcgan } from '../src/models/dcgan.js';

/**
 * DCGAN sized for MNIST: 28x28x1 images, nz 100, ngf = ndf = 64, weights_init, Adam 2e-4 with betas (0.5, 0.999).
 * Three layers each instead of main.py's five (1x1 -> 7x7 -> 14x14 -> 28x28 and back; src/models/dcgan.ts says
 * where it departs from main.py). G costs about four times D per forward (27M against 6.6M multiply-adds per
 * sample). The scenario where the update-equivalence check and the BatchNorm findings are measured (docs/dcgan.md).
 */
export default defineScenario({
  name: 'dcgan-mnist',
  description: 'DCGAN sized for MNIST: 28x28x1, nz 100, ngf = ndf = 64, BatchNorm, weights_init, batch 32, Adam 2e-4 (0.5, 0.999).',
  ...dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 1, imageSize: 28 }),
  data: { shape: [1, 28, 28] },
  batchSize: 32,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 2, minSamples: 10, minTimeMs: 2000, rounds: 5, equivalenceSteps: 3 },
});
