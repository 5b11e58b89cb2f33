"""`python -m gan_ddp.launcher` as the TS harness runs it: SIGTERM to the launcher stops every rank before it exits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from gan_ddp.launcher import PACKAGE_PARENT

from .scenarios import TINY as SCENARIO


def children(ancestor: int) -> list[int]:
    """The `gan_ddp.rank` processes descended from `ancestor` (the launcher starts torchrun's agent, which starts
    the ranks; other engineers' ranks may run beside them)."""
    parents: dict[int, int] = {}
    ranks = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if b"gan_ddp.rank" in (proc / "cmdline").read_bytes():
                ranks.append(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == ancestor:
                return True
        return False

    return [pid for pid in ranks if descends(pid)]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_to_the_launcher_stops_every_rank(tmp_path: Path) -> None:
    # Rank 0 hangs in its first step, so both ranks are alive when SIGTERM comes.
    job = {"scenario": SCENARIO, "strategies": ["g-first"], "batchPool": 4, "warmupSteps": 1, "steps": 2, "timeoutS": 60,
           "fault": {"rank": 0, "strategy": "g-first", "step": 0, "kind": "hang"}, "silenceS": 120}
    (tmp_path / "job.json").write_text(json.dumps(job))
    launcher = subprocess.Popen([sys.executable, "-m", "gan_ddp.launcher", "2", str(tmp_path / "job.json")],
                                cwd=PACKAGE_PARENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert launcher.stderr is not None
    ready = 0
    deadline = time.monotonic() + 90
    while ready < 2 and time.monotonic() < deadline:
        line = launcher.stderr.readline()
        if not line:
            break
        ready += '"event": "ready"' in line
    assert ready == 2
    ranks = children(launcher.pid)
    assert len(ranks) == 2
    launcher.send_signal(signal.SIGTERM)
    launcher.communicate(timeout=30)
    assert launcher.returncode != 0
    assert [pid for pid in ranks if alive(pid)] == []
