import { tf } from '../tf.js';
import type { Strategy } from './strategy.js';

/**
 * Not in the post: TensorFlow's DCGAN tutorial's two tapes, or PyTorch's `torch.autograd.grad`:
 *
 *     gen_imgs = generator(z)
 *     pred_gen = discriminator(gen_imgs)
 *     pred_real = discriminator(real_imgs)
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
 *     g_loss = adversarial_loss(pred_gen, valid)
 *     d_grads = torch.autograd.grad(d_loss, discriminator.parameters(), retain_graph=True)
 *     g_grads = torch.autograd.grad(g_loss, generator.parameters())
 *     for p, g in zip(discriminator.parameters(), d_grads): p.grad = g
 *     for p, g in zip(generator.parameters(), g_grads): p.grad = g
 *     optimizer_D.step()
 *     optimizer_G.step()
 *
 * One forward, each loss differentiated only for the parameters its optimizer updates: no gradient is wasted.
 */
export const singleForward: Strategy = {
  id: 'single-forward',
  title: 'one forward, two gradient requests',
  source: "TensorFlow's DCGAN tutorial (two GradientTapes); PyTorch's torch.autograd.grad",
  description:
    "One forward G(z) -> D(fake), D(real); d_loss is differentiated for D's parameters only and g_loss for " +
    "G's only, both at the step's starting weights; then both networks step.",
  order: 'simultaneous',
  step({ generator, discriminator, optimizerG, optimizerD, adversarialLoss, grad, regularizer }, { z, realImgs, valid, fake }) {
    const genImgs = generator(z);
    const predGen = discriminator(genImgs);
    const real = regularizer.real(realImgs);
    const predReal = discriminator(real);
    const dLoss = regularizer.penalize(tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(predGen, fake)), 2), predReal, real);
    const gLoss = adversarialLoss(predGen, valid);
    const dGrads = grad(dLoss, discriminator.parameters, { retainGraph: true });
    const gGrads = grad(gLoss, generator.parameters);
    discriminator.parameters.forEach((p, i) => (p.grad = dGrads[i]!));
    generator.parameters.forEach((p, i) => (p.grad = gGrads[i]!));
    optimizerD.step();
    optimizerG.step();
    regularizer.lazyPhase(realImgs);
  },
};
