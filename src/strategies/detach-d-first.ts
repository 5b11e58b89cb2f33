import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * The post's strategy 2, as its prose describes it. PyTorch:
 *
 *     gen_imgs = generator(z)                          # G's graph is held from here ...
 *     pred_gen = discriminator(gen_imgs.detach())
 *     pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad()
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     d_loss.backward()                                # reaches D's parameters only; frees D's two forwards
 *     optimizer_D.step()
 *     g_loss = adversarial_loss(discriminator(gen_imgs), valid)   # a fresh D forward, through the updated D
 *     optimizer_G.zero_grad()
 *     g_loss.backward()                                # ... to here; reaches G's and D's parameters
 *     optimizer_G.step()                               # D's gradient from g_loss is never used
 *
 * Without the detach, `d_loss.backward()` would go on into G (a wasted G gradient) and free G's graph, and
 * `g_loss.backward()` would raise. The post's listing builds g_loss from `pred_gen` (detach-d-first-printed).
 *
 * Under WGAN-GP (src/strategies/regularization.ts), PyTorch-GAN's loop: the critic steps, then G's step through a
 * fresh G forward and the updated D:
 *
 *     for _ in range(n_critic): critic_step()  # each on a fresh generator(z); wgan-gp: not detached
 *     fake_imgs = generator(z)                 # wgan-gp: the critic's backward freed its G graph, so a fresh one
 *     g_loss = -torch.mean(discriminator(fake_imgs))
 *     g_loss.backward()                        # reaches D's parameters too; the next critic step zeroes them
 *     optimizer_G.step()
 */
export const detachDiscriminatorFirst: Strategy = {
  id: 'detach-d-first',
  title: 'detach, D first',
  source: "the post's strategy 2",
  description:
    'G(z) is recorded and kept. D trains on D(fake.detach()) and D(real); then G trains through a fresh ' +
    'D(fake) with the updated D, back-propagating to every parameter it reaches (G and D).',
  order: 'alternating-d-first',
  step(ctx, batch) {
    const { generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, detach, regularizer } = ctx;
    const { z, realImgs, valid, fake } = batch;
    if (regularizer.critic) {
      regularizer.criticSteps(batch);
      backward(tf.neg(tf.mean(discriminator(generator(z)))));
      optimizerG.step();
      return;
    }
    const genImgs = generator(z);
    const predGen = discriminator(detach(genImgs));
    const real = regularizer.real(realImgs);
    const predReal = discriminator(real);
    optimizerD.zeroGrad();
    const dLoss = regularizer.penalize(tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2), predReal, real);
    backward(dLoss);
    optimizerD.step();
    regularizer.lazyPhase(realImgs);
    const gLoss = adversarialLoss(discriminator(genImgs), valid);
    optimizerG.zeroGrad();
    backward(gLoss);
    optimizerG.step();
  },
};
