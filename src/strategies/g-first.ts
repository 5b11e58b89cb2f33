import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * The post's strategy 3. PyTorch:
 *
 *     optimizer_G.zero_grad()
 *     gen_imgs = generator(z)
 *     g_loss = adversarial_loss(discriminator(gen_imgs), valid)
 *     g_loss.backward()                        # reaches G's and D's parameters; frees the graph
 *     optimizer_G.step()
 *     optimizer_D.zero_grad()                  # D's gradient from g_loss is thrown away
 *     real_loss = adversarial_loss(discriminator(real_imgs), valid)
 *     fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)   # a second D forward on the fake
 *     d_loss = (real_loss + fake_loss) / 2
 *     d_loss.backward()
 *     optimizer_D.step()
 *
 * `gen_imgs` was computed before G stepped, so D trains on the starting G's samples and D's starting weights are
 * the ones G's gradient went through: the simultaneous update, like strategy 1's. Without the detach,
 * `d_loss.backward()` would go into G's graph, which `g_loss.backward()` freed, and raise.
 *
 * Under WGAN-GP (src/strategies/regularization.ts), G first, then the critic steps:
 *
 *     optimizer_G.zero_grad()
 *     g_loss = -torch.mean(discriminator(generator(z)))
 *     g_loss.backward()                        # reaches D's parameters too; the first critic step zeroes them
 *     optimizer_G.step()
 *     for _ in range(n_critic): critic_step()  # PyTorch-GAN's, each on a fresh generator(z) of the stepped G
 *
 * The critic's fake cannot be g_loss's detached (`wgan-gp` back-propagates the critic's loss into G, whose graph
 * g_loss.backward() freed), so the update is alternating, G first.
 */
export const generatorFirst: Strategy = {
  id: 'g-first',
  title: 'G first',
  source: "the post's strategy 3",
  description:
    'G trains through D(G(z)), back-propagating to every parameter it reaches (G and D), and the graph is ' +
    'freed; then D trains on D(real) and a second forward D(fake.detach()).',
  order: 'simultaneous',
  step(ctx, batch) {
    const { generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, detach, regularizer } = ctx;
    const { z, realImgs, valid, fake } = batch;
    if (regularizer.critic) {
      optimizerG.zeroGrad();
      backward(tf.neg(tf.mean(discriminator(generator(z)))));
      optimizerG.step();
      regularizer.criticSteps(batch);
      return;
    }
    optimizerG.zeroGrad();
    const genImgs = generator(z);
    const gLoss = adversarialLoss(discriminator(genImgs), valid);
    backward(gLoss);
    optimizerG.step();
    optimizerD.zeroGrad();
    const real = regularizer.real(realImgs);
    const predReal = discriminator(real);
    const realLoss = adversarialLoss(predReal, valid);
    const fakeLoss = adversarialLoss(discriminator(detach(genImgs)), fake);
    const dLoss = regularizer.penalize(tf.div(tf.add(realLoss, fakeLoss), 2), predReal, real);
    backward(dLoss);
    optimizerD.step();
    regularizer.lazyPhase(realImgs);
  },
};
