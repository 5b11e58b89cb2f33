"""g-first (src/strategies/g-first.ts): the post's strategy 3."""

from __future__ import annotations

import torch

from .regularization import regularization
from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """The post's strategy 3: G first through D(G(z)), then D on D(real) and a second D(gen_imgs.detach())."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    if regularizer.critic:  # WGAN-GP: G first, then the critic steps (src/strategies/g-first.ts)
        optimizer_G.zero_grad(set_to_none=True)
        g_loss = -torch.mean(discriminator(generator(z)))
        g_loss.backward()  # reaches D's parameters too; the first critic step zeroes them
        optimizer_G.step()
        return regularizer.critic_steps(gan, batch), g_loss
    optimizer_G.zero_grad(set_to_none=True)
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()  # reaches G's and D's parameters; the graph is freed
    optimizer_G.step()
    optimizer_D.zero_grad(set_to_none=True)  # D's gradient from g_loss is thrown away
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    real_loss = adversarial_loss(pred_real, valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = regularizer.penalize((real_loss + fake_loss) / 2, pred_real, real)
    d_loss.backward()
    optimizer_D.step()
    regularizer.lazy_phase(gan, real_imgs)
    return d_loss, g_loss
