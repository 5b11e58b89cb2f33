import type { Strategy } from './strategy.js';

/**
 * The post's strategy 2, as its prose describes it (its code listing reuses the detached `pred_gen` for
 * g_loss, which would give G no gradient at all). PyTorch:
 *
 *     gen_imgs = generator(z)                         # G's graph is held from here ...
 *     pred_gen = discriminator(gen_imgs.detach()); pred_real = discriminator(real_imgs)
 *     optimizer_D.zero_grad(); d_loss = (bce(pred_real, valid) + bce(pred_gen, fake)) / 2
 *     d_loss.backward(); optimizer_D.step()           # reaches D's parameters only
 *     g_loss = bce(discriminator(gen_imgs), valid)    # a fresh D forward, through the updated D
 *     optimizer_G.zero_grad(); g_loss.backward()      # ... to here; reaches G's and D's parameters
 *     optimizer_G.step()                              # D's gradient from g_loss is thrown away
 */
export const detachDiscriminatorFirst: Strategy = {
  id: 'detach-d-first',
  title: 'detach, D first',
  source: "the post's strategy 2",
  description:
    "G(z) is recorded and kept. D trains on D(fake.detach()) and D(real); then G trains through a fresh " +
    'D(fake) with the updated D, back-propagating to every parameter it reaches (G and D).',
  order: 'alternating-d-first',
  step(ctx, batch) {
    const { generator, discriminator, allVariables } = ctx;
    const generatorTape = ctx.newTape();
    const fake = generatorTape.record(() => generator.apply(batch.noise));

    const discriminatorTape = ctx.newTape();
    const dLoss = discriminatorTape.record(() => {
      const predictionOnFake = discriminator.apply(ctx.detach(fake));
      const predictionOnReal = discriminator.apply(batch.real);
      return ctx.discriminatorLoss(predictionOnReal, predictionOnFake, batch);
    });
    const dGradients = discriminatorTape.gradients(dLoss, allVariables);
    discriminatorTape.dispose();
    ctx.step('discriminator', dGradients);

    const gLoss = generatorTape.record(() => ctx.generatorLoss(discriminator.apply(fake), batch));
    const gGradients = generatorTape.gradients(gLoss, allVariables);
    generatorTape.dispose();
    ctx.step('generator', gGradients);
  },
};
