"""gan_ddp measures the scenario's own GAN (the worker's builder, gan_worker.gan): its networks (convolutions,
BatchNorm, no biases, initial values), its G loss and its optimizer with D's own rate, at world size 1 and N."""

from __future__ import annotations

from typing import Any, Optional

import pytest
import torch

from gan_ddp.launcher import launch
from gan_ddp.measure import trained
from gan_ddp.strategies import STRATEGIES
from gan_worker.runtime import torch_version
from gan_worker.gan import make_batches, make_labels

from .scenarios import DCGAN_MNIST, DIRAC_PAPER, variant

INPLACE = "one of the variables needed for gradient computation has been modified by an inplace operation"


def dirac_g_first_by_hand(z: torch.Tensor, real: torch.Tensor) -> tuple[float, float]:
    """One g-first step of the Dirac-GAN from theta = psi = 1 (G(z) = theta z, D(x) = sigmoid(psi x)), on rows z,
    real. G's minimax loss mean(log(1 - sigmoid(psi theta z))) has d/dtheta = mean(-sigmoid(psi theta z) psi z);
    theta -= 0.2 * that. D's loss (BCE(D(real), 1) + BCE(D(theta z), 0)) / 2, on G's samples from before G's step,
    has d/dpsi = (mean(-(1 - sigmoid(psi real)) real) + mean(sigmoid(psi theta z) theta z)) / 2; psi -= 0.4 * that."""
    theta = psi = 1.0
    fake = theta * z
    grad_theta = float((-torch.sigmoid(psi * fake) * psi * z).mean())
    grad_psi = float(((-(1 - torch.sigmoid(psi * real)) * real).mean() + (torch.sigmoid(psi * fake) * fake).mean()) / 2)
    return theta - 0.2 * grad_theta, psi - 0.4 * grad_psi


@pytest.mark.parametrize("world_size,rank", [(1, 0), (2, 0), (2, 1)])
def test_the_reference_update_is_the_scenarios_minimax_and_sgd_at_ds_own_rate(world_size: int, rank: int) -> None:
    # The world size 1 reference (whole batch), and one rank's shard alone: what the equivalence check compares with.
    z, real, _, _ = make_batches(DIRAC_PAPER, 1, make_labels(2, torch.device("cpu"), torch.float64))[0]
    rows = slice(rank, rank + 1) if world_size == 2 else slice(0, 2)
    theta, psi = dirac_g_first_by_hand(z[rows], real[rows])
    got = trained(DIRAC_PAPER, STRATEGIES["g-first"], False, world_size, rank, 1, batch_pool=4)
    assert got.parameters["G"].tolist() == pytest.approx([theta], abs=1e-15)
    assert got.parameters["D"].tolist() == pytest.approx([psi], abs=1e-15)
    # The same scenario with the non-saturating loss, or with Adam, moves G elsewhere: the check would see it.
    saturating = trained(variant(DIRAC_PAPER, loss={"generator": "non-saturating"}), STRATEGIES["g-first"], False,
                         world_size, rank, 1, batch_pool=4)
    assert abs(float(saturating.parameters["G"][0]) - theta) > 1e-3
    adam = trained(variant(DIRAC_PAPER, optimizer={"name": "adam", "learningRate": 0.2, "beta1": 0.5, "beta2": 0.999,
                                                   "epsilon": 1e-8}), STRATEGIES["g-first"], False, world_size, rank, 1,
                   batch_pool=4)
    assert abs(float(adam.parameters["D"][0]) - psi) > 1e-3


def run(scenario: dict[str, Any], strategies: list[str], ddp: Optional[dict[str, Any]] = None) -> dict[str, list[dict[str, Any]]]:
    job = {"scenario": scenario, "strategies": strategies, "batchPool": 4, "warmupSteps": 1, "steps": 1,
           "equivalenceSteps": 1, "timeoutS": 60, "ddp": ddp or {}}
    outcome = launch(job, 2, timeout_s=240, silence_s=120)
    assert outcome.ok, outcome.error
    return outcome.results()


def test_the_dirac_gan_at_world_size_2_is_checked_with_its_minimax_loss_and_sgd() -> None:
    results = run(DIRAC_PAPER, ["g-first", "detach-d-first", "retain-graph"])
    for strategy in ("g-first", "detach-d-first"):
        for cell in results[strategy]:
            assert cell["status"] == "ok" and cell["parameters"] == {"G": 1, "D": 1}
            eq = cell["equivalence"]
            assert (eq["optimizer"], eq["loss"], eq["sgdProbe"]) == ("sgd", "minimax", None)
            assert eq["equal"], eq
    # retain-graph's G steps on its rank's one row: SGD sees it.
    for cell in results["retain-graph"]:
        networks = cell["equivalence"]["networks"]
        assert networks["G"]["verdict"] == "shard-only" and networks["D"]["verdict"] == "equal"


def test_dcgan_mnist_at_world_size_2_raises_pytorchs_error_on_1_13_where_ddp_broadcasts_batchnorm_buffers_and_runs_on_2() -> None:
    results = run(DCGAN_MNIST, ["g-first", "detach-d-first", "frozen-d", "stylegan3-flat"])
    for strategy in ("g-first", "detach-d-first", "frozen-d"):
        for cell in results[strategy]:
            if torch_version() < (2, 0):
                # D runs twice (real, then generated) before one backward; 1.13's DDP broadcast of rank 0's buffers at
                # the second forward writes into the running statistics the first forward's BatchNorm saved.
                assert cell["status"] == "raised" and cell["ranks_agree"]
                assert cell["error"]["type"] == "RuntimeError" and INPLACE in cell["error"]["message"]
                assert cell["batch_norm"] == {"layers": {"G": 2, "D": 1}, "broadcastBuffers": True, "runningStats": None}
            else:
                # PyTorch 2 runs the same step: the buffers are broadcast, each rank normalises by its shard.
                assert cell["status"] == "ok", cell.get("error")
                assert cell["batch_norm"]["broadcastBuffers"] is True
    for cell in results["stylegan3-flat"]:
        # By hand: G 100*256*7*7 + 256*128*4*4 + 128*1*4*4 convolution weights and 2 * (256 + 128) BatchNorm
        # affine; D 1*64*4*4 + 64*128*4*4 + 128*1*7*7 and 2 * 128.
        assert cell["parameters"] == {"G": 1_781_504, "D": 138_624}
        assert cell["status"] == "ok"
        assert "c10d::broadcast_" not in cell["timing"]["profiled_collectives"]  # no DDP: no buffer broadcast
        assert_shard_statistics(cell, broadcast=False)


def test_dcgan_mnist_without_broadcast_buffers_runs_on_each_ranks_own_statistics() -> None:
    results = run(DCGAN_MNIST, ["g-first", "retain-graph-printed"], ddp={"broadcastBuffers": False})
    for cell in results["g-first"]:
        assert cell["status"] == "ok", cell.get("error")
        assert cell["ddp_options"]["broadcastBuffers"] is False
        assert "c10d::broadcast_" not in cell["timing"]["profiled_collectives"]
        assert_shard_statistics(cell, broadcast=False)
    for cell in results["retain-graph-printed"]:
        assert cell["status"] == "raised" and INPLACE in cell["error"]["message"]  # as in one process


def assert_shard_statistics(cell: dict[str, Any], broadcast: bool) -> None:
    """Each rank normalises by its shard's batch statistics (BatchNorm2d, not SyncBatchNorm): neither the whole
    batch's update nor the shard's alone, the ranks' running statistics apart and apart from world size 1's."""
    eq = cell["equivalence"]
    assert (eq["optimizer"], eq["loss"]) == ("adam", "non-saturating")
    assert {n["verdict"] for n in eq["networks"].values()} == {"differs"}
    assert {n["verdict"] for n in eq["sgdProbe"].values()} == {"differs"}
    batch_norm = cell["batch_norm"]
    assert batch_norm["layers"] == {"G": 2, "D": 1} and batch_norm["broadcastBuffers"] is broadcast
    for network in ("G", "D"):
        stats = batch_norm["runningStats"][network]
        assert stats["vsWorld1"] > 1e-6 and stats["acrossRanks"] > 1e-6
