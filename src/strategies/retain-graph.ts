import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * The post's strategy 1, in the form PyTorch runs (>= 1.5). PyTorch:
 *
 *     gen_imgs = generator(z)
 *     pred_gen = discriminator(gen_imgs)
 *     pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad()
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     d_loss.backward(retain_graph=True)       # reaches D's and G's parameters; the graph is kept
 *     d_grads = [p.grad for p in discriminator.parameters()]; for p in ...: p.grad = None   # set aside
 *     g_loss = adversarial_loss(pred_gen, valid)
 *     optimizer_G.zero_grad()                  # G's gradient from d_loss is thrown away
 *     g_loss.backward()                        # through the retained graph; reaches G's and D's parameters
 *     for p, g in zip(discriminator.parameters(), d_grads): p.grad = g   # D's gradient from g_loss is dropped
 *     optimizer_D.step()
 *     optimizer_G.step()
 *
 * As printed, the post steps D right after `d_loss.backward(retain_graph=True)`; `g_loss.backward()` then needs
 * D's weights as they were in the forward, which the step overwrote, and PyTorch refuses (retain-graph-printed).
 * Setting D's gradients aside and stepping D after the second backward is the update the printed code means.
 */
export const retainGraph: Strategy = {
  id: 'retain-graph',
  title: 'retain_graph, D first',
  source: "the post's strategy 1",
  description:
    'One forward G(z) -> D(fake), D(real). d_loss is back-propagated to every parameter it reaches (D and G) ' +
    "with the graph retained; D's gradients are set aside; g_loss, from the same D output, is back-propagated " +
    'through the retained graph to every parameter (G and D); then D and G step.',
  order: 'simultaneous',
  step({ generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, regularizer }, { z, realImgs, valid, fake }) {
    const genImgs = generator(z);
    const predGen = discriminator(genImgs);
    const real = regularizer.real(realImgs);
    const predReal = discriminator(real);
    optimizerD.zeroGrad();
    const dLoss = regularizer.penalize(tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2), predReal, real);
    backward(dLoss, { retainGraph: true });
    const dGrads = discriminator.parameters.map((p) => p.takeGrad());
    const gLoss = adversarialLoss(predGen, valid);
    optimizerG.zeroGrad();
    backward(gLoss);
    discriminator.parameters.forEach((p, i) => (p.grad = dGrads[i]!));
    optimizerD.step();
    optimizerG.step();
    regularizer.lazyPhase(realImgs);
  },
};
