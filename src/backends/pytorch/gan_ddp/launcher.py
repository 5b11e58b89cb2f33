"""Start N ranks as torchrun does, collect their JSON lines, and tear them all down when one fails.

Each rank is `python -m gan_ddp.rank` in its own session (process group), with RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT (bound to port 0 and released, as torchrun picks
one), the job on its stdin. The run ends:
- when every rank has exited 0 (ok);
- when a rank exits non-zero or by a signal, or writes an `error` event: that rank is named, every other rank is
  killed (gloo's peers would otherwise wait in their next collective until its timeout);
- when `timeout_s` passes in all, or `silence_s` without a line from any rank (a hang): every rank is killed;
- on KeyboardInterrupt or any exception in the caller: every rank is killed, then it propagates.
Killing: SIGTERM to each rank's process group, SIGKILL after `grace_s`; each is waited for (no orphan, no zombie)
and its pipes closed, so that the port is free when `launch` returns. Whatever the ranks wrote before a failure is
kept in the outcome (`events`, `results`).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Optional

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # src/backends/pytorch: `gan_ddp` importable from it


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


@dataclass
class RankFailure:
    rank: Optional[int]  # None: no one rank to blame (the whole run timed out)
    reason: str  # "exited", "error", "timeout", "silence", "interrupted"
    message: str


@dataclass
class LaunchOutcome:
    world_size: int
    port: int
    ok: bool
    failure: Optional[RankFailure]
    events: list[list[dict[str, Any]]]  # per rank, every JSON line it wrote, in order
    returncodes: list[Optional[int]]
    stderr_tails: list[list[str]]
    pids: list[int] = field(default_factory=list)

    def results(self) -> dict[str, list[dict[str, Any]]]:
        """Per strategy, each rank's result (in rank order), for the strategies every rank finished."""
        per_rank = [{e["strategy"]: e["result"] for e in events if e.get("event") == "result"} for events in self.events]
        common = [s for s in (per_rank[0] if per_rank else {}) if all(s in r for r in per_rank)]
        return {s: [r[s] for r in per_rank] for s in common}

    @property
    def error(self) -> Optional[str]:
        return None if self.failure is None else self.failure.message


def _reader(rank: int, stream: IO[str], lines: "queue.Queue[tuple[int, str, Optional[str]]]", kind: str) -> None:
    for line in stream:
        lines.put((rank, kind, line.rstrip("\n")))
    lines.put((rank, kind, None))


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _kill_all(processes: list[subprocess.Popen[str]], grace_s: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in processes:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, sig)  # the rank's own session: it and anything it started
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(p.poll() is None for p in processes):
            time.sleep(0.02)
    for p in processes:
        p.wait()
        try:
            os.killpg(p.pid, signal.SIGKILL)  # a grandchild left in the rank's group
        except (ProcessLookupError, PermissionError):
            pass


def _exit_description(rank: int, code: int, strategy: Optional[str]) -> str:
    how = f"was killed by {_signal_name(code)}" if code < 0 else f"exited with code {code}"
    where = f" during strategy '{strategy}'" if strategy else ""
    return f"rank {rank} {how}{where}"


def _root_cause(first: RankFailure, processes: list[subprocess.Popen[str]], current: list[Optional[str]],
                grace_s: float) -> RankFailure:
    """The failure to report. A rank whose peer died usually fails too, in its next collective ("Connection reset by
    peer"), and may say so before the dead rank's exit is seen: for a moment, look for a rank that exited without
    reporting an error (killed, crashed) and blame it, with the first failure as its consequence."""
    deadline = time.monotonic() + min(grace_s, 1.0)
    while True:
        for r, p in enumerate(processes):
            code = p.poll()
            if r != first.rank and code is not None and code != 0:
                message = _exit_description(r, code, current[r])
                if first.reason == "error":
                    message += f"; then {first.message}"
                return RankFailure(r, "exited", message + "; the other ranks were stopped")
        if time.monotonic() >= deadline:
            return first
        time.sleep(0.02)


def launch(job: dict[str, Any], world_size: int, *, timeout_s: float = 600.0, silence_s: float = 120.0,
           grace_s: float = 2.0, python: str = sys.executable, env: Optional[dict[str, str]] = None,
           on_event: Callable[[dict[str, Any]], None] = lambda _: None) -> LaunchOutcome:
    """Runs `job` on `world_size` ranks on this machine and returns what they wrote, and how the run ended."""
    if world_size < 1:
        raise ValueError(f"world size {world_size} < 1")
    port = free_port()
    base = dict(os.environ if env is None else env)
    base["PYTHONPATH"] = os.pathsep.join([PACKAGE_PARENT, *filter(None, [base.get("PYTHONPATH")])])
    base.setdefault("OMP_NUM_THREADS", str(job.get("threads", 1)))
    lines: "queue.Queue[tuple[int, str, Optional[str]]]" = queue.Queue()
    processes: list[subprocess.Popen[str]] = []
    readers: list[threading.Thread] = []
    events: list[list[dict[str, Any]]] = [[] for _ in range(world_size)]
    tails: list[deque[str]] = [deque(maxlen=40) for _ in range(world_size)]
    failure: Optional[RankFailure] = None
    text = json.dumps(job)
    try:
        for rank in range(world_size):
            rank_env = {**base, "RANK": str(rank), "WORLD_SIZE": str(world_size), "LOCAL_RANK": str(rank),
                        "LOCAL_WORLD_SIZE": str(world_size), "GROUP_RANK": "0", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": str(port)}
            p = subprocess.Popen([python, "-m", "gan_ddp.rank"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=rank_env, cwd=PACKAGE_PARENT,
                                 start_new_session=True)
            processes.append(p)
            assert p.stdin is not None and p.stdout is not None and p.stderr is not None
            p.stdin.write(text)
            p.stdin.close()
            for stream, kind in ((p.stdout, "out"), (p.stderr, "err")):
                t = threading.Thread(target=_reader, args=(rank, stream, lines, kind), daemon=True)
                t.start()
                readers.append(t)
        started = last_line = time.monotonic()
        open_streams = 2 * world_size
        current: list[Optional[str]] = [None] * world_size  # the strategy each rank is on
        while failure is None:
            try:
                rank, kind, line = lines.get(timeout=0.1)
            except queue.Empty:
                rank, kind, line = -1, "", None
            now = time.monotonic()
            if rank >= 0:
                if line is None:
                    open_streams -= 1
                elif kind == "err":
                    tails[rank].append(line)
                else:
                    last_line = now
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        tails[rank].append(f"(stdout) {line}")
                        continue
                    events[rank].append(event)
                    on_event(event)
                    if event.get("event") == "progress":
                        current[rank] = event.get("strategy")
                    if event.get("event") == "error":
                        error = event.get("error", {})
                        failure = RankFailure(rank, "error", f"rank {rank} failed: {error.get('type')}: "
                                                             f"{error.get('message')}")
                        break
            exited = [(r, p.poll()) for r, p in enumerate(processes) if p.poll() not in (None, 0)]
            if exited:
                # A rank killed by a signal is the cause rather than one that exited on its own error after it.
                r, code = sorted(exited, key=lambda e: (0 if (e[1] or 0) < 0 else 1, e[0]))[0]
                failure = RankFailure(r, "exited", _exit_description(r, code or 0, current[r]) +
                                      "; the other ranks were stopped")
            if failure is not None:
                break
            if all(p.poll() == 0 for p in processes) and open_streams == 0:
                break
            if now - started > timeout_s:
                failure = RankFailure(None, "timeout", f"the run passed its timeout of {timeout_s:g} s "
                                                       f"(ranks on {current}); every rank was stopped")
            elif now - last_line > silence_s:
                failure = RankFailure(None, "silence", f"no rank wrote a line for {silence_s:g} s (a hang; ranks on "
                                                       f"{current}); every rank was stopped")
        if failure is not None and failure.reason == "error":
            failure = _root_cause(failure, processes, current, grace_s)
    except BaseException:
        _kill_all(processes, grace_s)
        raise
    finally:
        if failure is not None or any(p.poll() is None for p in processes):
            _kill_all(processes, grace_s)
        for p in processes:
            p.wait()
        for t in readers:
            t.join(timeout=2.0)
        while True:  # lines written before the end
            try:
                rank, kind, line = lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                continue
            if kind == "err":
                tails[rank].append(line)
            else:
                try:
                    events[rank].append(json.loads(line))
                except json.JSONDecodeError:
                    tails[rank].append(f"(stdout) {line}")
        for p in processes:
            for pipe in (p.stdout, p.stderr):
                if pipe is not None:
                    pipe.close()
    if failure is not None and failure.rank is not None and tails[failure.rank]:
        failure.message += "\n  rank {} stderr (last lines):\n    {}".format(
            failure.rank, "\n    ".join(list(tails[failure.rank])[-8:]))
    return LaunchOutcome(world_size, port, failure is None, failure, events, [p.returncode for p in processes],
                         [list(t) for t in tails], [p.pid for p in processes])


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    """`python -m gan_ddp.launcher WORLD_SIZE JOB.json`: the outcome as one JSON object on stdout. The job's
    `launchTimeoutS` and `silenceS` (600 and 120 by default) are launch()'s limits; SIGTERM stops every rank."""
    world_size, path = int(sys.argv[1]), sys.argv[2]
    # SIGTERM (the TS harness's way to stop a run) takes KeyboardInterrupt's path: launch() stops every rank first.
    signal.signal(signal.SIGTERM, _interrupt)
    job = json.loads(Path(path).read_text())
    outcome = launch(job, world_size, timeout_s=float(job.get("launchTimeoutS", 600)),
                     silence_s=float(job.get("silenceS", 120)), on_event=lambda e: print(json.dumps(e)[:200], file=sys.stderr))
    print(json.dumps({"ok": outcome.ok, "error": outcome.error, "results": outcome.results(),
                      "returncodes": outcome.returncodes}))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
