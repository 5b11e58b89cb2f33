"""retain-graph (src/strategies/retain-graph.ts): the post's strategy 1 in the form PyTorch runs."""

from __future__ import annotations

from .regularization import regularization
from .step import Losses, StepGan
from ..gan import Batch


def step(gan: StepGan, batch: Batch) -> Losses:
    """The post's strategy 1 in the form PyTorch runs: D's step after g_loss.backward() (pytorch#39141)."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = regularizer.penalize((adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2, pred_real, real)
    d_loss.backward(retain_graph=True)  # reaches D's and G's parameters
    d_params = list(discriminator.parameters())
    d_grads = [p.grad for p in d_params]  # D's gradients from d_loss, set aside (the tensors, no copy)
    for p in d_params:
        p.grad = None
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_G.zero_grad(set_to_none=True)  # G's gradient from d_loss is thrown away
    g_loss.backward()  # through the same graph, at the forward-time D; reaches G's and D's parameters
    for p, g in zip(d_params, d_grads):
        p.grad = g  # D's gradient from g_loss is thrown away
    optimizer_D.step()
    optimizer_G.step()
    regularizer.lazy_phase(gan, real_imgs)
    return d_loss, g_loss
