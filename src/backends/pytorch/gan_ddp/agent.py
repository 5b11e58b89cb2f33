"""One node's ranks, started by PyTorch's own elastic launcher (torchrun's API: `torch.distributed.launcher.api.
elastic_launch`, c10d rendezvous): `python -m gan_ddp.agent SPEC.json`, run by `gan_ddp.launcher` (which watches it).

The spec: {"nprocPerNode", "nnodes", "nodeRank", "rdzvEndpoint": "HOST:PORT", "rdzvTimeoutS", "runId", "logDir",
"job": path of the job file}. The agent joins the rendezvous at the endpoint (the node whose address it is hosts
its store), starts `nprocPerNode` ranks (`python -m gan_ddp.rank JOB`) with torchrun's variables, stops them all
when one fails (SIGTERM to each; the agent's own SIGTERM does the same), and prints one JSON line on stdout:

    {"ok": true}
    {"ok": false, "stage": "ranks", "failures": [{"rank", "localRank", "exitcode", "signal"}]}
    {"ok": false, "stage": "rendezvous", "message": "..."}

Each rank's stderr goes to LOG_DIR/<run>/attempt_0/<local rank>/stderr.log (torchrun's `--redirects 2`); its stdout
is this process's. Debian's PyTorch 1.13 on Python 3.11 cannot parse `--redirects 0` on torchrun's command line
(`Std.from_str` returns None: Python 3.11 no longer lists a Flag's zero member), which the API, handed `Std`
values, never does.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
from pathlib import Path
from typing import Any

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.elastic.rendezvous.api import RendezvousError
from torch.distributed.launcher.api import LaunchConfig, elastic_launch


def launch_config(spec: dict[str, Any]) -> LaunchConfig:
    """torchrun's settings for this node: c10d rendezvous, no restarts, stderr to per-rank files. PyTorch 2.3 moved
    log_dir, redirects and tee into `logs_specs`; both shapes are built here."""
    from torch.distributed.elastic.multiprocessing.api import Std

    nnodes = int(spec["nnodes"])
    rdzv_timeout = int(spec["rdzvTimeoutS"])
    kwargs: dict[str, Any] = dict(
        min_nodes=nnodes, max_nodes=nnodes, nproc_per_node=int(spec["nprocPerNode"]), run_id=str(spec["runId"]),
        rdzv_backend="c10d", rdzv_endpoint=str(spec["rdzvEndpoint"]),
        # join_timeout: the whole rendezvous; read_timeout: a node may reach the endpoint before its store is up;
        # is_host: node 0 (the results node, at the endpoint's address) hosts the store, not a guess from hostnames.
        rdzv_configs={"join_timeout": rdzv_timeout, "read_timeout": rdzv_timeout, "last_call_timeout": 1,
                      "is_host": int(spec["nodeRank"]) == 0},
        max_restarts=0, monitor_interval=0.1, start_method="spawn")
    fields = {f.name for f in dataclasses.fields(LaunchConfig)}
    if "logs_specs" in fields:  # PyTorch >= 2.3
        from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs  # type: ignore[attr-defined]
        kwargs["logs_specs"] = DefaultLogsSpecs(log_dir=spec["logDir"], redirects=Std.ERR, tee=Std.NONE)
    else:
        kwargs.update(log_dir=spec["logDir"], redirects=Std.ERR, tee=Std.NONE)
    if "local_addr" in fields and spec.get("localAddr"):  # PyTorch >= 2.1: the address other nodes reach this one at
        kwargs["local_addr"] = spec["localAddr"]
    return LaunchConfig(**kwargs)


def _terminate(signum: int, _frame: Any) -> None:
    # torchelastic's own handler (installed once the ranks start) raises SignalException and stops them; before
    # that (in the rendezvous) there is nothing to stop but this process.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    signal.signal(signal.SIGTERM, _terminate)
    endpoint = spec["rdzvEndpoint"]
    try:
        elastic_launch(launch_config(spec), sys.executable)("-m", "gan_ddp.rank", spec["job"])
    except ChildFailedError as error:
        failures = []
        for rank, failure in sorted(error.failures.items()):
            code = failure.exitcode
            failures.append({"rank": rank, "localRank": failure.local_rank, "exitcode": code,
                             "signal": failure.signal_name() if code < 0 else None})
        print(json.dumps({"ok": False, "stage": "ranks", "failures": failures}), flush=True)
        return 1
    except RendezvousError as error:
        print(json.dumps({"ok": False, "stage": "rendezvous", "message":
                          f"the rendezvous at {endpoint} did not complete ({spec['nnodes']} nodes expected, "
                          f"{spec['rdzvTimeoutS']} s allowed): {type(error).__name__}: {error}"}), flush=True)
        return 1
    except (RuntimeError, TimeoutError, ConnectionError) as error:
        # The store's client: the endpoint never answered, or went away (the node hosting it ended first).
        print(json.dumps({"ok": False, "stage": "rendezvous", "message":
                          f"the rendezvous at {endpoint} failed: {type(error).__name__}: {error}"}), flush=True)
        return 1
    print(json.dumps({"ok": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
