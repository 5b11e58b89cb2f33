"""detach-d-first-printed (src/strategies/detach-d-first-printed.ts): the post's strategy 2 exactly as printed."""

from __future__ import annotations

from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """The post's strategy 2 exactly as printed: g_loss from the detached pred_gen, whose graph d_loss.backward()
    freed: PyTorch raises "Trying to backward through the graph a second time"."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs.detach())
    pred_real = discriminator(real_imgs)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward()
    optimizer_D.step()
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_G.zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer_G.step()
    return d_loss, g_loss
