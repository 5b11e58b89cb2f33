"""The scenario's gradient penalty as a strategy's D step meets it (src/strategies/regularization.ts, line for line):
three hooks every strategy calls at the same places, each a no-op where the regularizer does not act.

    real = regularizer.real(real_imgs)                          # R1: real_imgs.requires_grad_()
    pred_real = discriminator(real)                             # R1: logit_of(pred_real), the sigmoid's input
    d_loss = regularizer.penalize(d_loss, pred_real, real)      # R1: d_loss + gamma / 2 * r1 on the logit
    d_loss.backward(); optimizer_D.step()
    regularizer.lazy_phase(real_imgs)                           # lazy R1: every `every` steps, D's own R1 step

WGAN-GP replaces D's step by `n_critic` critic steps (`critic_steps`): a strategy that fits it runs its WGAN-GP loop
(critic steps and G's step in the strategy's order); one that does not reaches `real` and is refused in one line.

R1 marks a fresh leaf over the batch's storage (`real_imgs.detach().requires_grad_()`): the batches are reused from
step to step, and GAN_stability's `x_real.requires_grad_()` marks a batch it never sees again."""

from __future__ import annotations

import functools
from typing import Any, Mapping

import torch

from ..models import logit_of


def gradient_penalty(D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """PyTorch-GAN's compute_gradient_penalty (implementations/wgan_gp/wgan_gp.py), alpha handed in
    (src/strategies/penalties.ts's gradientPenalty); `real` and `fake` are constants there (`.data`)."""
    interpolates = (alpha * real + ((1 - alpha) * fake)).requires_grad_(True)
    d_interpolates = D(interpolates)
    ones = torch.ones_like(d_interpolates)
    gradients, = torch.autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=ones,
                                     create_graph=True, retain_graph=True, only_inputs=True)
    gradients = gradients.reshape(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(pred_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """GAN_stability's compute_grad2, averaged over the batch (src/strategies/penalties.ts's r1Penalty), on D's
    logit as its D outputs: the pre-sigmoid tensor of the forward that gave pred_real (models.keep_logit)."""
    grad_dout, = torch.autograd.grad(outputs=logit_of(pred_real).sum(), inputs=real, create_graph=True, retain_graph=True)
    return grad_dout.pow(2).reshape(real.size(0), -1).sum(1).mean()


class Regularization:
    """The hooks for one GAN's `regularizer` ({kind, gamma, every, nCritic}); `steps` counts the steps lazy R1 saw
    (its phase runs where steps % every == 0)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.kind = str(config.get("kind", "none"))
        self.gamma = float(config.get("gamma", 10))
        self.every = int(config.get("every", 16))
        self.n_critic = int(config.get("nCritic", 5))
        self.critic = self.kind in ("wgan-gp", "wgan-gp-detached")
        self.steps = 0

    def _refuse_wgan(self) -> None:
        if self.critic:
            raise RuntimeError(f"regularizer {self.kind} does not fit this strategy: its one forward serves D's loss and "
                               f"G's loss, and WGAN-GP takes nCritic ({self.n_critic}) critic steps per generator step")

    def critic_steps(self, gan: Any, batch: Any) -> torch.Tensor:
        """PyTorch-GAN's critic step, n_critic times on the batch's z, real samples and alpha (one batch per harness
        step, so its critic steps share it); D's loss of the last. wgan-gp-detached: D(fake_imgs.detach())."""
        z, real_imgs = batch[0], batch[1]
        alpha = getattr(batch, "alpha", None)
        if alpha is None:
            raise RuntimeError(f"regularizer {self.kind}: the batch carries no interpolation weights (alpha)")
        d_loss = torch.zeros(())
        for _ in range(self.n_critic):
            gan.optimizer_D.zero_grad(set_to_none=True)
            fake_imgs = gan.G(z)
            real_validity = gan.D(real_imgs)
            fake_validity = gan.D(fake_imgs.detach() if self.kind == "wgan-gp-detached" else fake_imgs)
            penalty = gradient_penalty(gan.D, real_imgs, fake_imgs.detach(), alpha)
            d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + self.gamma * penalty
            d_loss.backward()  # wgan-gp: reaches G's parameters too
            gan.optimizer_D.step()
            gan.optimizer_G.zero_grad(set_to_none=True)  # G's gradients from d_loss are thrown away
        return d_loss

    def real(self, real_imgs: torch.Tensor) -> torch.Tensor:
        self._refuse_wgan()
        return real_imgs.detach().requires_grad_() if self.kind == "r1" else real_imgs

    def penalize(self, d_loss: torch.Tensor, pred_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        self._refuse_wgan()
        if self.kind != "r1":
            return d_loss
        return d_loss + self.gamma / 2 * r1_penalty(pred_real, real)

    def lazy_phase(self, gan: Any, real_imgs: torch.Tensor) -> None:
        """StyleGAN2-ADA's Dreg phase (training/loss.py): a fresh D forward on real_imgs.detach().requires_grad_(),
        R1 on its logit, the backward of (real_logits * 0 + r1 * gamma / 2).mean() * every and D's step (D's optimizer
        rescaled by every / (every + 1))."""
        self._refuse_wgan()
        if self.kind != "r1-lazy":
            return
        position, self.steps = self.steps, self.steps + 1
        if position % self.every != 0:
            return
        gan.optimizer_D.zero_grad(set_to_none=True)
        real = real_imgs.detach().requires_grad_()
        output = gan.D(real)
        r1 = r1_penalty(output, real)
        # StyleGAN2-ADA's (real_logits * 0 + loss_Dr1).mean().mul(gain): the zero term's backward through D gives
        # every D parameter a gradient (the penalty alone leaves the output bias none, and DDP's reducer waiting).
        (((logit_of(output) * 0).mean() + r1 * (self.gamma / 2)) * self.every).backward()
        gan.optimizer_D.step()


NO_REGULARIZATION = Regularization({"kind": "none"})


def as_printed_refusal(kind: str) -> str:
    """src/strategies/regularization.ts's asPrintedRefusal, word for word."""
    return f"regularizer {kind} does not apply to the post's code as printed, which has no gradient penalty form"


def as_printed(step: Any) -> Any:
    """The post's listing as printed (a `-printed` strategy) under the GAN's regularizer: it calls no hook, so under
    one it would run its plain step; refused in one line instead (src/models/step-runner.ts does the same). The
    listing itself is the wrapper's `__wrapped__` (what a compiled step compiles: variant.py)."""
    @functools.wraps(step)
    def run(gan: Any, batch: Any) -> Any:
        kind = regularization(gan).kind
        if kind != "none":
            raise RuntimeError(as_printed_refusal(kind))
        return step(gan, batch)
    return run


def regularization(gan: Any) -> Regularization:
    """The GAN's hooks; none for a GAN without a regularizer (gan_ddp's)."""
    found = getattr(gan, "regularizer", None)
    return found if isinstance(found, Regularization) else NO_REGULARIZATION
