import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * Not in the post: the alternating update of pix2pix and StyleGAN2-ADA, D's parameters excluded from G's backward.
 * pix2pix's `optimize_parameters` (junyanz/pytorch-CycleGAN-and-pix2pix, models/pix2pix_model.py), with this
 * GAN's losses:
 *
 *     gen_imgs = generator(z)                              # self.forward()
 *     discriminator.requires_grad_(True)                   # set_requires_grad(self.netD, True)
 *     optimizer_D.zero_grad()
 *     pred_gen = discriminator(gen_imgs.detach())
 *     pred_real = discriminator(real_imgs)
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     d_loss.backward()
 *     optimizer_D.step()
 *     discriminator.requires_grad_(False)                  # D requires no gradients when optimizing G
 *     optimizer_G.zero_grad()
 *     g_loss = adversarial_loss(discriminator(gen_imgs), valid)
 *     g_loss.backward()                                    # input gradients through D, no D weight gradient
 *     optimizer_G.step()
 *
 * The update is strategy 2's (alternating, D first); what it saves is strategy 2's wasted D gradient.
 *
 * Under WGAN-GP (src/strategies/regularization.ts), the critic steps with D trainable, then G's step with D frozen:
 *
 *     discriminator.requires_grad_(True)
 *     for _ in range(n_critic): critic_step()  # each on a fresh generator(z)
 *     discriminator.requires_grad_(False)
 *     g_loss = -torch.mean(discriminator(generator(z)))
 *     g_loss.backward()                        # input gradients through D, no D weight gradient
 *     optimizer_G.step()
 */
export const frozenDiscriminator: Strategy = {
  id: 'frozen-d',
  title: 'frozen D, D first',
  source: "pix2pix's and StyleGAN2-ADA's training loops (requires_grad_(False))",
  description:
    "Strategy 2 with D's parameters switched off (requires_grad_(False)) for G's step: G's backward goes through " +
    "D to G's parameters and computes no D weight gradient, so nothing is wasted.",
  order: 'alternating-d-first',
  step(ctx, batch) {
    const { generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, detach, regularizer } = ctx;
    const { z, realImgs, valid, fake } = batch;
    if (regularizer.critic) {
      discriminator.requiresGrad_(true);
      regularizer.criticSteps(batch);
      discriminator.requiresGrad_(false);
      backward(tf.neg(tf.mean(discriminator(generator(z)))));
      optimizerG.step();
      return;
    }
    const genImgs = generator(z);
    discriminator.requiresGrad_(true);
    optimizerD.zeroGrad();
    const predGen = discriminator(detach(genImgs));
    const real = regularizer.real(realImgs);
    const predReal = discriminator(real);
    const dLoss = regularizer.penalize(tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2), predReal, real);
    backward(dLoss);
    optimizerD.step();
    regularizer.lazyPhase(realImgs);
    discriminator.requiresGrad_(false);
    optimizerG.zeroGrad();
    const gLoss = adversarialLoss(discriminator(genImgs), valid);
    backward(gLoss);
    optimizerG.step();
  },
};
