"""The scenario's gradient penalty as a strategy's D step meets it (src/strategies/regularization.ts, line for line):
three hooks every strategy calls at the same places, each a no-op where the regularizer does not act.

    real = regularizer.real(real_imgs)                          # R1: real_imgs.requires_grad_()
    pred_real = discriminator(real)
    d_loss = regularizer.penalize(d_loss, pred_real, real)      # R1: d_loss + gamma / 2 * r1
    d_loss.backward(); optimizer_D.step()
    regularizer.lazy_phase(real_imgs)                           # lazy R1: every `every` steps, D's own R1 step

R1 marks a fresh leaf over the batch's storage (`real_imgs.detach().requires_grad_()`): the batches are reused from
step to step, and GAN_stability's `x_real.requires_grad_()` marks a batch it never sees again."""

from __future__ import annotations

from typing import Any, Mapping

import torch


def r1_penalty(pred_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """GAN_stability's compute_grad2, averaged over the batch (src/strategies/penalties.ts's r1Penalty)."""
    grad_dout, = torch.autograd.grad(outputs=pred_real.sum(), inputs=real, create_graph=True, retain_graph=True)
    return grad_dout.pow(2).reshape(real.size(0), -1).sum(1).mean()


class Regularization:
    """The hooks for one GAN's `regularizer` ({kind, gamma, every, nCritic}); `steps` counts the steps lazy R1 saw
    (its phase runs where steps % every == 0)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.kind = str(config.get("kind", "none"))
        self.gamma = float(config.get("gamma", 10))
        self.every = int(config.get("every", 16))
        self.steps = 0

    def _refuse_wgan(self) -> None:
        if self.kind in ("wgan-gp", "wgan-gp-detached"):
            raise RuntimeError(f"regularizer {self.kind}: its critic steps are not wired into the strategies yet")

    def real(self, real_imgs: torch.Tensor) -> torch.Tensor:
        self._refuse_wgan()
        return real_imgs.detach().requires_grad_() if self.kind == "r1" else real_imgs

    def penalize(self, d_loss: torch.Tensor, pred_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if self.kind != "r1":
            return d_loss
        return d_loss + self.gamma / 2 * r1_penalty(pred_real, real)

    def lazy_phase(self, gan: Any, real_imgs: torch.Tensor) -> None:
        """StyleGAN2-ADA's Dreg phase (training/loss.py): a fresh D forward on real_imgs.detach().requires_grad_(),
        r1 * gamma / 2 * every, its own backward and D step (D's optimizer rescaled by every / (every + 1))."""
        if self.kind != "r1-lazy":
            return
        position, self.steps = self.steps, self.steps + 1
        if position % self.every != 0:
            return
        gan.optimizer_D.zero_grad(set_to_none=True)
        real = real_imgs.detach().requires_grad_()
        r1 = r1_penalty(gan.D(real), real)
        (r1 * (self.gamma / 2 * self.every)).backward()
        gan.optimizer_D.step()


NO_REGULARIZATION = Regularization({"kind": "none"})


def regularization(gan: Any) -> Regularization:
    """The GAN's hooks; none for a GAN without a regularizer (gan_ddp's)."""
    found = getattr(gan, "regularizer", None)
    return found if isinstance(found, Regularization) else NO_REGULARIZATION
