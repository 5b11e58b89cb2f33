"""The GAN update strategies under data parallelism, as PyTorch code the way people write it there.

Every DDP form wraps G and D each in its own DistributedDataParallel (mmgeneration's and StyleGAN2-ADA's way: one
DDP around the whole GAN fails with either find_unused_parameters setting). `Gan.G` / `Gan.D` are what the step
calls (the DDP wrappers, or the plain modules at world size 1 or for the flat form); `Gan.g_module` / `Gan.d_module`
are the networks themselves (their parameters, `requires_grad_`). The same functions run unchanged on plain modules:
that is the world-size-1 reference of the equivalence check.

The post's strategies and frozen-d are the worker's own functions (gan_worker.strategies.STEPS), called with the DDP
wrappers in place of the modules: the PyTorch code lives once. The forms only data parallelism has are here.
zero_grad(set_to_none=True) everywhere.

The scenario's regularizer (R1, lazy R1, WGAN-GP) runs through the worker's hooks (gan_worker.strategies.regularization,
read off `Gan.regularizer`): the worker's strategies call them as they do in one process, and the forms here call the
same hooks at the same places (a one-forward form refuses WGAN-GP in the worker's words).
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterable, Optional, cast

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gan_worker.gan import Batch
from gan_worker.strategies import STEPS
from gan_worker.strategies.regularization import Regularization, regularization

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Gan:
    G: nn.Module  # what the step calls: G's DDP wrapper, or G itself
    D: nn.Module
    g_module: nn.Module  # the networks: parameters, requires_grad_
    d_module: nn.Module
    optimizer_G: torch.optim.Optimizer
    optimizer_D: torch.optim.Optimizer
    bce: Loss  # the adversarial loss, named as the worker's strategies call it
    distributed: bool = False  # in a process group of more than one rank: the flat form all-reduces
    # The scenario's gradient penalty, the worker's hooks (gan_worker.strategies.regularization); one per GAN: lazy
    # R1 counts its steps.
    regularizer: Regularization = field(default_factory=lambda: Regularization({"kind": "none"}))


class WholeGan(nn.Module):
    """G and D as one module, for one DDP around the whole GAN: `forward(x, "G")` is G(x), `forward(x, "D")` D(x)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, x: torch.Tensor, network: str) -> torch.Tensor:
        module = self.generator if network == "G" else self.discriminator
        out: torch.Tensor = module(x)
        return out


class Part(nn.Module):
    """G or D as the step calls it when one DDP wraps the whole GAN: each call is a forward of the whole wrapper."""

    def __init__(self, wrapper: nn.Module, network: str, module: nn.Module) -> None:
        super().__init__()
        self._wrapper = [wrapper]  # in a list: not a submodule (its parameters are the whole GAN's)
        self.network = network
        self.module = module  # a submodule: the view's parameters() and requires_grad_() are its network's

    @property
    def wrapper(self) -> nn.Module:
        return self._wrapper[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.wrapper(x, self.network)
        return out


def no_sync(module: nn.Module) -> ContextManager[None]:
    """DDP's no_sync() (no gradient all-reduce for backward passes through forwards run inside it), or nothing for
    a plain module, as StyleGAN2-ADA's misc.ddp_sync does."""
    if isinstance(module, Part):
        module = module.wrapper
    if isinstance(module, DistributedDataParallel):
        ddp: Any = module  # torch's stubs give DDP's attributes as Module.__getattr__'s Tensor | Module
        return cast(ContextManager[None], ddp.no_sync())
    return contextlib.nullcontext()


def flat_all_reduce(parameters: Iterable[nn.Parameter], distributed: bool) -> None:
    """StyleGAN3's per-phase gradient sync (training/training_loop.py): the phase's gradients concatenated into one
    flat tensor, one all_reduce (sum) over the default group, divided by the world size, split back into `.grad`.
    No all_reduce unless `distributed` (StyleGAN3's `if num_gpus > 1`)."""
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params if p.grad is not None])
    if distributed:
        dist.all_reduce(flat)  # looked up on torch.distributed at call time: counting.CommCounter sees it
        flat /= dist.get_world_size()
    for p, g in zip(params, flat.split([p.numel() for p in params])):
        p.grad = g.reshape(p.shape)


# ----------------------------------------------------------------------------------------------------------------
# The forms only data parallelism has. The post's strategies and frozen-d are the worker's own functions
# (gan_worker.strategies), run on DDP-wrapped networks: see STRATEGIES.
# ----------------------------------------------------------------------------------------------------------------


class FlatSynced:
    """An optimizer whose step() first runs StyleGAN3's flat all-reduce of its network's gradients: what stylegan3-flat
    hands the worker's hooks that step D themselves (lazy R1's phase, WGAN-GP's critic steps), so that their gradients
    are synchronised as the form's own phases are."""

    def __init__(self, optimizer: torch.optim.Optimizer, module: nn.Module, distributed: bool) -> None:
        self.optimizer, self.module, self.distributed = optimizer, module, distributed

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        flat_all_reduce(self.module.parameters(), self.distributed)
        self.optimizer.step()


def step_single_forward_inputs(gan: Gan, batch: Batch) -> None:
    """single-forward's working form under DDP: Tensor.backward(inputs=...) (PyTorch >= 1.8) instead of
    autograd.grad. It accumulates into .grad through the AccumulateGrad nodes of `inputs` only, so each network's
    reducer fires once, on the backward meant for it: D on d_loss's, G on g_loss's; no wasted gradient, no wasted
    all-reduce. The regularizer's hooks where single-forward calls them (WGAN-GP: refused, one forward)."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    d_loss = regularizer.penalize((adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2,
                                  pred_real, real)
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_D.zero_grad(set_to_none=True)
    optimizer_G.zero_grad(set_to_none=True)
    d_loss.backward(inputs=list(gan.d_module.parameters()), retain_graph=True)
    g_loss.backward(inputs=list(gan.g_module.parameters()))
    optimizer_D.step()
    optimizer_G.step()
    regularizer.lazy_phase(gan, real_imgs)


def critic_phases(gan: Gan, batch: Batch, sync: Callable[[nn.Module], None]) -> None:
    """WGAN-GP in StyleGAN's phases, on g-first's data flow (so g-first's update): the G phase with PyTorch-GAN's
    `g_loss = -D(G(z)).mean()` (D frozen, under no_sync), then the D phase, the worker's critic steps (G frozen, its
    forwards under no_sync). `sync(network)`: the form's gradient sync after a backward (the flat all-reduce, or
    nothing under DDP)."""
    regularizer = regularization(gan)
    z = batch[0]
    gan.g_module.requires_grad_(True)
    gan.optimizer_G.zero_grad(set_to_none=True)
    gen_imgs = gan.G(z)
    with no_sync(gan.D):
        g_loss = -torch.mean(gan.D(gen_imgs))
    g_loss.backward()
    sync(gan.g_module)
    gan.optimizer_G.step()
    gan.g_module.requires_grad_(False)
    gan.d_module.requires_grad_(True)
    with no_sync(gan.G):
        regularizer.critic_steps(gan, batch)
    gan.d_module.requires_grad_(False)


def step_stylegan2_ada(gan: Gan, batch: Batch) -> None:
    """StyleGAN2-ADA's phases (training/training_loop.py, training/loss.py): G phase then D phase; the network being
    trained requires_grad_(True), the other requires_grad_(False) and runs under no_sync() (misc.ddp_sync). As
    g-first's data flow: the D phase trains on the G phase's samples, detached (StyleGAN2-ADA draws new noise per
    phase and runs G again, frozen, under no_sync), so that its update is g-first's and the two compare on the same
    work. Both networks start each step frozen, as StyleGAN2-ADA leaves them after wrapping. The regularizer's hooks
    in the D phase (R1 in Dmain; lazy R1's phase after it, StyleGAN2-ADA's Dreg, D's own forward and backward);
    WGAN-GP: `critic_phases`."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    if regularizer.critic:
        critic_phases(gan, batch, lambda _: None)
        return
    # Gmain
    gan.g_module.requires_grad_(True)
    optimizer_G.zero_grad(set_to_none=True)
    gen_imgs = generator(z)  # G synced: its reducer all-reduces on this phase's backward
    with no_sync(discriminator):
        pred_gen = discriminator(gen_imgs)
    g_loss = adversarial_loss(pred_gen, valid)
    g_loss.backward()
    optimizer_G.step()
    gan.g_module.requires_grad_(False)
    # Dmain
    gan.d_module.requires_grad_(True)
    optimizer_D.zero_grad(set_to_none=True)
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    real_loss = adversarial_loss(pred_real, valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = regularizer.penalize((real_loss + fake_loss) / 2, pred_real, real)
    d_loss.backward()
    optimizer_D.step()
    regularizer.lazy_phase(gan, real_imgs)  # Dreg
    gan.d_module.requires_grad_(False)


def step_stylegan3_flat(gan: Gan, batch: Batch) -> None:
    """StyleGAN3's form (training/training_loop.py): no DDP wrapper at all; per phase, the trained network's
    gradients in one flat tensor, one all_reduce, divided by the world size (flat_all_reduce). The phases and data
    flow of stylegan2-ada (so g-first's update), with its regularizer hooks; the hooks that step D themselves (lazy
    R1's phase, WGAN-GP's critic steps) step it through `FlatSynced`: one flat all-reduce per phase or critic step."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    regularizer = regularization(gan)
    synced = dataclasses.replace(gan, optimizer_D=cast(torch.optim.Optimizer,
                                                       FlatSynced(optimizer_D, gan.d_module, gan.distributed)))
    if regularizer.critic:
        critic_phases(synced, batch, lambda network: flat_all_reduce(network.parameters(), gan.distributed))
        return
    gan.g_module.requires_grad_(True)
    optimizer_G.zero_grad(set_to_none=True)
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()
    flat_all_reduce(gan.g_module.parameters(), gan.distributed)
    optimizer_G.step()
    gan.g_module.requires_grad_(False)
    gan.d_module.requires_grad_(True)
    optimizer_D.zero_grad(set_to_none=True)
    real = regularizer.real(real_imgs)
    pred_real = discriminator(real)
    real_loss = adversarial_loss(pred_real, valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = regularizer.penalize((real_loss + fake_loss) / 2, pred_real, real)
    d_loss.backward()
    flat_all_reduce(gan.d_module.parameters(), gan.distributed)
    optimizer_D.step()
    regularizer.lazy_phase(synced, real_imgs)
    gan.d_module.requires_grad_(False)


@dataclass(frozen=True)
class Strategy:
    id: str
    step: Callable[[Gan, Batch], object]
    ddp: bool  # G and D each in a DistributedDataParallel wrapper (else plain modules, its own all_reduce)
    frozen_between_steps: bool  # both networks requires_grad_(False) after wrapping (StyleGAN2-ADA, StyleGAN3)
    summary: str


# What DDP does with the worker's strategies, G and D each in its own wrapper (measured: README.md, tests/):
# - retain-graph runs without an error and computes the wrong update: each DDP reducer all-reduces on the first
#   backward pass that reaches its module after a forward, and ignores later ones until the next forward.
#   d_loss.backward() reaches D and G: both are all-reduced (G's gradient is then thrown away); g_loss.backward()
#   reaches G and D again, and G's gradient, the one optimizer_G uses, stays each rank's own shard's.
# - detach-d-first and g-first: each backward follows its own forward: D is all-reduced twice (one of them on a
#   gradient thrown away), G once.
# - single-forward runs without an error and all-reduces nothing: DDP's reducer hooks sit on the parameters'
#   AccumulateGrad nodes, which autograd.grad(outputs, inputs=params) does not run; each rank steps on its shard's.
# - frozen-d: D's reducer sees no gradient in G's backward (D requires_grad_(False)) and all-reduces nothing there.
# - the printed forms raise as in one process.
STRATEGIES: dict[str, Strategy] = {s.id: s for s in [
    Strategy("retain-graph", STEPS["retain-graph"], True, False, "the post's strategy 1, the worker's form"),
    Strategy("detach-d-first", STEPS["detach-d-first"], True, False, "the post's strategy 2 as its prose says"),
    Strategy("g-first", STEPS["g-first"], True, False, "the post's strategy 3"),
    Strategy("single-forward", STEPS["single-forward"], True, False, "one forward, torch.autograd.grad per network"),
    Strategy("single-forward-inputs", step_single_forward_inputs, True, False,
             "one forward, backward(inputs=...) per network: single-forward's working form under DDP"),
    Strategy("frozen-d", STEPS["frozen-d"], True, False, "D first, then G with D requires_grad_(False)"),
    Strategy("stylegan2-ada", step_stylegan2_ada, True, True,
             "G then D phase, the other network frozen and under no_sync()"),
    Strategy("stylegan3-flat", step_stylegan3_flat, False, True,
             "no DDP; one flat all_reduce of the trained network's gradients per phase"),
    Strategy("retain-graph-printed", STEPS["retain-graph-printed"], True, False, "the post's strategy 1 as printed"),
    Strategy("detach-d-first-printed", STEPS["detach-d-first-printed"], True, False,
             "the post's strategy 2 as printed"),
]}


@dataclass(frozen=True)
class DdpOptions:
    """How the DDP forms are wrapped: `separate` (G and D each in its own DDP: the default, mmgeneration's and
    StyleGAN2-ADA's way) or `whole` (one DDP around a module holding both, to show what happens then), with DDP's
    find_unused_parameters and static_graph (both False by default, as DDP's) and broadcast_buffers (True by default,
    as DDP's: rank 0's buffers, BatchNorm's running statistics, are broadcast to every rank at each forward)."""

    wrap: str = "separate"
    find_unused_parameters: bool = False
    static_graph: bool = False
    bucket_cap_mb: Optional[float] = None
    broadcast_buffers: bool = True

    @staticmethod
    def from_json(options: Optional[dict[str, Any]]) -> "DdpOptions":
        o = options or {}
        wrap = o.get("wrap", "separate")
        if wrap not in ("separate", "whole"):
            raise ValueError(f"unknown DDP wrap '{wrap}' (known: separate, whole)")
        return DdpOptions(wrap, bool(o.get("findUnusedParameters", False)), bool(o.get("staticGraph", False)),
                          o.get("bucketCapMb"), bool(o.get("broadcastBuffers", True)))

    def to_json(self) -> dict[str, Any]:
        return {"wrap": self.wrap, "findUnusedParameters": self.find_unused_parameters,
                "staticGraph": self.static_graph, "bucketCapMb": self.bucket_cap_mb,
                "broadcastBuffers": self.broadcast_buffers}


def make_gan(generator: nn.Module, discriminator: nn.Module, optimizer_G: torch.optim.Optimizer,
             optimizer_D: torch.optim.Optimizer, loss: Loss, strategy: Strategy, distributed: bool,
             device_ids: Optional[list[int]] = None, options: DdpOptions = DdpOptions(),
             regularizer: Optional[Regularization] = None) -> Gan:
    """The GAN a strategy's step runs on, from the networks, optimizers and loss the worker's builder made
    (gan_worker.gan.Gan): for a DDP form when `distributed`, G and D each in its own DDP wrapper (or both in one,
    `options.wrap == "whole"`; device_ids for one GPU per rank; bucket_cap_mb DDP's default 25 unless given), else
    plain. Wrapping broadcasts rank 0's parameters and buffers to every rank (DDP's constructor); the optimizers
    hold the networks' own parameters, as people construct them (frozen ones included: a parameter without .grad
    is skipped by step()). `regularizer`: the worker's hooks for the scenario's penalty (none by default)."""
    G: nn.Module = generator
    D: nn.Module = discriminator
    if strategy.ddp and distributed:
        kwargs: dict[str, Any] = {"find_unused_parameters": options.find_unused_parameters,
                                  "static_graph": options.static_graph,
                                  "broadcast_buffers": options.broadcast_buffers}
        if options.bucket_cap_mb is not None:
            kwargs["bucket_cap_mb"] = options.bucket_cap_mb
        if options.wrap == "whole":
            whole = DistributedDataParallel(WholeGan(generator, discriminator), device_ids=device_ids, **kwargs)
            G, D = Part(whole, "G", generator), Part(whole, "D", discriminator)
        else:
            G = DistributedDataParallel(generator, device_ids=device_ids, **kwargs)
            D = DistributedDataParallel(discriminator, device_ids=device_ids, **kwargs)
    if strategy.frozen_between_steps:
        generator.requires_grad_(False)
        discriminator.requires_grad_(False)
    return Gan(G, D, generator, discriminator, optimizer_G, optimizer_D, loss, distributed,
               regularizer if regularizer is not None else Regularization({"kind": "none"}))
