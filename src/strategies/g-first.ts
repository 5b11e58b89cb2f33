import type { Strategy } from './strategy.js';

/**
 * The post's strategy 3. PyTorch:
 *
 *     optimizer_G.zero_grad(); gen_imgs = generator(z)
 *     g_loss = bce(discriminator(gen_imgs), valid)
 *     g_loss.backward()                          # reaches G's and D's parameters; the graph is freed
 *     optimizer_G.step()
 *     optimizer_D.zero_grad()                    # D's gradient from g_loss is thrown away
 *     real_loss = bce(discriminator(real_imgs), valid)
 *     fake_loss = bce(discriminator(gen_imgs.detach()), fake)   # a second D forward on the same fake
 *     d_loss = (real_loss + fake_loss) / 2; d_loss.backward(); optimizer_D.step()
 *
 * `gen_imgs` was computed before G stepped, so D trains on the starting G's samples and D's starting weights
 * are the ones G's gradient went through: the update is the simultaneous one, like strategy 1's.
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
    const { generator, discriminator, allVariables } = ctx;
    const generatorTape = ctx.newTape();
    const { fake, gLoss } = generatorTape.record(() => {
      const fake = generator.apply(batch.noise);
      return { fake, gLoss: ctx.generatorLoss(discriminator.apply(fake), batch) };
    });
    const gGradients = generatorTape.gradients(gLoss, allVariables);
    generatorTape.dispose();
    ctx.step('generator', gGradients);

    const discriminatorTape = ctx.newTape();
    const dLoss = discriminatorTape.record(() =>
      ctx.discriminatorLoss(discriminator.apply(batch.real), discriminator.apply(ctx.detach(fake)), batch),
    );
    const dGradients = discriminatorTape.gradients(dLoss, allVariables);
    discriminatorTape.dispose();
    ctx.step('discriminator', dGradients);
  },
};
