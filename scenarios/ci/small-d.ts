import { defineScenario } from '../../src/index.js';

/** CI's regression scenario with D far smaller than G: small enough for the cpu backend in seconds. */
export default defineScenario({
  name: 'ci-small-d',
  description: 'CI regression check: G 16-64-128-256 against D 256-8-1 at batch 16 (D far smaller than G).',
  generator: { latentSize: 16, hidden: [64, 128], outputSize: 256 },
  discriminator: { hidden: [8] },
  data: { shape: [16, 16] },
  batchSize: 16,
  seed: 7,
  measure: { warmupSteps: 5, minSamples: 40, minTimeMs: 1500, rounds: 5, equivalenceSteps: 3 },
  backend: 'cpu',
});
