"""Two nodes on one machine (each its own torchrun agent, joined at one c10d rendezvous on loopback): the job the
results node sends, a node with another job refused naming both, every rank's cells gathered on node 0 through
torch.distributed, and a rendezvous that never completes ended at its limit naming its endpoint."""

from __future__ import annotations

import threading
from typing import Any

from gan_ddp.launcher import LaunchOutcome, free_port, launch, port_is_free

from .scenarios import TINY as SCENARIO

JOB: dict[str, Any] = {"scenario": SCENARIO, "strategies": ["frozen-d"], "batchPool": 4, "warmupSteps": 1, "steps": 2,
                       "equivalenceSteps": 1, "timeoutS": 60}


def two_nodes(job0: dict[str, Any], job1: dict[str, Any], world_size: int = 2) -> tuple[LaunchOutcome, LaunchOutcome]:
    endpoint = f"127.0.0.1:{free_port()}"
    outcomes: dict[int, LaunchOutcome] = {}

    def node(rank: int, job: dict[str, Any]) -> None:
        outcomes[rank] = launch(job, world_size, timeout_s=120, silence_s=60, nnodes=2, node_rank=rank,
                                rdzv_endpoint=endpoint, rdzv_timeout_s=60)

    threads = [threading.Thread(target=node, args=(r, j)) for r, j in ((0, job0), (1, job1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return outcomes[0], outcomes[1]


def test_two_nodes_run_node_0s_job_and_its_first_rank_gathers_every_ranks_cells() -> None:
    node0, node1 = two_nodes(JOB, JOB)
    assert node0.ok and node1.ok, (node0.error, node1.error)
    cells = node0.results()["frozen-d"]
    assert [c["rank"] for c in cells] == [0, 1]
    assert all(c["timing"]["steady"]["allreduce_calls"] == 2 and c["timing"]["steady"]["allreduce_bytes"] == 120
               for c in cells)
    # Each node ran one rank of its own.
    assert len(node0.pids) == 1 and len(node1.pids) == 1
    assert port_is_free(node0.port)


def test_a_node_with_another_strategy_list_is_refused_naming_both() -> None:
    other = {**JOB, "strategies": ["g-first"]}
    node0, node1 = two_nodes(JOB, other)
    for outcome in (node0, node1):
        assert not outcome.ok and outcome.failure is not None
        assert "strategies g-first" in outcome.failure.message and "strategies frozen-d" in outcome.failure.message
        assert "JobMismatch" in outcome.failure.message
    assert port_is_free(node0.port)


def test_a_node_with_another_scenario_is_refused_naming_both() -> None:
    other = {**JOB, "scenario": {**SCENARIO, "name": "tiny-other", "seed": 8}}
    node0, _ = two_nodes(JOB, other)
    assert not node0.ok and node0.failure is not None
    assert "scenario 'tiny-other'" in node0.failure.message and "scenario 'tiny'" in node0.failure.message


def test_a_rendezvous_that_never_completes_ends_at_its_limit_naming_the_endpoint() -> None:
    endpoint = f"127.0.0.1:{free_port()}"
    outcome = launch(JOB, 2, timeout_s=60, silence_s=60, nnodes=2, node_rank=0, rdzv_endpoint=endpoint,
                     rdzv_timeout_s=3)
    assert not outcome.ok and outcome.failure is not None
    assert outcome.failure.reason == "rendezvous"
    assert f"the rendezvous at {endpoint} did not complete" in outcome.failure.message
    assert port_is_free(outcome.port)
