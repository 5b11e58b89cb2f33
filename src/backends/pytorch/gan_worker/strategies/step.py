"""What a strategy is here: a function of (gan, batch) that takes one training step, the post's PyTorch line for line,
and returns its losses (d_loss, g_loss) for the divergence checks. zero_grad(set_to_none=True) everywhere: PyTorch 2's
default, 1.13 zeroes instead."""

from __future__ import annotations

from typing import Callable, Protocol, Tuple

import torch
from torch import nn

from ..gan import Batch


class StepGan(Protocol):
    """What a step reads off its GAN: the networks it calls, the loss, the optimizers. The worker's `gan.Gan` is one;
    gan_ddp's `Gan` (DDP-wrapped networks) is another, so that the strategies under DDP are these same functions."""

    @property
    def G(self) -> nn.Module: ...

    @property
    def D(self) -> nn.Module: ...

    @property
    def bce(self) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]: ...

    @property
    def optimizer_G(self) -> torch.optim.Optimizer: ...

    @property
    def optimizer_D(self) -> torch.optim.Optimizer: ...


Losses = Tuple[torch.Tensor, torch.Tensor]
Step = Callable[[StepGan, Batch], Losses]
