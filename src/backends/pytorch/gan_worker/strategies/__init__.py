"""The strategies, one module each as in src/strategies/, by id (src/strategies/ids.ts). The two `-printed` ones are
the post's code exactly as printed: PyTorch raises; under a regularizer they are refused (they have no penalty form)."""

from __future__ import annotations

from typing import Dict, List

from . import (detach_d_first, detach_d_first_printed, frozen_d, g_first, retain_graph, retain_graph_printed,
               single_forward)
from .regularization import as_printed
from .step import Losses, Step

STEPS: Dict[str, Step] = {
    "retain-graph": retain_graph.step,
    "detach-d-first": detach_d_first.step,
    "g-first": g_first.step,
    "single-forward": single_forward.step,
    "frozen-d": frozen_d.step,
    "retain-graph-printed": as_printed(retain_graph_printed.step),
    "detach-d-first-printed": as_printed(detach_d_first_printed.step),
}
STRATEGY_IDS: List[str] = list(STEPS)

__all__ = ["STEPS", "STRATEGY_IDS", "Losses", "Step"]
