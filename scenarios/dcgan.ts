import { defineScenario } from '../src/index.js';
import { dcgan } from '../src/models/dcgan.js';

/**
 * The DCGAN of pytorch/examples `dcgan/main.py` at its own size: 64x64x3 images, nz 100, ngf = ndf = 64, its
 * weights_init, Adam 2e-4 with betas (0.5, 0.999); G's transposed convolutions and D's strided convolutions with
 * BatchNorm in training mode (src/models/dcgan.ts has the layers). G and D cost about the same per forward
 * (105M and 104M multiply-adds per sample).
 *
 * A step at batch 16 is about 40 GFLOP: on the default backend (wasm) of a 2-core machine the run takes a few
 * minutes (docs/dcgan.md says how long), so the timing is short: three interleaved rounds of one step each. The
 * update-equivalence check is off (equivalenceSteps 0): on the cpu backend one step takes about a minute here;
 * scenarios/dcgan-mnist.ts measures equivalence and the BatchNorm findings on the 28x28 variant.
 */
export default defineScenario({
  name: 'dcgan',
  description: "pytorch/examples dcgan/main.py: 64x64x3, nz 100, ngf = ndf = 64, BatchNorm, weights_init, batch 16, Adam 2e-4 (0.5, 0.999).",
  ...dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 3, imageSize: 64 }),
  data: { shape: [3, 64, 64] },
  batchSize: 16,
  optimizer: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 },
  seed: 1,
  measure: { warmupSteps: 1, minSamples: 3, minTimeMs: 0, rounds: 3, equivalenceSteps: 0 },
});
