import type { Strategy } from './strategy.js';

/**
 * The post's strategy 1. PyTorch:
 *
 *     gen_imgs = generator(z); pred_gen = discriminator(gen_imgs); pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad(); d_loss = (bce(pred_real, valid) + bce(pred_gen, fake)) / 2
 *     d_loss.backward(retain_graph=True)   # reaches D's and G's parameters
 *     optimizer_D.step()
 *     g_loss = bce(pred_gen, valid); optimizer_G.zero_grad()   # G's gradient from d_loss is thrown away
 *     g_loss.backward()                    # through the same graph; reaches G's and D's parameters
 *     optimizer_G.step()                   # D's gradient from g_loss is thrown away by the next zero_grad
 *
 * The second backward uses the values saved during the forward, i.e. D's weights before its step: PyTorch
 * since 1.5 refuses to run this code when those weights were updated in place (pytorch/pytorch#39141); the
 * tape keeps the forward-time values, which is the update PyTorch computes when it runs at all.
 */
export const retainGraph: Strategy = {
  id: 'retain-graph',
  title: 'retain_graph, D first',
  source: "the post's strategy 1",
  description:
    'One forward G(z) -> D(fake), D(real). d_loss is back-propagated to every parameter it reaches (D and G) ' +
    'with the graph retained; D steps; g_loss, from the same D output, is back-propagated through the retained ' +
    'graph to every parameter (G and D); G steps.',
  order: 'simultaneous',
  step(ctx, batch) {
    const { generator, discriminator, allVariables } = ctx;
    const tape = ctx.newTape();
    const { predictionOnFake, dLoss } = tape.record(() => {
      const fake = generator.apply(batch.noise);
      const predictionOnFake = discriminator.apply(fake);
      const predictionOnReal = discriminator.apply(batch.real);
      return { predictionOnFake, dLoss: ctx.discriminatorLoss(predictionOnReal, predictionOnFake, batch) };
    });
    ctx.step('discriminator', tape.gradients(dLoss, allVariables));
    const gLoss = tape.record(() => ctx.generatorLoss(predictionOnFake, batch));
    const gGradients = tape.gradients(gLoss, allVariables);
    tape.dispose();
    ctx.step('generator', gGradients);
  },
};
