"""pytest for the PyTorch worker (src/backends/pytorch/gan_worker): the package is imported from its folder, and the
tiny GAN every test counts on by hand."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "backends", "pytorch"))


def tiny_scenario(**overrides: Any) -> Dict[str, Any]:
    """G: z [1] -> Linear(1, 1) (2 parameters, no activation); D: Linear(1, 1) -> sigmoid (2 parameters); batch 2.
    Every count of a step is small enough to derive by hand."""
    scenario: Dict[str, Any] = {
        "name": "tiny",
        "generator": {"latentSize": 1, "hidden": [], "outputSize": 1, "activation": "leakyRelu",
                      "outputActivation": "linear", "bias": True},
        "discriminator": {"hidden": [], "activation": "leakyRelu", "bias": True},
        "data": {"shape": [1]},
        "batchSize": 2,
        "seed": 3,
        "optimizer": {"name": "adam", "learningRate": 0.01, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-8},
        "loss": {"generator": "non-saturating"},
    }
    scenario.update(overrides)
    return scenario
