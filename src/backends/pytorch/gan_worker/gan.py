"""The one GAN builder, for bench and quality alike (src/models/gan.ts): the scenario's G and D (G seeded with the
scenario's seed, D with seed + 1) with its init, biases and initial values, or the harness's initial weights where
sent; its optimizer, torch.optim.Adam or torch.optim.SGD (plain gradient descent), D at its own rate where set; its
G loss (AdversarialLoss). And the batches bench times on."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from .models import Scenario, build_network, keep_logit, load_harness_weights, network_specs

ON_GENERATED = "_gan_bench_on_generated"  # marks D's predictions on generated samples (the minimax G loss)

Labels = Tuple[torch.Tensor, torch.Tensor]
Batch = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # z, real, valid, fake


class BatchWithAlpha(Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]):
    """A batch (z, real, valid, fake) that also carries WGAN-GP's interpolation weights, `alpha` (one per sample,
    [batch, 1] or [batch, 1, 1, 1]): drawn with the batch, so that no framework's own generator decides them. It
    unpacks as every batch does."""

    alpha: torch.Tensor


def with_alpha(batch: Batch, alpha: torch.Tensor) -> BatchWithAlpha:
    found = BatchWithAlpha(batch)
    found.alpha = alpha
    return found


class AdversarialLoss:
    """nn.BCELoss as the strategies call it, adversarial_loss(prediction, target). With the minimax G loss, G's term,
    D's prediction on generated samples (G's output or a detach of it: the same storage) against the `valid` label,
    becomes -BCE(prediction, fake): G minimises log(1 - D(G(z))). Every D term stays BCE. The step context of the
    tfjs backends does the same (src/models/step-runner.ts); the strategies stay unchanged."""

    def __init__(self, generator_loss: str, generator: nn.Module, discriminator: nn.Module, labels: Labels) -> None:
        if generator_loss not in ("non-saturating", "minimax"):
            raise ValueError(f"unknown generator loss '{generator_loss}' (known: non-saturating, minimax)")
        self.bce = nn.BCELoss()
        self.minimax = generator_loss == "minimax"
        self.valid, self.fake = labels
        self.generated: Optional[Tuple[int, Tuple[int, ...]]] = None  # G's latest output: one G forward per step
        if self.minimax:
            generator.register_forward_hook(self._generator_output)
            discriminator.register_forward_hook(self._discriminator_output)

    def _generator_output(self, module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        self.generated = (output.data_ptr(), tuple(output.shape))

    def _discriminator_output(self, module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        x = inputs[0]
        if self.generated == (x.data_ptr(), tuple(x.shape)):
            setattr(output, ON_GENERATED, True)

    def __call__(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.minimax and target is self.valid and getattr(prediction, ON_GENERATED, False):
            return -self.bce(prediction, self.fake)
        return self.bce(prediction, target)


def make_labels(batch_size: int, device: torch.device, dtype: torch.dtype = torch.float32) -> Labels:
    """`valid` and `fake`, shared by every batch (the minimax loss tells G's term by its `valid`)."""
    return (torch.ones(batch_size, 1, device=device, dtype=dtype),
            torch.zeros(batch_size, 1, device=device, dtype=dtype))


def optimizers(scenario: Scenario, generator: nn.Module, discriminator: nn.Module,
               dtype: torch.dtype) -> Tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """The scenario's optimizer for G and for D (D at `discriminatorLearningRate` where set). A learning rate beyond
    the dtype's range is refused here: PyTorch's optimizer step would raise "value cannot be converted to type
    float without overflow" at the first step."""
    optimizer = scenario["optimizer"]
    name = optimizer.get("name", "adam")
    rate = optimizer["learningRate"]
    d_rate = optimizer.get("discriminatorLearningRate") or rate
    # Lazy R1: D's rate times every / (every + 1) and its betas to that power (StyleGAN2-ADA's training_loop.py).
    regularizer = scenario.get("regularizer", {})
    ratio = regularizer["every"] / (regularizer["every"] + 1) if regularizer.get("kind") == "r1-lazy" else 1.0
    d_rate = d_rate * ratio
    largest = torch.finfo(dtype).max
    for what, value in (("learningRate", rate), ("discriminatorLearningRate", d_rate)):
        if abs(float(value)) > largest:
            raise ValueError(f"optimizer.{what} {value:g} is beyond {dtype}'s range ({largest:g}): PyTorch cannot "
                             "take a step with it")
    if name == "sgd":
        return torch.optim.SGD(generator.parameters(), lr=rate), torch.optim.SGD(discriminator.parameters(), lr=d_rate)
    if name == "adam":
        betas = (optimizer["beta1"], optimizer["beta2"])
        d_betas = (optimizer["beta1"] ** ratio, optimizer["beta2"] ** ratio)
        return (torch.optim.Adam(generator.parameters(), lr=rate, betas=betas, eps=optimizer["epsilon"]),
                torch.optim.Adam(discriminator.parameters(), lr=d_rate, betas=d_betas, eps=optimizer["epsilon"]))
    raise ValueError(f"unknown optimizer '{name}' (known: adam, sgd)")


class Gan:
    """G, D, their optimizers and the adversarial loss, as the strategies read them (G, D, optimizer_G, optimizer_D,
    bce). Every strategy's GAN of one scenario starts from the same weights. `steps` counts every step taken (the
    step a divergence names), `pool_position` the timed steps (which batch of the pool comes next)."""

    def __init__(self, scenario: Scenario, device: torch.device, dtype: torch.dtype, labels: Labels,
                 weights: Optional[Mapping[str, Sequence[str]]] = None) -> None:
        specs = network_specs(scenario)
        seed = int(scenario["seed"])
        torch.manual_seed(seed)
        self.G = build_network(specs["generator"], scenario["generator"])
        torch.manual_seed(seed + 1)
        self.D = build_network(specs["discriminator"], scenario["discriminator"])
        if scenario.get("regularizer", {}).get("kind") in ("r1", "r1-lazy"):
            keep_logit(self.D)  # R1 differentiates D's logit (src/models/gan.ts keeps it too)
        if weights is not None:
            load_harness_weights(self.G, weights["generator"], "generator")
            load_harness_weights(self.D, weights["discriminator"], "discriminator")
        self.G.to(device=device, dtype=dtype)
        self.D.to(device=device, dtype=dtype)
        self.optimizer_G, self.optimizer_D = optimizers(scenario, self.G, self.D, dtype)
        from .strategies.regularization import Regularization  # here: the strategies import this module

        self.regularizer = Regularization(scenario.get("regularizer", {}))
        generator_loss = scenario.get("loss", {}).get("generator", "non-saturating")
        self.bce = AdversarialLoss(generator_loss, self.G, self.D, labels)
        self.steps = 0
        self.pool_position = 0

    def parameters_flat(self) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1) for p in [*self.G.parameters(), *self.D.parameters()]])

    def parameter_counts(self) -> Tuple[int, int]:
        return sum(p.numel() for p in self.G.parameters()), sum(p.numel() for p in self.D.parameters())


def make_batches(scenario: Scenario, count: int, labels: Labels) -> List[Batch]:
    """`count` batches (z ~ N(0, 1), real ~ U(-1, 1), the labels), drawn on the CPU from the scenario's seed so that
    every device gets the same values, on the labels' device and dtype. Real samples are images [C, H, W] for a
    convolutional D; under WGAN-GP each carries its interpolation weights (`alpha`, uniform in [0, 1))."""
    valid, fake = labels
    device, dtype = valid.device, valid.dtype
    generator = torch.Generator(device="cpu").manual_seed(int(scenario["seed"]) * 7919)
    batch_size = int(scenario["batchSize"])
    latent = int(scenario["generator"]["latentSize"])
    conv = scenario["discriminator"].get("kind") == "conv"
    data: List[int] = list(scenario["data"]["shape"]) if conv else [int(scenario["generator"]["outputSize"])]
    wasserstein = scenario.get("regularizer", {}).get("kind") in ("wgan-gp", "wgan-gp-detached")
    batches: List[Batch] = []
    for _ in range(count):
        z = torch.randn(batch_size, latent, generator=generator, dtype=dtype).to(device)
        real = (torch.rand(batch_size, *data, generator=generator, dtype=dtype) * 2 - 1).to(device)
        if wasserstein:  # WGAN-GP's interpolation weights, drawn after the batch's samples
            alpha = torch.rand(batch_size, *([1] * len(data)), generator=generator, dtype=dtype).to(device)
            batches.append(with_alpha((z, real, valid, fake), alpha))
        else:
            batches.append((z, real, valid, fake))
    return batches
