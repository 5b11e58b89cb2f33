import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * The post's strategy 1 exactly as printed. PyTorch:
 *
 *     gen_imgs = generator(z)
 *     pred_gen = discriminator(gen_imgs)
 *     pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad()
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     d_loss.backward(retain_graph=True)
 *     optimizer_D.step()                       # overwrites D's weights, which pred_gen's graph saved
 *     g_loss = adversarial_loss(pred_gen, valid)
 *     optimizer_G.zero_grad()
 *     g_loss.backward()                        # RuntimeError: one of the variables needed for gradient
 *     optimizer_G.step()                       # computation has been modified by an inplace operation
 *
 * PyTorch >= 1.5 raises in `g_loss.backward()` (pytorch/pytorch#39141), and so does this harness.
 */
export const retainGraphPrinted: Strategy = {
  id: 'retain-graph-printed',
  title: 'retain_graph, D first, as printed',
  source: "the post's strategy 1, as printed",
  description:
    "Strategy 1 as the post prints it: D steps between the two backward passes, so the second one needs D's " +
    'overwritten weights; PyTorch raises its in-place error there.',
  order: 'simultaneous',
  raises: { kind: 'modified-in-place', at: 'g_loss.backward()' },
  step({ generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward }, { z, realImgs, valid, fake }) {
    const genImgs = generator(z);
    const predGen = discriminator(genImgs);
    const predReal = discriminator(realImgs);
    optimizerD.zeroGrad();
    const dLoss = tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2);
    backward(dLoss, { retainGraph: true });
    optimizerD.step();
    const gLoss = adversarialLoss(predGen, valid);
    optimizerG.zeroGrad();
    backward(gLoss);
    optimizerG.step();
  },
};
