"""What DDP does with R1's gradient (issue 23's question), measured directly on a bare D, outside gan_ddp's GAN (whose
ranks run the scenario's penalty through the worker's hooks: test_regularizers_world2.py counts and checks them).

R1 as the worker takes it (gan_worker/strategies/regularization.py): D(real.requires_grad_()),
g = autograd.grad(pred.sum(), real, create_graph=True) (its inputs are the data only: no AccumulateGrad node runs,
so no DDP hook fires and nothing is all-reduced), then one backward of d_loss + gamma / 2 * r1. That backward
reaches D's parameters through the recorded backward (the double backward) and through D's forward; both land in
the parameters' AccumulateGrad, whose hooks DDP's reducer listens to: the penalty's gradient is all-reduced with
the loss's, and each rank's D gradient is world size 1's on the whole batch. Lazy R1's phase (the penalty's own
backward) likewise. Two gloo ranks on the CPU in float64, each on half of the batch."""

from __future__ import annotations

import os
import socket
from typing import Any, List, Tuple

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

GAMMA = 10.0


def discriminator() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.LeakyReLU(0.2), nn.Linear(5, 1), nn.Sigmoid()).double()


def batch() -> torch.Tensor:
    return torch.randn(8, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def d_loss(D: nn.Module, real_imgs: torch.Tensor, penalty_only: bool) -> torch.Tensor:
    real = real_imgs.detach().requires_grad_()
    pred_real = D(real)
    grad, = torch.autograd.grad(pred_real.sum(), real, create_graph=True, retain_graph=True)
    r1 = grad.pow(2).reshape(real.size(0), -1).sum(1).mean()
    if penalty_only:  # lazy R1's phase
        return GAMMA / 2 * r1
    return nn.functional.binary_cross_entropy(pred_real, torch.ones_like(pred_real)) + GAMMA / 2 * r1


def gradients(D: nn.Module, real_imgs: torch.Tensor, penalty_only: bool) -> List[List[float]]:
    d_loss(D, real_imgs, penalty_only).backward()
    found = [p.grad for p in D.parameters()]
    assert all(grad is not None for grad in found)
    return [grad.reshape(-1).tolist() for grad in found if grad is not None]


def rank_main(rank: int, port: int, penalty_only: bool, results: Any) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        D = nn.parallel.DistributedDataParallel(discriminator())
        results.put((rank, gradients(D, batch().chunk(2)[rank], penalty_only)))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def largest_difference(a: List[List[float]], b: List[List[float]]) -> float:
    return max(abs(x - y) for ga, gb in zip(a, b) for x, y in zip(ga, gb))


@pytest.mark.parametrize("penalty_only", [False, True], ids=["r1", "r1-lazy phase"])
def test_ddp_all_reduces_the_penalty_s_gradient_so_each_rank_gets_world_size_1_s(penalty_only: bool) -> None:
    whole = gradients(discriminator(), batch(), penalty_only)
    own_shard = [gradients(discriminator(), shard, penalty_only) for shard in batch().chunk(2)]
    context = mp.get_context("spawn")
    results = context.Queue()
    port = free_port()
    ranks = [context.Process(target=rank_main, args=(rank, port, penalty_only, results)) for rank in range(2)]
    for process in ranks:
        process.start()
    found: List[Tuple[int, List[List[float]]]] = sorted(results.get(timeout=120) for _ in ranks)
    for process in ranks:
        process.join(timeout=60)
        assert process.exitcode == 0
    for rank, grads in found:
        assert largest_difference(grads, whole) < 1e-12, rank
        # Not its shard's alone: the all-reduce is what made it whole.
        assert largest_difference(grads, own_shard[rank]) > 1e-3, rank
