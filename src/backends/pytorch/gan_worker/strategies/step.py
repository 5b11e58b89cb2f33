"""What a strategy is here: a function of (gan, batch) that takes one training step, the post's PyTorch line for line,
and returns its losses (d_loss, g_loss) for the divergence checks. zero_grad(set_to_none=True) everywhere: PyTorch 2's
default, 1.13 zeroes instead."""

from __future__ import annotations

from typing import Callable, Tuple

import torch

from ..gan import Batch, Gan

StepGan = Gan
Losses = Tuple[torch.Tensor, torch.Tensor]
Step = Callable[[Gan, Batch], Losses]
