"""One node's part of a run: its ranks started by PyTorch's elastic launcher (torchrun's API, in `gan_ddp.agent`),
watched, and all stopped when one fails.

`launch` starts `python -m gan_ddp.agent` in its own session (its ranks are its children, in that session), reads
the JSON lines each local rank writes to its own file (GAN_DDP_EVENTS), and ends:
- when the agent has exited: ok, or naming the rank that failed (a rank killed by a signal is blamed before a peer
  that then failed in its next collective), or the rendezvous that did not complete (naming its endpoint);
- when `timeout_s` passes in all, or `silence_s` without a line from any local rank (a hang);
- on KeyboardInterrupt or any exception in the caller: the agent and every rank are stopped, then it propagates.
Stopping: SIGTERM to the agent's session (torchelastic's agent stops its ranks on it), SIGKILL after `grace_s`; the
agent is waited for, so no rank is left and the ports (the rendezvous store's, MASTER_PORT) are free when `launch`
returns. Whatever the ranks wrote before a failure is kept (`events`, `results`).

One machine: `nnodes` 1, the rendezvous on 127.0.0.1 at a free port. Several: every node calls `launch` with the
same `nnodes` and `rdzv_endpoint` (HOST:PORT of the results node, which hosts the store) and its own `node_rank`;
`world_size` is every node's ranks together, `world_size / nnodes` on each.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Optional

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # src/backends/pytorch: `gan_ddp` importable from it
# Every node of a run joins the rendezvous under this id (torchrun's --rdzv-id).
RUN_ID = "gan-update-bench"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a new rendezvous could listen on `port`: no process holds it. With SO_REUSEADDR, as torch's TCPStore
    binds it, so that the TIME_WAIT entries of the killed ranks' closed connections do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """HOST:PORT (torchrun's --rdzv-endpoint, a port required); a ValueError naming it otherwise."""
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"the rendezvous endpoint must be HOST:PORT, not '{endpoint}'")
    return host, int(port)


@dataclass
class RankFailure:
    rank: Optional[int]  # None: no one rank to blame (the whole run timed out, the rendezvous did not complete)
    reason: str  # "exited", "error", "timeout", "silence", "rendezvous", "agent"
    message: str


@dataclass
class LaunchOutcome:
    world_size: int
    port: int  # the rendezvous endpoint's
    ok: bool
    failure: Optional[RankFailure]
    events: list[list[dict[str, Any]]]  # per local rank, every JSON line it wrote, in order
    returncodes: list[Optional[int]]  # per local rank: 0, the exit code, or minus the signal (torchelastic's)
    stderr_tails: list[list[str]]
    pids: list[int] = field(default_factory=list)  # the local ranks' (from their `ready` lines)
    agent_pid: Optional[int] = None  # the agent's: its session holds every local rank
    nnodes: int = 1
    node_rank: int = 0
    endpoint: str = ""
    master_port: Optional[int] = None

    def results(self) -> dict[str, list[dict[str, Any]]]:
        """Per strategy, each rank's cell (in global rank order), for the strategies every rank finished: as the
        gathering rank received them through torch.distributed, else (a node without it) its own ranks' cells."""
        gathered: dict[str, list[dict[str, Any]]] = {}
        for events in self.events:
            for e in events:
                if e.get("event") == "result" and isinstance(e.get("ranks"), list):
                    gathered[e["strategy"]] = e["ranks"]
        if gathered:
            return gathered
        per_rank = [{e["strategy"]: e["result"] for e in events if e.get("event") == "result"} for events in self.events]
        common = [s for s in (per_rank[0] if per_rank else {}) if all(s in r for r in per_rank)]
        return {s: [r[s] for r in per_rank] for s in common}

    @property
    def error(self) -> Optional[str]:
        return None if self.failure is None else self.failure.message


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _exit_description(rank: int, code: int, strategy: Optional[str]) -> str:
    how = f"was killed by {_signal_name(code)}" if code < 0 else f"exited with code {code}"
    where = f" during strategy '{strategy}'" if strategy else ""
    return f"rank {rank} {how}{where}"


def _stop_session(agent: subprocess.Popen[str], grace_s: float) -> None:
    """SIGTERM to the agent's session (the agent and its ranks), SIGKILL after `grace_s`; waits for the agent."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(agent.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if agent.poll() is not None and not _session_alive(agent.pid):
                return
            time.sleep(0.02)


def _session_alive(session: int) -> bool:
    try:
        os.killpg(session, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class _EventFiles:
    """Tails the JSON-lines files the local ranks write (one per rank, named by its global RANK)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.offsets: dict[Path, int] = {}
        self.partial: dict[Path, str] = {}

    def read(self) -> list[tuple[int, str]]:
        lines: list[tuple[int, str]] = []
        for path in sorted(self.folder.glob("rank-*.jsonl")):
            try:
                rank = int(path.stem.split("-", 1)[1])
            except ValueError:
                rank = -1
            with open(path) as f:
                f.seek(self.offsets.get(path, 0))
                text = self.partial.get(path, "") + f.read()
                self.offsets[path] = f.tell()
            *complete, rest = text.split("\n")
            self.partial[path] = rest
            lines.extend((rank, line) for line in complete if line.strip())
        return lines


def _stderr_tail(log_dir: Path, local_rank: int) -> list[str]:
    """The last lines of a local rank's stderr (torchelastic's LOG_DIR/<run>/attempt_<n>/<local rank>/stderr.log)."""
    found = sorted(log_dir.glob(f"*/attempt_*/{local_rank}/stderr.log"))
    if not found:
        return []
    try:
        return found[-1].read_text(errors="replace").splitlines()[-40:]
    except OSError:
        return []


def launch(job: dict[str, Any], world_size: int, *, timeout_s: float = 600.0, silence_s: float = 120.0,
           grace_s: float = 2.0, python: str = sys.executable, env: Optional[dict[str, str]] = None,
           on_event: Callable[[dict[str, Any]], None] = lambda _: None, nnodes: int = 1, node_rank: int = 0,
           rdzv_endpoint: Optional[str] = None, rdzv_timeout_s: float = 60.0) -> LaunchOutcome:
    """Runs `job` on this node's share of `world_size` ranks (all of them where `nnodes` is 1) and returns what they
    wrote, and how the run ended."""
    if world_size < 1 or nnodes < 1:
        raise ValueError(f"world size {world_size} or nodes {nnodes} < 1")
    if world_size % nnodes != 0:
        raise ValueError(f"world size {world_size} is every node's ranks together: {nnodes} nodes cannot share it")
    if not 0 <= node_rank < nnodes:
        raise ValueError(f"node rank {node_rank} is not in [0, {nnodes})")
    nproc = world_size // nnodes
    endpoint = rdzv_endpoint or f"127.0.0.1:{free_port()}"
    _, port = parse_endpoint(endpoint)
    work = Path(tempfile.mkdtemp(prefix="gan-ddp-"))
    (work / "events").mkdir()
    (work / "job.json").write_text(json.dumps({**job, "worldSize": world_size}))
    spec = {"nprocPerNode": nproc, "nnodes": nnodes, "nodeRank": node_rank, "rdzvEndpoint": endpoint,
            "rdzvTimeoutS": max(1, int(rdzv_timeout_s)), "runId": RUN_ID, "logDir": str(work / "logs"),
            "job": str(work / "job.json")}
    (work / "spec.json").write_text(json.dumps(spec))
    base = dict(os.environ if env is None else env)
    base["PYTHONPATH"] = os.pathsep.join([PACKAGE_PARENT, *filter(None, [base.get("PYTHONPATH")])])
    base.setdefault("OMP_NUM_THREADS", str(job.get("threads", 1)))
    base["GAN_DDP_EVENTS"] = str(work / "events")
    base["GAN_DDP_NODE_RANK"] = str(node_rank)
    files = _EventFiles(work / "events")
    local: dict[int, int] = {}  # global rank -> index in `events` (local ranks in the order they first wrote)
    events: list[list[dict[str, Any]]] = []
    current: dict[int, Optional[str]] = {}  # the strategy each rank is on
    errors: dict[int, str] = {}  # the first error each rank reported
    agent_lines: list[str] = []
    agent_err: deque[str] = deque(maxlen=60)
    failure: Optional[RankFailure] = None
    agent: Optional[subprocess.Popen[str]] = None
    readers: list[threading.Thread] = []

    def take(rank: int, line: str) -> None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            return
        if rank not in local:
            local[rank] = len(events)
            events.append([])
        events[local[rank]].append(event)
        on_event(event)
        if event.get("event") == "progress":
            current[rank] = event.get("strategy")
        if event.get("event") == "error" and rank not in errors:
            error = event.get("error", {})
            errors[rank] = f"rank {rank} failed: {error.get('type')}: {error.get('message')}"

    def collect(stream: IO[str], sink: Any) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))

    try:
        agent = subprocess.Popen([python, "-m", "gan_ddp.agent", str(work / "spec.json")], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base,
                                 cwd=PACKAGE_PARENT, start_new_session=True)
        assert agent.stdout is not None and agent.stderr is not None
        for stream, sink in ((agent.stdout, agent_lines), (agent.stderr, agent_err)):
            t = threading.Thread(target=collect, args=(stream, sink), daemon=True)
            t.start()
            readers.append(t)
        started = time.monotonic()
        # Until a rank's first line, the rendezvous (waiting for other nodes) has its own limit, in the agent; the
        # silence limit counts from then, past the rendezvous's limit and a margin for starting the ranks.
        last_line = started + max(0.0, rdzv_timeout_s + 60 - silence_s)
        while agent.poll() is None:
            time.sleep(0.05)
            now = time.monotonic()
            for rank, line in files.read():
                last_line = now
                take(rank, line)
            if now - started > timeout_s:
                failure = RankFailure(None, "timeout", f"the run passed its timeout of {timeout_s:g} s "
                                                       f"(ranks on {_on(current)}); every rank was stopped")
            elif now - last_line > silence_s:
                failure = RankFailure(None, "silence", f"no rank wrote a line for {silence_s:g} s (a hang; ranks on "
                                                       f"{_on(current)}); every rank was stopped")
            if failure is not None:
                break
    except BaseException:
        if agent is not None:
            _stop_session(agent, grace_s)
        raise
    finally:
        if agent is not None:
            if agent.poll() is None or _session_alive(agent.pid):
                _stop_session(agent, grace_s)
            agent.wait()
        for t in readers:
            t.join(timeout=2.0)
        for rank, line in files.read():  # lines written before the end
            take(rank, line)
        tails = {rank: _stderr_tail(work / "logs", i) for rank, i in local.items()}
        shutil.rmtree(work, ignore_errors=True)
    assert agent is not None
    verdict = _agent_verdict(agent_lines)
    ranks_in_order = sorted(local)
    returncodes: list[Optional[int]] = [0 if verdict.get("ok") else None for _ in ranks_in_order]
    if failure is None:
        failure = _failure_of(verdict, agent.returncode, list(agent_err), errors, current, returncodes,
                              ranks_in_order, endpoint)
    else:
        returncodes = [-signal.SIGTERM for _ in ranks_in_order]
    if failure is not None and failure.rank is not None and tails.get(failure.rank):
        failure.message += "\n  rank {} stderr (last lines):\n    {}".format(
            failure.rank, "\n    ".join(tails[failure.rank][-8:]))
    ordered = [events[local[r]] for r in ranks_in_order]
    pids = [int(e["pid"]) for evs in ordered for e in evs if e.get("event") == "ready" and "pid" in e]
    master = next((int(e["master_port"]) for evs in ordered for e in evs if e.get("event") == "ready"
                   and e.get("master_port") is not None), None)
    return LaunchOutcome(world_size, port, failure is None, failure, ordered, returncodes,
                         [tails.get(r, []) for r in ranks_in_order], pids, agent.pid, nnodes, node_rank, endpoint,
                         master)


def _on(current: dict[int, Optional[str]]) -> str:
    return ", ".join(f"rank {r}: {s}" for r, s in sorted(current.items())) or "none started"


def _agent_verdict(lines: list[str]) -> dict[str, Any]:
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                verdict = json.loads(line)
                if isinstance(verdict, dict) and "ok" in verdict:
                    return verdict
            except json.JSONDecodeError:
                continue
    return {}


def _failure_of(verdict: dict[str, Any], agent_code: Optional[int], agent_err: list[str], errors: dict[int, str],
                current: dict[int, Optional[str]], returncodes: list[Optional[int]], ranks: list[int],
                endpoint: str) -> Optional[RankFailure]:
    """How the agent's run ended, as the failure to report (None: every rank finished)."""
    if verdict.get("ok"):
        return None
    if verdict.get("stage") == "rendezvous":
        return RankFailure(None, "rendezvous", str(verdict.get("message")))
    failures = verdict.get("failures") if verdict.get("stage") == "ranks" else None
    if not failures:
        tail = "\n    ".join(agent_err[-8:])
        how = f"exited with code {agent_code}" if agent_code is None or agent_code >= 0 else f"was killed by {_signal_name(agent_code)}"
        return RankFailure(None, "agent", f"torchrun's agent (rendezvous {endpoint}) {how} without an outcome"
                                          + (f":\n    {tail}" if tail else ""))
    for f in failures:
        if f["rank"] in ranks:
            returncodes[ranks.index(f["rank"])] = int(f["exitcode"])
    for i, rank in enumerate(ranks):
        if returncodes[i] is None:
            returncodes[i] = -signal.SIGTERM  # stopped by the agent after another rank failed
    # A rank killed by a signal is the cause rather than one that then failed in its next collective; a rank killed
    # by SIGTERM is the agent stopping it after another failed (on a busy machine the agent can stop rank 0 before
    # it has seen the killed rank 1's exit, and then reports both as killed).
    def blame(f: dict[str, Any]) -> tuple[int, int, int]:
        code = int(f["exitcode"])
        how = 2 if code == -signal.SIGTERM else 0 if code < 0 else 1
        return how, 0 if f["rank"] not in errors else 1, int(f["rank"])
    failures = sorted(failures, key=blame)
    first = failures[0]
    rank, code = int(first["rank"]), int(first["exitcode"])
    message = errors[rank] if rank in errors and code > 0 else _exit_description(rank, code, current.get(rank))
    others = [errors[r] for r in sorted(errors) if r != rank]
    if code < 0 and others:
        message += f"; then {others[0]}"
    return RankFailure(rank, "error" if rank in errors and code > 0 else "exited",
                       message + "; the other ranks were stopped")


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _echo(event: dict[str, Any]) -> None:
    """A rank's line to stderr, for the harness's progress; a result without its cells (they come in the outcome)."""
    if event.get("event") == "result":
        event = {k: event[k] for k in ("rank", "event", "strategy") if k in event}
    print(json.dumps(event), file=sys.stderr, flush=True)


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m gan_ddp.launcher [--nnodes K --node-rank I --rdzv-endpoint HOST:PORT] WORLD_SIZE JOB.json`: this
    node's share of WORLD_SIZE ranks (every node's together), the outcome as one JSON object on stdout. The job's
    `launchTimeoutS`, `silenceS` and `rendezvousTimeoutS` (600, 120, 60 by default) are launch()'s limits;
    SIGTERM stops every rank."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gan_ddp.launcher")
    parser.add_argument("world_size", type=int, help="ranks on every node together")
    parser.add_argument("job", help="the job, a JSON file")
    parser.add_argument("--nnodes", type=int, default=1)
    parser.add_argument("--node-rank", type=int, default=0)
    parser.add_argument("--rdzv-endpoint", default=None, help="HOST:PORT of node 0 (default: 127.0.0.1, a free port)")
    args = parser.parse_args(argv)
    # SIGTERM (the TS harness's way to stop a run) takes KeyboardInterrupt's path: launch() stops every rank first.
    signal.signal(signal.SIGTERM, _interrupt)
    job = json.loads(Path(args.job).read_text())
    try:
        outcome = launch(job, args.world_size, timeout_s=float(job.get("launchTimeoutS", 600)),
                         silence_s=float(job.get("silenceS", 120)), on_event=_echo, nnodes=args.nnodes,
                         node_rank=args.node_rank, rdzv_endpoint=args.rdzv_endpoint,
                         rdzv_timeout_s=float(job.get("rendezvousTimeoutS", 60)))
    except ValueError as error:
        print(json.dumps({"ok": False, "error": str(error), "results": {}, "returncodes": []}))
        return 2
    hosts = [e.get("host") for events in outcome.events for e in events if e.get("event") == "ready"]
    print(json.dumps({"ok": outcome.ok, "error": outcome.error, "results": outcome.results(),
                      "returncodes": outcome.returncodes, "hosts": hosts}))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
