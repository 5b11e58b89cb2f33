"""DDP's wrapping and options, world size 2 on gloo, the tiny GAN of test_world2 (G 17 parameters = 68 bytes, D 13
= 52 bytes; the whole GAN 30 = 120 bytes, one bucket). What PyTorch 1.13 does, as measured; the README's table; and
where PyTorch 2.13 differs."""

from __future__ import annotations

from typing import Any

from gan_ddp.launcher import launch
from gan_worker.runtime import torch_version

from .scenarios import TINY as SCENARIO


def run(ddp: dict[str, Any], strategies: list[str]) -> dict[str, list[dict[str, Any]]]:
    job = {"scenario": SCENARIO, "strategies": strategies, "batchPool": 4, "warmupSteps": 2, "steps": 1, "equivalenceSteps": 1,
           "timeoutS": 60, "ddp": ddp}
    outcome = launch(job, 2, timeout_s=180, silence_s=90)
    assert outcome.ok, outcome.error
    return outcome.results()


def test_one_ddp_around_the_whole_gan() -> None:
    results = run({"wrap": "whole"}, ["g-first", "retain-graph", "single-forward-inputs"])
    # Default options: a second forward before the first forward's parameters all got gradients raises.
    g_first = results["g-first"][0]
    assert g_first["status"] == "raised"
    assert "Expected to have finished reduction in the prior iteration" in g_first["error"]["message"]
    # retain-graph runs and G trains on each rank's shard, as with separate wrappers: 1 reduction of 120 bytes.
    retain = results["retain-graph"][0]
    assert retain["status"] == "ok" and retain["timing"]["steady"]["allreduce_bytes"] == 120
    assert retain["equivalence"]["networks"]["G"]["verdict"] == "shard-only"
    # backward(inputs=...) twice fills the one bucket once: 1 all-reduce of 120 bytes, the right update.
    inputs = results["single-forward-inputs"][0]
    assert inputs["timing"]["steady"]["allreduce_calls"] == 1 and inputs["equivalence"]["equal"]


def test_one_ddp_around_the_whole_gan_with_find_unused_parameters() -> None:
    results = run({"wrap": "whole", "findUnusedParameters": True}, ["g-first", "retain-graph"])
    retain = results["retain-graph"][0]
    assert retain["status"] == "raised"
    assert "Expected to mark a variable ready only once" in retain["error"]["message"]
    # g-first works: each of its 2 reductions is the whole GAN's bucket (unused parameters' zeros included).
    g_first = results["g-first"][0]
    assert g_first["equivalence"]["equal"]
    assert g_first["timing"]["steady"]["allreduce_calls"] == 2
    assert g_first["timing"]["steady"]["allreduce_bytes"] == 2 * 120


def test_static_graph_refuses_a_graph_that_changes_within_a_step_on_pytorch_1_13_and_not_on_2() -> None:
    results = run({"staticGraph": True}, ["retain-graph", "frozen-d", "g-first"])
    if torch_version() < (2, 0):
        for strategy in ("retain-graph", "frozen-d"):
            cell = results[strategy][0]
            assert cell["status"] == "raised"
            assert "Your training graph has changed in this iteration" in cell["error"]["message"]
    else:
        # PyTorch 2 runs them: retain-graph's G drifts silently onto its shard, as without static_graph.
        retain = results["retain-graph"][0]
        assert retain["status"] == "ok" and retain["equivalence"]["sgdProbe"]["G"]["verdict"] == "shard-only"
        assert results["frozen-d"][0]["equivalence"]["equal"]
    assert results["g-first"][0]["equivalence"]["equal"]
