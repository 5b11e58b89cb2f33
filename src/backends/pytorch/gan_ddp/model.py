"""A small MLP GAN from a scenario of the JSON shape the worker's `setup` receives (src/scenario/schema.ts,
resolved): enough for the data-parallel measurements with its own small builder. The worker package can plug its
own G, D and optimizers into `strategies.Gan` instead.

As the worker builds an MLP scenario: nn.Linear layers with PyTorch's default initialisation, LeakyReLU(0.2) in
place, G's output activation, D ending in one sigmoid unit; G seeded with the scenario's seed, D with seed + 1; Adam
with the scenario's lr, betas, eps; nn.BCELoss.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # z, real, valid, fake

LEAKY_RELU_SLOPE = 0.2

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "leakyRelu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE, inplace=True),
    "relu": lambda: nn.ReLU(inplace=True),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def mlp(widths: list[int], activation: str, output_activation: str) -> nn.Sequential:
    """Dense layers widths[0] -> ... -> widths[-1]; 'linear' adds no module."""
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        name = output_activation if i == len(widths) - 2 else activation
        if name != "linear":
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation '{name}' (known: linear, {', '.join(ACTIVATIONS)})")
            layers.append(ACTIVATIONS[name]())
    return nn.Sequential(*layers)


def build_networks(scenario: Mapping[str, Any]) -> tuple[nn.Module, nn.Module]:
    """G and D of an MLP scenario, G from the scenario's seed, D from seed + 1 (identical on every rank)."""
    g, d = scenario["generator"], scenario["discriminator"]
    if g.get("kind", "mlp") != "mlp" or d.get("kind", "mlp") != "mlp":
        raise ValueError("gan_ddp's own builder makes MLP scenarios only; pass convolutional networks in as modules")
    seed = int(scenario["seed"])
    torch.manual_seed(seed)
    generator = mlp([g["latentSize"], *g["hidden"], g["outputSize"]], g.get("activation", "leakyRelu"),
                    g.get("outputActivation", "tanh"))
    torch.manual_seed(seed + 1)
    discriminator = mlp([g["outputSize"], *d["hidden"], 1], d.get("activation", "leakyRelu"), "sigmoid")
    return generator, discriminator


def adam_settings(scenario: Mapping[str, Any]) -> dict[str, Any]:
    o = scenario.get("optimizer", {})
    return dict(lr=o.get("learningRate", 2e-4), betas=(o.get("beta1", 0.5), o.get("beta2", 0.999)),
                eps=o.get("epsilon", 1e-8))


def global_batch(scenario: Mapping[str, Any], index: int = 0, dtype: torch.dtype = torch.float32) -> Batch:
    """Batch `index` of the whole (global) batch: z ~ N(0, 1), real ~ U(-1, 1), labels ones and zeros, drawn on the
    CPU from the scenario's seed (seed * 7919, as the worker's pool), so that every rank draws the same global batch
    and takes its own rows of it."""
    generator = torch.Generator(device="cpu").manual_seed(int(scenario["seed"]) * 7919)
    size = int(scenario["batchSize"])
    latent, data = scenario["generator"]["latentSize"], scenario["generator"]["outputSize"]
    for _ in range(index + 1):
        z = torch.randn(size, latent, generator=generator, dtype=dtype)
        real = torch.rand(size, data, generator=generator, dtype=dtype) * 2 - 1
    return z, real, torch.ones(size, 1, dtype=dtype), torch.zeros(size, 1, dtype=dtype)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
