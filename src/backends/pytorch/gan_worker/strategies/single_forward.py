"""single-forward (src/strategies/single-forward.ts): one forward, two gradient requests."""

from __future__ import annotations

import torch

from .regularization import regularization
from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """One forward, two gradient requests with torch.autograd.grad: d_loss for D's parameters, g_loss for G's."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    d_loss = regularizer.penalize((adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2, pred_real, real)
    g_loss = adversarial_loss(pred_gen, valid)
    d_params, g_params = list(discriminator.parameters()), list(generator.parameters())
    d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, g_params)
    for p, g in zip(d_params, d_grads):
        p.grad = g
    for p, g in zip(g_params, g_grads):
        p.grad = g
    optimizer_D.step()
    optimizer_G.step()
    regularizer.lazy_phase(gan, real_imgs)
    return d_loss, g_loss
