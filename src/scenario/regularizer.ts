/**
 * The discriminator's gradient penalty a scenario declares (issue 23), `regularizer: { kind, gamma, every, nCritic }`,
 * and which networks each can be applied to. `--regularizer` overrides `kind`; the rest keeps the scenario's values.
 */
import { z } from 'zod';

/** The regularizers, in the order reports list them. */
export const REGULARIZERS = ['none', 'r1', 'r1-lazy', 'wgan-gp', 'wgan-gp-detached'] as const;
export type Regularizer = (typeof REGULARIZERS)[number];

/** Whether a regularizer is WGAN-GP's (a linear critic, Wasserstein losses, a penalty on interpolates). */
export function isWassersteinGp(kind: Regularizer): boolean {
  return kind === 'wgan-gp' || kind === 'wgan-gp-detached';
}

/**
 * Whether a regularizer is R1's (every step or lazy): it differentiates D's logit (GAN_stability's `compute_grad2`
 * on a D that outputs logits), so D keeps the pre-sigmoid tensor of each forward (src/models/logit.ts).
 */
export function isR1(kind: Regularizer): boolean {
  return kind === 'r1' || kind === 'r1-lazy';
}

export const regularizerSchema = z.strictObject({
  /** 'none' (the default), R1 every step, lazy R1, WGAN-GP (fake not detached, as PyTorch-GAN) or with fake.detach(). */
  kind: z.enum(REGULARIZERS).default('none'),
  /**
   * The penalty's weight: R1's gamma (GAN_stability's 10; the step adds gamma / 2 * r1) or WGAN-GP's lambda
   * (PyTorch-GAN's lambda_gp, 10).
   */
  gamma: z
    .number()
    .refine((value) => !Number.isNaN(value), 'must be a number, not NaN')
    .refine((value) => Number.isFinite(value), 'must be finite')
    .refine((value) => value >= 0, 'must not be negative')
    .default(10),
  /** r1-lazy: the regularization phase runs every `every` steps (StyleGAN2-ADA's D_reg_interval, 16). */
  every: z.number().int('must be a whole number').min(1, 'must be at least 1').default(16),
  /** wgan-gp: critic steps per generator step (PyTorch-GAN's n_critic, 5). */
  nCritic: z.number().int('must be a whole number').min(1, 'must be at least 1').default(5),
});
export type RegularizerConfig = z.output<typeof regularizerSchema>;

/** What a scenario says when it declares no regularizer. */
export const NO_REGULARIZER: RegularizerConfig = { kind: 'none', gamma: 10, every: 16, nCritic: 5 };

/** A scenario with its regularizer's kind set to `kind` (`--regularizer`'s override), keeping its gamma, every, nCritic. */
export function withRegularizer<S extends { regularizer: RegularizerConfig }>(scenario: S, kind: Regularizer): S {
  if (scenario.regularizer.kind === kind) return scenario;
  return { ...scenario, regularizer: { ...scenario.regularizer, kind } };
}

/** The parts of a scenario a regularizer's applicability depends on. */
export interface RegularizedNetworks {
  discriminator:
    | { kind?: 'mlp' | undefined }
    | { kind: 'conv'; layers: readonly { batchNorm: boolean; activation: string }[] };
  loss: { generator: string };
}

/**
 * Why `kind` cannot be applied to these networks, each with the field at fault; empty where it can. WGAN-GP's critic
 * has a linear output (an MLP D gets one under it; a convolutional D must declare it) and no BatchNorm (the penalty
 * is on each sample's gradient, which BatchNorm makes depend on the batch: Gulrajani et al. 2017, section 4), and
 * its losses replace BCE, so the minimax G loss does not apply. A convolutional D ends in a sigmoid otherwise.
 */
export function regularizerProblems(scenario: RegularizedNetworks, kind: Regularizer): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const { discriminator } = scenario;
  const wasserstein = isWassersteinGp(kind);
  if (wasserstein && scenario.loss.generator !== 'non-saturating') {
    problems.push({ path: ['loss', 'generator'], message: `cannot be '${scenario.loss.generator}' with regularizer ${kind}: WGAN-GP's losses replace BCE` });
  }
  if (discriminator.kind === 'conv') {
    const last = discriminator.layers.length - 1;
    discriminator.layers.forEach((layer, i) => {
      if (wasserstein && layer.batchNorm) {
        problems.push({ path: ['discriminator', 'layers', i, 'batchNorm'], message: `must be false with regularizer ${kind}: the penalty is on each sample's gradient, which BatchNorm makes depend on the batch` });
      }
    });
    const activation = discriminator.layers[last]?.activation;
    if (wasserstein && activation !== 'linear') {
      problems.push({ path: ['discriminator', 'layers', last, 'activation'], message: `must be 'linear' with regularizer ${kind}: WGAN-GP's critic outputs a score, not a probability` });
    }
    if (!wasserstein && activation !== 'sigmoid') {
      problems.push({ path: ['discriminator', 'layers', last, 'activation'], message: "must be 'sigmoid': the loss is BCE on D's probability (an MLP D ends in one too)" });
    }
  }
  return problems;
}
