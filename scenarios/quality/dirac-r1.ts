import { defineScenario } from '../../src/index.js';

/**
 * The Dirac-GAN with the paper's loss (see dirac-paper.ts) and R1 on D's real samples (Mescheder et al. 2018),
 * as the paper's notebook runs it: GAN_GradPenalty(0.3) (LMescheder/GAN_stability, notebooks/DiracGAN.ipynb and
 * diracgan/gans.py) adds -0.3 psi to psi's update, R1 = gamma / 2 (dD_logit/dx)^2 = gamma / 2 psi^2 on the logit
 * psi x at the data, 0, with gamma 0.3. The harness's R1 is on D's logit too, psi x (the sigmoid's input), so its
 * penalty gamma / 2 psi^2 adds gamma psi to psi's gradient of D's loss; but that loss is the mean of the real and
 * fake terms, the notebook's sum, at twice the rate (D's 0.4): psi's step is -0.4 (sigmoid(psi theta) theta / 2 +
 * gamma psi) = -0.2 (sigmoid(psi theta) theta + 2 gamma psi). gamma = 0.3 / 2 = 0.15 makes the notebook's update
 * exactly (2.4 while R1 differentiated D's sigmoid output, 1/16 of the logit's at 0: the same update).
 * Expected from the update equations alone (test/quality/dirac.test.ts): both orders converge to (0, 0),
 * ||(theta, psi)|| below 0.5 from step 41 simultaneous (36 alternating), 4.8e-6 (3.0e-7) after 500 steps.
 */
export default defineScenario({
  name: 'dirac-r1',
  description: "The Dirac-GAN with the paper's loss and R1 on D's logit (the notebook's 0.3: gamma 0.15 on the mean D loss at twice the rate), gradient descent at 0.2 from (1, 1).",
  generator: { latentSize: 1, hidden: [], outputSize: 1, outputActivation: 'linear', bias: false, initialValue: 1 },
  discriminator: { hidden: [], bias: false, initialValue: 1 },
  data: { shape: [1], source: 'dirac' },
  batchSize: 1,
  optimizer: { name: 'sgd', learningRate: 0.2, discriminatorLearningRate: 0.4 },
  loss: { generator: 'minimax' },
  regularizer: { kind: 'r1', gamma: 0.15 },
  measure: { warmupSteps: 3, minSamples: 50, minTimeMs: 500, rounds: 5, equivalenceSteps: 3 },
  strategies: ['retain-graph', 'detach-d-first', 'g-first', 'single-forward'],
  quality: { steps: 500, seeds: 1, evaluateEvery: 1, samples: 1, threshold: { metric: 'distance', value: 0.5, direction: 'below' } },
});
