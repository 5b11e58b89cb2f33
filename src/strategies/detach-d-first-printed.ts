import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * The post's strategy 2 exactly as its listing prints it. PyTorch:
 *
 *     gen_imgs = generator(z)
 *     pred_gen = discriminator(gen_imgs.detach())
 *     pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad()
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     d_loss.backward()                        # frees pred_gen's graph (D's forward on the detached fake)
 *     optimizer_D.step()
 *     g_loss = adversarial_loss(pred_gen, valid)   # the detached prediction: no path to G at all
 *     optimizer_G.zero_grad()
 *     g_loss.backward()                        # RuntimeError: Trying to backward through the graph a second time
 *     optimizer_G.step()
 *
 * PyTorch raises in `g_loss.backward()`, and so does this harness. (Even with the graph retained, G would get no
 * gradient: g_loss does not depend on G.)
 */
export const detachDiscriminatorFirstPrinted: Strategy = {
  id: 'detach-d-first-printed',
  title: 'detach, D first, as printed',
  source: "the post's strategy 2, as printed",
  description:
    "Strategy 2 as the post's listing prints it: g_loss is built from the detached fake's D output, whose graph " +
    "d_loss.backward() freed; PyTorch raises there.",
  order: 'alternating-d-first',
  raises: { kind: 'graph-freed', at: 'g_loss.backward()' },
  step({ generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, detach }, { z, realImgs, valid, fake }) {
    const genImgs = generator(z);
    const predGen = discriminator(detach(genImgs));
    const predReal = discriminator(realImgs);
    optimizerD.zeroGrad();
    const dLoss = tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2);
    backward(dLoss);
    optimizerD.step();
    const gLoss = adversarialLoss(predGen, valid);
    optimizerG.zeroGrad();
    backward(gLoss);
    optimizerG.step();
  },
};
