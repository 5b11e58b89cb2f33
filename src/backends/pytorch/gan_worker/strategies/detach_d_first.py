"""detach-d-first (src/strategies/detach-d-first.ts): the post's strategy 2 as its prose says."""

from __future__ import annotations

import torch

from .regularization import regularization
from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """The post's strategy 2 as its prose says: G's loss through a fresh D(gen_imgs) with the updated D."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    if regularizer.critic:  # WGAN-GP: PyTorch-GAN's loop, the critic steps then G's (src/strategies/detach-d-first.ts)
        d_loss = regularizer.critic_steps(gan, batch)
        g_loss = -torch.mean(discriminator(generator(z)))
        g_loss.backward()  # reaches D's parameters too; the next critic step zeroes them
        optimizer_G.step()
        return d_loss, g_loss
    gen_imgs = generator(z)  # G's graph is held from here ...
    pred_gen = discriminator(gen_imgs.detach())
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = regularizer.penalize((adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2, pred_real, real)
    d_loss.backward()  # reaches D's parameters only
    optimizer_D.step()
    regularizer.lazy_phase(gan, real_imgs)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    optimizer_G.zero_grad(set_to_none=True)
    g_loss.backward()  # ... to here; reaches G's and D's parameters
    optimizer_G.step()  # D's gradient from g_loss is left unused
    return d_loss, g_loss
