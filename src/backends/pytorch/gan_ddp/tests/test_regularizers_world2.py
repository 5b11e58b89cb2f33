"""The scenario's gradient penalty under DDP at world size 2 (issue 23, item 5): the worker's regularizer hooks run in
gan_ddp's ranks (strategies.Gan.regularizer), each rank on its shard of the batch and of WGAN-GP's interpolation
weights. Per strategy: all-reduces per step, counted as test_world2 counts them, and the update against world size 1.

The tiny GAN of test_world2 (G 17 parameters = 68 bytes, D 13 = 52 bytes, one bucket per wrapper), Adam, float64
for the check (with its plain-SGD probe).

- R1: autograd.grad(pred_real.sum(), real, create_graph=True) runs no AccumulateGrad node (its input is the data), so
  it all-reduces nothing; d_loss + gamma / 2 * r1's one backward reaches D's parameters through the double backward
  and through D's forward, and DDP all-reduces the sum once: the counts are the plain step's, and the update is
  world size 1's.
- lazy R1: its phase is a D forward and backward of its own: one more D all-reduce on the steps that run it.
- WGAN-GP: each critic step is a D backward (one D all-reduce); wgan-gp's critic loss also reaches G through
  D(fake_imgs), so G is all-reduced in every critic step for a gradient that is then thrown away (wgan-gp-detached:
  not); G's step reaches D too (one wasted D all-reduce).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from gan_ddp.launcher import LaunchOutcome, launch
from gan_ddp.measure import max_diff, rank_batches, trained
from gan_ddp.strategies import STRATEGIES

from .scenarios import TINY, variant

G_BYTES, D_BYTES = 17 * 4, 13 * 4
N_CRITIC, EVERY = 3, 2
STRATEGIES_RUN = ["g-first", "detach-d-first", "retain-graph", "single-forward", "stylegan3-flat"]


def scenario(kind: str, gamma: float = 10.0) -> dict[str, Any]:
    return variant(TINY, regularizer={"kind": kind, "gamma": gamma, "every": EVERY, "nCritic": N_CRITIC})


_launched: dict[str, LaunchOutcome] = {}


def launched(kind: str) -> LaunchOutcome:
    """One launch per regularizer, shared by its tests. Timed positions 1..4 (one warmup step): lazy R1's phase runs
    at positions 0 (the first step), 2 and 4."""
    if kind not in _launched:
        job = {"scenario": scenario(kind), "strategies": STRATEGIES_RUN, "batchPool": 4, "warmupSteps": 1, "steps": 4,
               "equivalenceSteps": 1, "timeoutS": 60}
        result = launch(job, 2, timeout_s=300, silence_s=120)
        assert result.ok, result.error
        _launched[kind] = result
    return _launched[kind]


def by_network(cell: dict[str, Any], which: str = "steady") -> tuple[int, int]:
    found = cell["timing"][which]["allreduce_by_network"]
    return found.get("G", {"calls": 0})["calls"], found.get("D", {"calls": 0})["calls"]


def verdicts(cell: dict[str, Any]) -> set[tuple[str, str]]:
    eq = cell["equivalence"]
    return {(name, n["verdict"]) for networks in (eq["networks"], eq["sgdProbe"]) for name, n in networks.items()}


# (kind, strategy): (G all-reduces, D all-reduces) per step without lazy R1's phase
HAND_COUNTS = {
    # The plain step's counts: R1's autograd.grad all-reduces nothing, its gradient rides on d_loss's backward.
    ("r1", "g-first"): (1, 2),
    ("r1", "detach-d-first"): (1, 2),
    ("r1-lazy", "g-first"): (1, 2),
    ("r1-lazy", "detach-d-first"): (1, 2),
    # G's step (reaches D: 1 wasted D) and N_CRITIC critic steps, each D 1 and G 1 (thrown away).
    ("wgan-gp", "g-first"): (1 + N_CRITIC, 1 + N_CRITIC),
    ("wgan-gp", "detach-d-first"): (1 + N_CRITIC, 1 + N_CRITIC),
}


@pytest.mark.parametrize("kind,strategy", list(HAND_COUNTS))
def test_counts_per_step_and_world_size_1s_update(kind: str, strategy: str) -> None:
    g, d = HAND_COUNTS[kind, strategy]
    for cell in launched(kind).results()[strategy]:
        assert cell["status"] == "ok", cell.get("error")
        groups = cell["timing"]["steps_by_count"]
        plain = [group for group in groups if not group["lazy_phase"]]
        assert [(x["allreduce_calls"], x["allreduce_bytes"]) for x in plain] == [(g + d, g * G_BYTES + d * D_BYTES)]
        if kind == "r1-lazy":
            # The phase's own backward: one more D all-reduce, on the 2 of 4 timed steps that run it.
            phase = [group for group in groups if group["lazy_phase"]]
            assert [(x["allreduce_calls"], x["allreduce_bytes"], x["steps"]) for x in phase] == [
                (g + d + 1, g * G_BYTES + (d + 1) * D_BYTES, 2)]
            assert by_network(cell, "first_step") == (g, d + 1)  # position 0 runs the phase
        else:
            assert len(groups) == 1 and cell["timing"]["counts_constant"]
            assert by_network(cell) == (g, d)
            # The profiler's dispatched collectives agree with the hook.
            assert cell["timing"]["profiled_collectives"].get("c10d::allreduce_", 0) == g + d
        # The penalty's gradient is all-reduced with the loss's: world size 1's update, with Adam and with SGD.
        assert verdicts(cell) == {("G", "equal"), ("D", "equal")}
        assert cell["equivalence"]["sgdProbe"]["D"]["vsShardOnly"] > 1e-6  # not each rank's own shard's


def test_retain_graph_keeps_gs_shard_only_under_r1() -> None:
    for cell in launched("r1").results()["retain-graph"]:
        assert by_network(cell) == (1, 1)
        assert verdicts(cell) == {("G", "shard-only"), ("D", "equal")}


def test_lazy_r1s_phase_is_the_only_all_reduce_of_single_forward_and_its_d_differs() -> None:
    # single-forward's autograd.grad all-reduces nothing; the phase's backward reaches D's AccumulateGrad: D's update
    # is then neither world size 1's nor its shard's (the main step's gradient local, the phase's averaged).
    for cell in launched("r1-lazy").results()["single-forward"]:
        assert [(x["allreduce_calls"], x["lazy_phase"]) for x in cell["timing"]["steps_by_count"]] == [
            (0, False), (1, True)]
        assert cell["equivalence"]["networks"]["D"]["verdict"] == "differs"
        assert cell["equivalence"]["networks"]["G"]["verdict"] == "shard-only"


def test_stylegan3_flat_all_reduces_lazy_r1s_phase_and_each_critic_step_once() -> None:
    for cell in launched("r1-lazy").results()["stylegan3-flat"]:
        assert sorted((x["allreduce_calls"], x["lazy_phase"]) for x in cell["timing"]["steps_by_count"]) == [
            (2, False), (3, True)]
        assert verdicts(cell) == {("G", "equal"), ("D", "equal")}
    for cell in launched("wgan-gp").results()["stylegan3-flat"]:
        assert cell["timing"]["steady"]["allreduce_sizes"] == [17] + [13] * N_CRITIC
        assert verdicts(cell) == {("G", "equal"), ("D", "equal")}


@pytest.mark.parametrize("strategy", ["retain-graph", "single-forward"])
def test_a_strategy_that_does_not_fit_wgan_gp_is_refused_in_the_workers_words(strategy: str) -> None:
    for cell in launched("wgan-gp").results()[strategy]:
        assert cell["status"] == "refused" and cell["ranks_agree"]
        assert cell["error"]["type"] == "RuntimeError"
        assert cell["error"]["message"] == (
            "regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and G's loss, and "
            f"WGAN-GP takes nCritic ({N_CRITIC}) critic steps per generator step")


@pytest.mark.parametrize("kind", ["r1", "r1-lazy", "wgan-gp"])
def test_the_penalty_reaches_ds_update(kind: str) -> None:
    # What the equality above is worth: at world size 1, D's update with the penalty is not the one without it
    # (plain SGD: the gradient's scale shows). A penalty whose autograd.grad drops create_graph contributes no
    # gradient, and world size 2 would equal world size 1 for nothing.
    def d_after(gamma: float) -> torch.Tensor:
        sgd = variant(scenario(kind, gamma), optimizer={"name": "sgd", "learningRate": 0.5})
        return trained(sgd, STRATEGIES["g-first"], False, 1, 0, 1, 4).parameters["D"]

    assert max_diff(d_after(10.0), d_after(0.0)) > 1e-4


def test_each_rank_interpolates_with_its_shards_weights() -> None:
    wgan = scenario("wgan-gp")
    cpu = torch.device("cpu")
    _, whole = rank_batches(wgan, 1, 0, torch.float64, cpu, 2)
    shards = [rank_batches(wgan, 2, rank, torch.float64, cpu, 2)[1] for rank in range(2)]
    for i, batch in enumerate(whole):
        alpha = getattr(batch, "alpha")
        assert alpha.shape == (8, 1)
        assert torch.equal(torch.cat([getattr(shards[rank][i], "alpha") for rank in range(2)]), alpha)
        assert torch.equal(torch.cat([shards[rank][i][1] for rank in range(2)]), batch[1])
