"""What DDP does with R1's gradient (issue 23's question), measured directly on a bare D, outside gan_ddp's GAN (whose
ranks run the scenario's penalty through the worker's hooks: test_regularizers_world2.py counts and checks them).

R1 as the worker takes it (gan_worker/strategies/regularization.py), on D's logit: D(real.requires_grad_()),
g = autograd.grad(logit.sum(), real, create_graph=True) (its inputs are the data only: no AccumulateGrad node runs,
so no DDP hook fires and nothing is all-reduced), then one backward of d_loss + gamma / 2 * r1. That backward
reaches D's parameters through the recorded backward (the double backward) and through D's forward; both land in
the parameters' AccumulateGrad, whose hooks DDP's reducer listens to: the penalty's gradient is all-reduced with
the loss's, and each rank's D gradient is world size 1's on the whole batch. Lazy R1's phase (the penalty's own
backward) written as the penalty alone is not: the penalty does not depend on D's output bias (R1 on the logit: no
sigmoid derivative), whose gradient stays None, so DDP's reducer never sees its bucket complete and all-reduces
nothing; each rank keeps its shard's gradient (DDP then raises at the next forward). StyleGAN2-ADA's Dreg loss,
`(real_logits * 0 + loss_Dr1).mean().mul(gain)`, the form the worker runs, is: its zero term's backward through D
gives every parameter a gradient, and DDP all-reduces the phase. Two gloo ranks on the CPU in float64, each on half
of the batch."""

from __future__ import annotations

import os
import socket
from typing import Any, List, Optional, Tuple

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

GAMMA = 10.0


def discriminator() -> nn.Module:
    """D up to its logit (GAN_stability's D outputs logits; the worker's keeps the logit under its sigmoid)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.LeakyReLU(0.2), nn.Linear(5, 1)).double()


def batch() -> torch.Tensor:
    return torch.randn(8, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def d_loss(D: nn.Module, real_imgs: torch.Tensor, penalty_only: Optional[str]) -> torch.Tensor:
    real = real_imgs.detach().requires_grad_()
    logit_real = D(real)
    pred_real = torch.sigmoid(logit_real)
    grad, = torch.autograd.grad(logit_real.sum(), real, create_graph=True, retain_graph=True)
    r1 = grad.pow(2).reshape(real.size(0), -1).sum(1).mean()
    if penalty_only == "penalty":  # lazy R1's phase, the penalty alone
        return GAMMA / 2 * r1
    if penalty_only == "stylegan2-ada":  # lazy R1's phase as StyleGAN2-ADA writes it (and the worker runs it)
        return (logit_real * 0).mean() + GAMMA / 2 * r1
    return nn.functional.binary_cross_entropy(pred_real, torch.ones_like(pred_real)) + GAMMA / 2 * r1


Grads = List[Optional[List[float]]]  # per parameter, None where it got no gradient


def gradients(D: nn.Module, real_imgs: torch.Tensor, penalty_only: Optional[str]) -> Grads:
    d_loss(D, real_imgs, penalty_only).backward()
    return [None if p.grad is None else p.grad.reshape(-1).tolist() for p in D.parameters()]


def rank_main(rank: int, port: int, penalty_only: Optional[str], find_unused: bool, results: Any) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        D = nn.parallel.DistributedDataParallel(discriminator(), find_unused_parameters=find_unused)
        results.put((rank, gradients(D, batch().chunk(2)[rank], penalty_only)))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def largest_difference(a: Grads, b: Grads) -> float:
    """The largest difference over the parameters both have a gradient for."""
    return max(abs(x - y) for ga, gb in zip(a, b) if ga is not None and gb is not None for x, y in zip(ga, gb))


def on_two_ranks(penalty_only: Optional[str], find_unused: bool) -> List[Tuple[int, Grads]]:
    context = mp.get_context("spawn")
    results = context.Queue()
    port = free_port()
    ranks = [context.Process(target=rank_main, args=(rank, port, penalty_only, find_unused, results)) for rank in range(2)]
    for process in ranks:
        process.start()
    found: List[Tuple[int, Grads]] = sorted(results.get(timeout=120) for _ in ranks)
    for process in ranks:
        process.join(timeout=60)
        assert process.exitcode == 0
    return found


def test_ddp_all_reduces_r1_s_gradient_so_each_rank_gets_world_size_1_s() -> None:
    whole = gradients(discriminator(), batch(), None)
    own_shard = [gradients(discriminator(), shard, None) for shard in batch().chunk(2)]
    for rank, grads in on_two_ranks(None, False):
        assert largest_difference(grads, whole) < 1e-12, rank
        # Not its shard's alone: the all-reduce is what made it whole.
        assert largest_difference(grads, own_shard[rank]) > 1e-3, rank


@pytest.mark.parametrize("find_unused", [False, True], ids=["DDP's default", "find_unused_parameters"])
def test_lazy_r1_s_phase_leaves_the_output_bias_without_a_gradient_which_ddp_must_be_told(find_unused: bool) -> None:
    whole = gradients(discriminator(), batch(), "penalty")
    own_shard = [gradients(discriminator(), shard, "penalty") for shard in batch().chunk(2)]
    assert [grad is None for grad in whole] == [False, False, False, True]
    for rank, grads in on_two_ranks("penalty", find_unused):
        assert [grad is None for grad in grads] == [False, False, False, True], rank
        # Its shard's alone: DDP waits for the bias's gradient (reachable from D's output), which never comes, so the
        # bucket is never all-reduced, with or without find_unused_parameters (the phase's backward does not start
        # at D's output, where DDP looks for unused parameters).
        assert largest_difference(grads, own_shard[rank]) < 1e-12, rank
        assert largest_difference(grads, whole) > 1e-3, rank


def test_stylegan2_ada_s_zero_logit_term_gives_the_bias_a_gradient_and_ddp_all_reduces_the_phase() -> None:
    whole = gradients(discriminator(), batch(), "stylegan2-ada")
    assert all(grad is not None for grad in whole)
    assert whole[-1] == [0.0]  # the output bias's gradient: zero, but there
    own_shard = [gradients(discriminator(), shard, "stylegan2-ada") for shard in batch().chunk(2)]
    for rank, grads in on_two_ranks("stylegan2-ada", False):
        assert largest_difference(grads, whole) < 1e-12, rank
        assert largest_difference(grads, own_shard[rank]) > 1e-3, rank
