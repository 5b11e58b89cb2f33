/**
 * The scenario's gradient penalty as a strategy's D step meets it (issue 23): three hooks every strategy calls at
 * the same places, each a no-op where the regularizer does not act, so that a strategy stays its PyTorch original
 * plus three lines and every strategy x regularizer runs the same penalty on every backend (the PyTorch worker's
 * `strategies/regularization.py` mirrors this file):
 *
 *     real = regularizer.real(real_imgs)              # R1: real_imgs.requires_grad_()
 *     pred_real = discriminator(real)
 *     d_loss = regularizer.penalize(d_loss, pred_real, real)   # R1: d_loss + gamma / 2 * r1
 *     d_loss.backward(); optimizer_D.step()
 *     regularizer.lazy_phase(real_imgs)               # lazy R1: every `every` steps, D's own R1 step
 */
import { tf, type Tensor } from '../tf.js';
import { r1Penalty } from './penalties.js';
import type { Regularization, StepContext } from './strategy.js';

/** A scenario's `regularizer` (src/scenario/regularizer.ts), as far as the step reads it. */
export interface PenaltyConfig {
  kind: string;
  gamma: number;
  every: number;
}

/** Where a GAN's lazy regularization is in its interval: the phase runs on the steps where `steps % every` is 0. */
export interface LazyInterval {
  steps: number;
}

/**
 * The hooks for `config` over the step context `ctx`.
 * - r1 (GAN_stability's `train.py`, every step): D's output on `real_imgs.requires_grad_()` from the forward d_loss
 *   uses; `r1 = grad(pred_real.sum(), real, create_graph=True)` squared, summed per sample, averaged; one backward
 *   of `d_loss + gamma / 2 * r1` (which also fills `real.grad`, read by nothing).
 * - r1-lazy (StyleGAN2-ADA's `training/loss.py`, phase Dreg): D's main step without the penalty; every `every`
 *   steps, after it, a fresh `D(real_imgs.detach().requires_grad_())`, `r1 * gamma / 2 * every`, its own backward
 *   and D optimizer step (whose rate and betas `createGan` rescaled by every / (every + 1), as `training_loop.py`).
 * - wgan-gp and wgan-gp-detached: not wired into the strategies yet; the step raises, naming them.
 */
export function createRegularization(ctx: StepContext, config: PenaltyConfig, interval: LazyInterval): Regularization {
  const { kind, gamma, every } = config;
  if (kind === 'wgan-gp' || kind === 'wgan-gp-detached') {
    const refuse = (): never => {
      throw new Error(`regularizer ${kind}: its critic steps are not wired into the strategies yet`);
    };
    return { real: refuse, penalize: refuse, lazyPhase: refuse };
  }
  return {
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
      const r1 = r1Penalty(ctx, discriminator(real), real);
      backward(tf.mul(r1, (gamma / 2) * every));
      optimizerD.step();
    },
  };
}
