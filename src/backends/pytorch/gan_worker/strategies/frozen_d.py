"""frozen-d (src/strategies/frozen-d.ts): not in the post; pix2pix's and StyleGAN2-ADA's alternating update."""

from __future__ import annotations

import torch

from .regularization import regularization
from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """D's parameters excluded from G's backward with requires_grad_(False), so G's step computes no D gradient."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    if regularizer.critic:  # WGAN-GP: the critic steps, then G's with D frozen (src/strategies/frozen-d.ts)
        discriminator.requires_grad_(True)
        d_loss = regularizer.critic_steps(gan, batch)
        discriminator.requires_grad_(False)
        g_loss = -torch.mean(discriminator(generator(z)))
        g_loss.backward()  # through D to G's parameters only
        optimizer_G.step()
        return d_loss, g_loss
    gen_imgs = generator(z)
    discriminator.requires_grad_(True)
    optimizer_D.zero_grad(set_to_none=True)
    pred_gen = discriminator(gen_imgs.detach())
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    d_loss = regularizer.penalize((adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2, pred_real, real)
    d_loss.backward()
    optimizer_D.step()
    regularizer.lazy_phase(gan, real_imgs)
    discriminator.requires_grad_(False)  # D requires no gradients when optimizing G
    optimizer_G.zero_grad(set_to_none=True)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()  # through D to G's parameters only: input gradients in D, no weight gradients
    optimizer_G.step()
    return d_loss, g_loss
