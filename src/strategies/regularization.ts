/**
 * The scenario's gradient penalty as a strategy's D step meets it (issue 23): three hooks every strategy calls at
 * the same places, each a no-op where the regularizer does not act, so that a strategy stays its PyTorch original
 * plus three lines and every strategy x regularizer runs the same penalty on every backend (the PyTorch worker's
 * `strategies/regularization.py` mirrors this file):
 *
 *     real = regularizer.real(real_imgs)              # R1: real_imgs.requires_grad_()
 *     pred_real = discriminator(real)                 # R1: D keeps the sigmoid's input, its logit
 *     d_loss = regularizer.penalize(d_loss, pred_real, real)   # R1: d_loss + gamma / 2 * r1 on the logit
 *     d_loss.backward(); optimizer_D.step()
 *     regularizer.lazy_phase(real_imgs)               # lazy R1: every `every` steps, D's own R1 step
 *
 * WGAN-GP replaces D's step by `nCritic` critic steps (`criticSteps`), so a strategy that fits it has a WGAN-GP loop
 * of its own (critic steps and a generator step in the strategy's order); one that does not reaches `real` and is
 * refused in one line.
 */
import { tf, type Tensor } from '../tf.js';
import { gradientPenalty, r1Penalty } from './penalties.js';
import type { Batch, Regularization, StepContext } from './strategy.js';

/** A scenario's `regularizer` (src/scenario/regularizer.ts), as far as the step reads it. */
export interface PenaltyConfig {
  kind: string;
  gamma: number;
  every: number;
  /** WGAN-GP's critic steps per generator step. */
  nCritic: number;
}

/**
 * A cell of the post's code as printed under a regularizer (src/strategies/ids.ts's AS_PRINTED_STRATEGY_IDS): the
 * listings have no gradient penalty form, so the step is not run. The worker's `regularization.py` says the same.
 */
export function asPrintedRefusal(kind: string): string {
  return `regularizer ${kind} does not apply to the post's code as printed, which has no gradient penalty form`;
}

/** Why a strategy whose one forward serves both losses cannot take WGAN-GP's critic steps (the worker says the same). */
export function misfitRefusal(kind: string, nCritic: number): string {
  return `regularizer ${kind} does not fit this strategy: its one forward serves D's loss and G's loss, and WGAN-GP takes nCritic (${nCritic}) critic steps per generator step`;
}

/**
 * Whether an error is a regularizer's refusal of a strategy (misfitRefusal's or asPrintedRefusal's sentence, from
 * tfjs or from the worker, whose errors carry their type first): the cell is `refused`, not a failure.
 */
export function isRegularizerRefusal(message: string): boolean {
  return /^(RuntimeError: )?regularizer \S+ (does not fit this strategy: |does not apply to the post's code as printed)/.test(message);
}

/** Where a GAN's lazy regularization is in its interval: the phase runs on the steps where `steps % every` is 0. */
export interface LazyInterval {
  steps: number;
}

/**
 * The hooks for `config` over the step context `ctx`.
 * - r1 (GAN_stability's `train.py`, every step): D's logit on `real_imgs.requires_grad_()` from the forward d_loss
 *   uses (GAN_stability's D outputs logits: here the sigmoid's input, which D keeps under R1);
 *   `r1 = grad(logit_real.sum(), real, create_graph=True)` squared, summed per sample, averaged; one backward of
 *   `d_loss + gamma / 2 * r1` (which also fills `real.grad`, read by nothing).
 * - r1-lazy (StyleGAN2-ADA's `training/loss.py`, phase Dreg): D's main step without the penalty; every `every`
 *   steps, after it, a fresh `D(real_imgs.detach().requires_grad_())`, R1 on its logit, `r1 * gamma / 2 * every`,
 *   its own backward of StyleGAN2-ADA's `(real_logits * 0 + loss_Dr1).mean().mul(every)` and D optimizer step (whose
 *   rate and betas `createGan` rescaled by every / (every + 1), as `training_loop.py`).
 * - wgan-gp (PyTorch-GAN's `implementations/wgan_gp/wgan_gp.py`) and wgan-gp-detached (the same with
 *   `fake_imgs.detach()` in the critic's loss): `criticSteps` runs `nCritic` critic steps; the strategy's WGAN-GP
 *   loop adds G's step, `g_loss = -D(G(z)).mean()`. The BCE hooks refuse: a strategy that reaches them has no
 *   WGAN-GP loop (its one forward serves D's loss and G's loss, which cannot give nCritic critic steps per G step).
 */
export function createRegularization(ctx: StepContext, config: PenaltyConfig, interval: LazyInterval): Regularization {
  const { kind, gamma, every, nCritic } = config;
  if (kind === 'wgan-gp' || kind === 'wgan-gp-detached') {
    const refuse = (): never => {
      throw new Error(misfitRefusal(kind, nCritic));
    };
    return { real: refuse, penalize: refuse, lazyPhase: refuse, critic: true, criticSteps: (batch) => criticSteps(ctx, config, batch) };
  }
  return {
    critic: false,
    criticSteps: () => {
      throw new Error(`regularizer ${kind} has no critic steps`);
    },
    real: (realImgs) => (kind === 'r1' ? ctx.requiresGrad_(realImgs) : realImgs),
    penalize(dLoss, predReal, real) {
      if (kind !== 'r1') return dLoss;
      return tf.add(dLoss, tf.mul(gamma / 2, r1Penalty(ctx, predReal, real)));
    },
    lazyPhase(realImgs: Tensor) {
      if (kind !== 'r1-lazy') return;
      const position = interval.steps++;
      if (position % every !== 0) return;
      const { discriminator, optimizerD, backward, detach, requiresGrad_ } = ctx;
      optimizerD.zeroGrad();
      const real = requiresGrad_(detach(realImgs));
      const output = discriminator(real);
      const r1 = r1Penalty(ctx, output, real);
      // StyleGAN2-ADA's (real_logits * 0 + loss_Dr1).mean().mul(gain): the zero term's backward through D gives
      // every D parameter a gradient (the penalty alone leaves the output bias none, and DDP's reducer waiting).
      backward(tf.mul(tf.add(tf.mean(tf.mul(ctx.logitOf(output), 0)), tf.mul(r1, gamma / 2)), every));
      optimizerD.step();
    },
  };
}

/**
 * PyTorch-GAN's critic step, `nCritic` times on the batch's z, real samples and interpolation weights (the loader's
 * next batch there; one batch per harness step here, so its critic steps share it):
 *
 *     optimizer_D.zero_grad()
 *     fake_imgs = generator(z)
 *     real_validity = discriminator(real_imgs)
 *     fake_validity = discriminator(fake_imgs)         # wgan-gp-detached: discriminator(fake_imgs.detach())
 *     gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data, fake_imgs.data)
 *     d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gradient_penalty
 *     d_loss.backward()                                # wgan-gp: reaches G's parameters too
 *     optimizer_D.step()
 *     optimizer_G.zero_grad()                          # G's gradients from d_loss are thrown away
 */
function criticSteps(ctx: StepContext, { kind, gamma, nCritic }: PenaltyConfig, { z, realImgs, alpha }: Batch): Tensor {
  if (!alpha) throw new Error(`regularizer ${kind}: the batch carries no interpolation weights (alpha)`);
  const { generator, discriminator, optimizerD, optimizerG, backward, detach } = ctx;
  let dLoss: Tensor | undefined;
  for (let i = 0; i < nCritic; i++) {
    optimizerD.zeroGrad();
    const fakeImgs = generator(z);
    const realValidity = discriminator(realImgs);
    const fakeValidity = discriminator(kind === 'wgan-gp-detached' ? detach(fakeImgs) : fakeImgs);
    const penalty = gradientPenalty(ctx, realImgs, detach(fakeImgs), alpha);
    dLoss = tf.add(tf.add(tf.neg(tf.mean(realValidity)), tf.mean(fakeValidity)), tf.mul(gamma, penalty));
    backward(dLoss);
    optimizerD.step();
    optimizerG.zeroGrad();
  }
  return dLoss!;
}
