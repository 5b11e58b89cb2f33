"""Divergence: the first non-finite loss, parameter or sample, and the step it was seen at. Every check runs outside
timed regions (after an observed step, after a timing round, between training steps, at checkpoints)."""

from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence, TypedDict

import torch


class Diverged(TypedDict):
    """`diverged` on the wire: the strategy's own 1-based step count at the check, and what was not finite."""

    step: int
    detail: str


def non_finite_value(value: float) -> str:
    return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def loss_problem(losses: Sequence[tuple[str, Optional[torch.Tensor]]]) -> Optional[str]:
    """"d_loss is NaN" for the first named loss that is not finite; None when all are (or none was returned)."""
    for name, loss in losses:
        if loss is None:
            continue
        value = float(loss.detach())
        if not math.isfinite(value):
            return f"{name} is {non_finite_value(value)}"
    return None


def all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    with torch.no_grad():
        return all(bool(torch.isfinite(t).all()) for t in tensors)


def parameters_problem(generator: torch.nn.Module, discriminator: torch.nn.Module) -> Optional[str]:
    """"generator parameters are not finite" (G checked first), or None."""
    for name, network in (("generator", generator), ("discriminator", discriminator)):
        if not all_finite(network.parameters()):
            return f"{name} parameters are not finite"
    return None


def diverged_at(step: int, problem: Optional[str]) -> Optional[Diverged]:
    return None if problem is None else {"step": step, "detail": problem}


def diverged_message(diverged: Diverged) -> str:
    return f"diverged at step {diverged['step']}: {diverged['detail']}"


def failed_step_divergence(steps: int, generator: torch.nn.Module, discriminator: torch.nn.Module,
                           batch: Sequence[torch.Tensor], error: BaseException) -> Optional[Diverged]:
    """A step that raised on non-finite values diverged after step `steps`: PyTorch refuses NaN where it checks
    (BCELoss's "all elements of input should be between 0 and 1"), before any loss could be looked at. Non-finite
    values are the parameters, or, from finite but huge weights, G's or D's output on the batch (a forward without
    gradients, on the failure path only). None when everything is finite: a real failure, such as the printed
    strategies' errors."""
    problem = parameters_problem(generator, discriminator)
    if problem is None:
        z, real = batch[0], batch[1]
        with torch.no_grad():
            generated = generator(z)
            if not all_finite([generated]):
                problem = "generator output is not finite"
            elif not all_finite([discriminator(generated), discriminator(real)]):
                problem = "discriminator output is not finite"
    if problem is None:
        return None
    return {"step": steps, "detail": f"{problem} (the next step raised {type(error).__name__}: {error})"}
