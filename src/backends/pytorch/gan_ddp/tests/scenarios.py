"""The tests' scenarios, in the resolved shape the harness sends (src/scenario/schema.ts after parsing, as the worker's
`setup` receives it): gan_ddp builds them with the worker's builder (gan_worker.gan), which reads every field."""

from __future__ import annotations

import copy
from typing import Any

# The hand-countable GAN of test_world2: G = Linear(2,3) + LeakyReLU + Linear(3,2) + Tanh (17 parameters);
# D = Linear(2,3) + LeakyReLU + Linear(3,1) + Sigmoid (13 parameters). Adam 2e-4, the non-saturating G loss.
TINY: dict[str, Any] = {
    "name": "tiny",
    "generator": {"latentSize": 2, "hidden": [3], "activation": "leakyRelu", "outputSize": 2,
                  "outputActivation": "tanh", "bias": True},
    "discriminator": {"hidden": [3], "activation": "leakyRelu", "bias": True},
    "data": {"shape": [2], "source": "uniform"},
    "batchSize": 8,
    "seed": 7,
    "optimizer": {"name": "adam", "learningRate": 2e-4, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-8},
    "loss": {"generator": "non-saturating"},
}


def _up(filters: int, kernel: int, stride: int, padding: int, last: bool = False) -> dict[str, Any]:
    return {"layer": "convTranspose2d", "filters": filters, "kernelSize": kernel, "stride": stride,
            "padding": padding, "bias": False, "batchNorm": not last, "activation": "tanh" if last else "relu"}


def _down(filters: int, kernel: int, stride: int, padding: int, batch_norm: bool,
          last: bool = False) -> dict[str, Any]:
    return {"layer": "conv2d", "filters": filters, "kernelSize": kernel, "stride": stride, "padding": padding,
            "bias": False, "batchNorm": batch_norm, "activation": "sigmoid" if last else "leakyRelu"}


# scenarios/dcgan-mnist.ts resolved (src/models/dcgan.ts, nz 100, ngf = ndf = 64, 28x28x1, weights_init, Adam 2e-4
# (0.5, 0.999)): G ConvTranspose2d 100->256 (7x7) + BatchNorm + ReLU, 256->128 (4, 2, 1) + BatchNorm + ReLU,
# 128->1 (4, 2, 1) + Tanh; D Conv2d 1->64 (4, 2, 1) + LeakyReLU, 64->128 (4, 2, 1) + BatchNorm + LeakyReLU,
# 128->1 (7x7) + Sigmoid. G has 2 BatchNorm layers, D 1. Its batch of 32 is 4 here: a step in milliseconds.
DCGAN_MNIST: dict[str, Any] = {
    "name": "dcgan-mnist",
    "generator": {"kind": "conv", "latentSize": 100, "init": "dcgan", "outputSize": 784,
                  "layers": [_up(256, 7, 1, 0), _up(128, 4, 2, 1), _up(1, 4, 2, 1, last=True)]},
    "discriminator": {"kind": "conv", "init": "dcgan",
                      "layers": [_down(64, 4, 2, 1, False), _down(128, 4, 2, 1, True),
                                 _down(1, 7, 1, 0, False, last=True)]},
    "data": {"shape": [1, 28, 28], "source": "uniform"},
    "batchSize": 4,
    "seed": 1,
    "optimizer": {"name": "adam", "learningRate": 2e-4, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-8},
    "loss": {"generator": "non-saturating"},
}

# scenarios/quality/dirac-paper.ts resolved: G(z) = theta z and D(x) = sigmoid(psi x), no biases, both starting at 1;
# the minimax G loss; plain gradient descent, G at 0.2, D at its own 0.4. Its batch of 1 is 2 here, one row a rank.
DIRAC_PAPER: dict[str, Any] = {
    "name": "dirac-paper",
    "generator": {"latentSize": 1, "hidden": [], "activation": "leakyRelu", "outputSize": 1,
                  "outputActivation": "linear", "bias": False, "initialValue": 1},
    "discriminator": {"hidden": [], "activation": "leakyRelu", "bias": False, "initialValue": 1},
    "data": {"shape": [1], "source": "dirac"},
    "batchSize": 2,
    "seed": 42,
    "optimizer": {"name": "sgd", "learningRate": 0.2, "discriminatorLearningRate": 0.4},
    "loss": {"generator": "minimax"},
}


def variant(scenario: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `scenario` with top-level fields replaced."""
    changed = copy.deepcopy(scenario)
    changed.update(copy.deepcopy(changes))
    return changed
