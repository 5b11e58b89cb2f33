"""World size 2 on gloo, the real thing: ranks started by torchrun's launcher API (gan_ddp.agent), watched by gan_ddp.launcher.

The hand-countable GAN: G = Linear(2,3) + LeakyReLU + Linear(3,2): 2*3+3 + 3*2+2 = 17 parameters, 68 bytes in
float32; D = Linear(2,3) + LeakyReLU + Linear(3,1) + Sigmoid: 2*3+3 + 3*1+1 = 13 parameters, 52 bytes. Each is
far below DDP's first bucket (dist._DEFAULT_FIRST_BUCKET_BYTES, 1 MiB) and bucket_cap_mb (25): one bucket per
wrapper, so a DDP reduction of G is 1 all-reduce of 68 bytes and one of D is 1 of 52 bytes (what each rank sends
into the all-reduce; the ring's traffic on the wire is the backend's business). A DDP wrapper reduces once per
forward, on the first backward pass after that forward that reaches its parameters' gradients; later backward
passes through the same forward are ignored (nothing all-reduced, no error), and a parameter that gets no
gradient (requires_grad False, or autograd.grad instead of .grad) triggers nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gan_ddp.launcher import LaunchOutcome, launch, port_is_free

from .scenarios import TINY as SCENARIO
G_BYTES, D_BYTES = 17 * 4, 13 * 4

# strategy: (G reductions, D reductions) per step, by hand
HAND_COUNTS = {
    # gen=G(z), D(gen), D(real): one forward each; d_loss.backward reaches D and G: D 1, G 1 (G's is thrown away);
    # g_loss.backward reaches G and D again: both ignored (G's gradient, the one G steps on, stays local).
    "retain-graph": (1, 1),
    # d_loss.backward after D's forwards on gen.detach() and real: D 1; D(gen) again, g_loss.backward reaches D and
    # G: D 1 more (thrown away), G 1.
    "detach-d-first": (1, 2),
    # g_loss.backward through D(G(z)): G 1, D 1 (thrown away); D's fresh forwards, d_loss.backward: D 1.
    "g-first": (1, 2),
    # torch.autograd.grad runs no AccumulateGrad node: no hook fires, nothing all-reduced.
    "single-forward": (0, 0),
    # backward(inputs=D's) then backward(inputs=G's): each reducer once.
    "single-forward-inputs": (1, 1),
    # D trains (D 1), then frozen D: G's backward leaves D's parameters without gradients: G 1.
    "frozen-d": (1, 1),
    # G phase (D frozen, no_sync): G 1; D phase (G frozen): D 1.
    "stylegan2-ada": (1, 1),
}


@pytest.fixture(scope="module")
def outcome() -> LaunchOutcome:
    job = {"scenario": SCENARIO, "batchPool": 4, "warmupSteps": 2, "steps": 2, "equivalenceSteps": 1, "timeoutS": 60}
    result = launch(job, 2, timeout_s=240, silence_s=90)
    assert result.ok, result.error
    return result


def cells(outcome: LaunchOutcome, strategy: str) -> list[dict[str, Any]]:
    return outcome.results()[strategy]


@pytest.mark.parametrize("strategy", list(HAND_COUNTS))
def test_ddp_allreduce_calls_and_bytes_per_step_by_hand(outcome: LaunchOutcome, strategy: str) -> None:
    g, d = HAND_COUNTS[strategy]
    for cell in cells(outcome, strategy):
        assert cell["status"] == "ok"
        steady = cell["timing"]["steady"]
        assert steady["allreduce_calls"] == g + d
        assert steady["allreduce_bytes"] == g * G_BYTES + d * D_BYTES
        by_network = steady["allreduce_by_network"]
        assert by_network.get("G", {"calls": 0})["calls"] == g
        assert by_network.get("D", {"calls": 0})["calls"] == d
        assert cell["timing"]["counts_constant"]
        # The first step (before DDP rebuilds its buckets) counts the same: one bucket per network either way.
        assert cell["timing"]["first_step"]["allreduce_calls"] == g + d
        # The profiler's dispatched collectives agree: nothing all-reduced behind the hook's back.
        assert cell["timing"]["profiled_collectives"].get("c10d::allreduce_", 0) == g + d


def test_flat_form_is_one_all_reduce_per_phase(outcome: LaunchOutcome) -> None:
    # G's 17 gradients in one flat tensor, then D's 13: 2 calls, 68 + 52 bytes.
    for cell in cells(outcome, "stylegan3-flat"):
        steady = cell["timing"]["steady"]
        assert steady["allreduce_calls"] == 2
        assert steady["allreduce_sizes"] == [17, 13]
        assert steady["allreduce_bytes"] == G_BYTES + D_BYTES
        assert cell["timing"]["profiled_collectives"].get("c10d::allreduce_", 0) == 2


@pytest.mark.parametrize("strategy", ["detach-d-first", "g-first", "single-forward-inputs", "frozen-d",
                                      "stylegan2-ada", "stylegan3-flat"])
def test_working_forms_give_world_size_1s_update(outcome: LaunchOutcome, strategy: str) -> None:
    for cell in cells(outcome, strategy):
        eq = cell["equivalence"]
        assert eq["equal"], eq
        assert (eq["optimizer"], eq["loss"]) == ("adam", "non-saturating")  # the scenario's
        for networks in (eq["networks"], eq["sgdProbe"]):
            for n in networks.values():
                assert n["vsWorld1"] <= 1e-9 and n["acrossRanks"] == 0.0
        assert cell["batch_norm"] is None  # no BatchNorm layer


def test_retain_graph_steps_g_on_each_ranks_own_shard(outcome: LaunchOutcome) -> None:
    for cell in cells(outcome, "retain-graph"):
        for networks in (cell["equivalence"]["networks"], cell["equivalence"]["sgdProbe"]):
            assert networks["D"]["verdict"] == "equal"
            assert networks["G"]["verdict"] == "shard-only"
            assert networks["G"]["acrossRanks"] > 0  # the ranks' Gs drift apart, silently


def test_single_forward_all_reduces_nothing_and_every_rank_trains_alone(outcome: LaunchOutcome) -> None:
    for cell in cells(outcome, "single-forward"):
        for networks in (cell["equivalence"]["networks"], cell["equivalence"]["sgdProbe"]):
            assert {n["verdict"] for n in networks.values()} == {"shard-only"}


@pytest.mark.parametrize("strategy,message", [
    ("retain-graph-printed", "one of the variables needed for gradient computation has been modified by an inplace "
                             "operation"),
    ("detach-d-first-printed", "Trying to backward through the graph a second time"),
])
def test_printed_forms_raise_pytorchs_own_error(outcome: LaunchOutcome, strategy: str, message: str) -> None:
    for cell in cells(outcome, strategy):
        assert cell["status"] == "raised"
        assert cell["error"]["type"] == "RuntimeError"
        assert message in cell["error"]["message"]
        assert cell["ranks_agree"]


def test_step_time_is_the_slowest_ranks(outcome: LaunchOutcome) -> None:
    cell0, cell1 = cells(outcome, "g-first")
    # Every rank reports the same MAX-reduced times.
    assert cell0["timing"]["step_ms"] == cell1["timing"]["step_ms"]
    for s in cell0["timing"]["samples"]:
        assert s["step_ms"] >= s["own_ms"] and s["step_ms"] >= s["slowest_rank_own_ms"] > 0
        assert 0 < s["comm_ms"] <= s["comm_ms_max"]


def test_all_ranks_exited_cleanly_and_freed_the_port(outcome: LaunchOutcome) -> None:
    assert outcome.returncodes == [0, 0]
    assert port_is_free(outcome.port) and outcome.master_port is not None and port_is_free(outcome.master_port)
    assert_no_orphans(outcome)


def assert_no_orphans(outcome: LaunchOutcome) -> None:
    """No rank left, and no process left in the agent's session (the agent leads it; torchelastic starts the ranks
    in it)."""
    assert outcome.agent_pid is not None and len(outcome.pids) == outcome.world_size
    for pid in [*outcome.pids, outcome.agent_pid]:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still exists"
    sessions = {outcome.agent_pid}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        assert int(fields[3]) not in sessions, f"process {stat.parent.name} left in a rank's session"


def test_a_rank_killed_mid_run_ends_the_run_with_a_clear_error_and_keeps_what_was_done() -> None:
    job = {"scenario": SCENARIO, "strategies": ["frozen-d", "g-first"], "batchPool": 4, "warmupSteps": 1, "steps": 3,
           "equivalenceSteps": 1, "timeoutS": 60, "fault": {"rank": 1, "strategy": "g-first", "step": 1,
                                                            "kind": "kill"}}
    result = launch(job, 2, timeout_s=120, silence_s=60)
    assert not result.ok and result.failure is not None
    assert result.failure.rank == 1 and result.failure.reason == "exited"
    assert "rank 1 was killed by SIGKILL during strategy 'g-first'" in result.failure.message
    assert result.returncodes[1] == -9 and result.returncodes[0] != 0  # rank 0 was stopped, not left waiting
    assert list(result.results()) == ["frozen-d"]  # the strategy both ranks finished is kept
    assert port_is_free(result.port)
    assert_no_orphans(result)


def test_a_hung_rank_ends_the_run_after_the_silence_limit() -> None:
    job = {"scenario": SCENARIO, "strategies": ["g-first"], "batchPool": 4, "warmupSteps": 1, "steps": 2, "timeoutS": 60,
           "fault": {"rank": 0, "strategy": "g-first", "step": 0, "kind": "hang"}}
    result = launch(job, 2, timeout_s=120, silence_s=10)
    assert not result.ok and result.failure is not None
    assert result.failure.reason == "silence" and "g-first" in result.failure.message
    assert all(code is not None and code != 0 for code in result.returncodes)
    assert port_is_free(result.port)
    assert_no_orphans(result)


def test_a_missing_environment_is_the_ranks_named_error() -> None:
    import subprocess
    import sys

    from gan_ddp.launcher import PACKAGE_PARENT
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "MASTER_PORT")}
    env["PYTHONPATH"] = PACKAGE_PARENT
    done = subprocess.run([sys.executable, "-m", "gan_ddp.rank"], input="{}", capture_output=True, text=True,
                          env=env, cwd=PACKAGE_PARENT, timeout=60)
    assert done.returncode == 1
    assert "not started as torchrun starts a rank" in done.stdout


def test_an_interrupted_launch_stops_every_rank_before_it_propagates() -> None:
    # An exception in the caller (as KeyboardInterrupt would be: both are caught as BaseException) while the ranks
    # run: launch kills them all, waits for them, then lets it through.
    seen: list[dict[str, Any]] = []

    class Interrupted(BaseException):
        pass

    def interrupt(event: dict[str, Any]) -> None:
        seen.append(event)
        if event.get("event") == "progress":
            raise Interrupted()

    job = {"scenario": SCENARIO, "strategies": ["g-first"], "batchPool": 4, "warmupSteps": 1, "steps": 50, "timeoutS": 60}
    pids_before = {int(p.name) for p in Path("/proc").glob("[0-9]*")}
    with pytest.raises(Interrupted):
        launch(job, 2, timeout_s=120, silence_s=60, on_event=interrupt)
    assert any(e.get("event") == "ready" for e in seen)
    # The ranks were this test's only new `python -m gan_ddp.rank` processes: none is left.
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) in pids_before:
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        assert b"gan_ddp.rank" not in cmdline, f"rank process {proc.name} left running"


def test_a_rank_the_agent_stopped_with_sigterm_is_not_blamed_for_the_rank_that_was_killed() -> None:
    """On a busy machine torchelastic's agent can stop rank 0 before it has seen rank 1's exit: both come back killed,
    rank 0 by the agent's SIGTERM. The killed rank is the cause, as is a rank that raised over one the agent stopped."""
    from gan_ddp.launcher import _failure_of

    def blamed(failures: list[tuple[int, int]], errors: dict[int, str]) -> Any:
        verdict = {"ok": False, "stage": "ranks", "failures": [{"rank": r, "exitcode": c} for r, c in failures]}
        failure = _failure_of(verdict, 1, [], errors, {0: "g-first", 1: "g-first"}, [None, None], [0, 1], "127.0.0.1:1")
        assert failure is not None
        return failure.rank, failure.reason

    assert blamed([(0, -15), (1, -9)], {}) == (1, "exited")
    assert blamed([(0, -15), (1, 1)], {1: "RuntimeError: boom"}) == (1, "error")
    assert blamed([(0, 1), (1, -9)], {0: "RuntimeError: peer closed"}) == (1, "exited")
