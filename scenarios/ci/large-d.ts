import { defineScenario } from '../../src/index.js';

/** CI's regression scenario with D far larger than G: small enough for the cpu backend in seconds. */
export default defineScenario({
  name: 'ci-large-d',
  description: 'CI regression check: G 16-32-256 against D 256-256-128-1 at batch 16 (D far larger than G).',
  generator: { latentSize: 16, hidden: [32], outputSize: 256 },
  discriminator: { hidden: [256, 128] },
  data: { shape: [16, 16] },
  batchSize: 16,
  seed: 7,
  measure: { warmupSteps: 5, minSamples: 40, minTimeMs: 1500, rounds: 5, equivalenceSteps: 3 },
  backend: 'cpu',
});
