import type { Strategy } from './strategy.js';

/**
 * Not in the post: the TensorFlow DCGAN tutorial's two tapes, or PyTorch's `torch.autograd.grad`:
 *
 *     fake = generator(z); pred_fake = discriminator(fake); pred_real = discriminator(real)
 *     d_loss = (bce(pred_real, valid) + bce(pred_fake, fake_labels)) / 2; g_loss = bce(pred_fake, valid)
 *     d_grads = torch.autograd.grad(d_loss, D.parameters(), retain_graph=True)
 *     g_grads = torch.autograd.grad(g_loss, G.parameters())
 *     optimizer_D.step(d_grads); optimizer_G.step(g_grads)
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
  step(ctx, batch) {
    const { generator, discriminator } = ctx;
    const tape = ctx.newTape();
    const { dLoss, gLoss } = tape.record(() => {
      const predictionOnFake = discriminator.apply(generator.apply(batch.noise));
      const predictionOnReal = discriminator.apply(batch.real);
      return {
        dLoss: ctx.discriminatorLoss(predictionOnReal, predictionOnFake, batch),
        gLoss: ctx.generatorLoss(predictionOnFake, batch),
      };
    });
    const dGradients = tape.gradients(dLoss, discriminator.variables);
    const gGradients = tape.gradients(gLoss, generator.variables);
    tape.dispose();
    ctx.step('discriminator', dGradients);
    ctx.step('generator', gGradients);
  },
};
