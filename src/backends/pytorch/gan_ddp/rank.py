"""One rank of a data-parallel measurement: `python -m gan_ddp.rank JOB.json` (with src/backends/pytorch on
PYTHONPATH), started by torchrun or its API (gan_ddp.agent): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
in the environment.

Reads its job, one JSON object, from the file named by its first argument (or stdin); writes JSON lines to stdout,
or, where GAN_DDP_EVENTS names a folder (gan_ddp.launcher's), to EVENTS/rank-<RANK>.jsonl, each with this rank's
number; logs go to stderr:

    {"rank": 0, "event": "ready", "backend": "gloo", "device": "cpu", "torch": "1.13.0", "world_size": 2}
    {"rank": 0, "event": "progress", "strategy": "g-first", "phase": "timing"}
    {"rank": 0, "event": "result", "strategy": "g-first", "result": {...}}       one per strategy
    {"rank": 0, "event": "done"}
    {"rank": 0, "event": "error", "error": {"type": "...", "message": "..."}, "traceback": "..."}   and exit 1

The job:

    {"scenario": {...resolved scenario, MLP or convolutional...}, "strategies": ["g-first", ...],
     "batchPool": 4, "warmupSteps": 2, "steps": 5, "equivalenceSteps": 1, "timeoutS": 60, "threads": 1,
     "device": "auto" | "cpu", "bucketCapMb": null,
     "ddp": {"wrap": "separate" | "whole", "findUnusedParameters": false, "staticGraph": false,
             "broadcastBuffers": true},
     "fault": {"rank": 1, "strategy": "g-first", "step": 0, "kind": "kill" | "hang"}}   tests only

After each strategy the ranks exchange their outcomes (all_gather_object) so that every rank's result says
whether all ranks agreed (`ranks_agree`); a strategy that raises on every rank does not end the job.

Across nodes (jobs.py): before anything runs, the ranks exchange their node's job through torch.distributed; the
job that runs is the one of the node started with GAN_DDP_NODE_RANK=0 (the one that writes the results), a node
whose job differs is refused, naming both; and every strategy's cells, one per rank, reach that node's first rank
(gather_object), whose `result` event carries them all as `ranks`.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Optional

import torch
import torch.distributed as dist

from .env import DistEnv, destroy_process_group, init_process_group, rank_device
from .jobs import agree_on_job
from .measure import error_record, run_strategy
from .strategies import STRATEGIES, DdpOptions


_events: Any = None


def emit(message: dict[str, Any]) -> None:
    """One JSON line: to this rank's events file where the launcher named a folder, else to stdout."""
    global _events
    folder = os.environ.get("GAN_DDP_EVENTS")
    if folder and _events is None:
        _events = open(os.path.join(folder, f"rank-{os.environ.get('RANK', 'unknown')}.jsonl"), "a")
    out = _events if _events is not None else sys.stdout
    out.write(json.dumps(message) + "\n")
    out.flush()


def read_job(argv: list[str]) -> dict[str, Any]:
    text = open(argv[0]).read() if argv else sys.stdin.read()
    job = json.loads(text)
    if not isinstance(job, dict) or "scenario" not in job:
        raise ValueError("the job must be a JSON object with a 'scenario'")
    return job


def main(argv: Optional[list[str]] = None) -> int:
    rank: Optional[int] = None
    try:
        env = DistEnv.from_environ()
        rank = env.rank
        own_job = read_job(sys.argv[1:] if argv is None else argv)
        torch.set_num_threads(int(own_job.get("threads", 1)))
        # A rank that aborts inside PyTorch's C++ ("terminate called without an active exception") prints every
        # thread's stack to its stderr, which the launcher's failure quotes: the only trace such a crash leaves.
        if hasattr(torch._C, "_set_print_stack_traces_on_fatal_signal"):
            torch._C._set_print_stack_traces_on_fatal_signal(True)
        device = rank_device(env, prefer_cuda=own_job.get("device", "auto") != "cpu")
        backend = init_process_group(env, device, float(own_job.get("timeoutS", 60)))
        node_rank = os.environ.get("GAN_DDP_NODE_RANK")
        agreed = agree_on_job(own_job, None if node_rank is None else int(node_rank), env.rank, env.world_size)
        job, root = agreed.job, agreed.root
        emit({"rank": rank, "event": "ready", "backend": backend, "device": str(device), "torch": torch.__version__,
              "world_size": env.world_size, "pid": os.getpid(), "node": node_rank, "host": agreed.host,
              "master_port": env.master_port, "root": root})
        strategies = job.get("strategies") or list(STRATEGIES)
        if not isinstance(job.get("batchPool"), int) or job["batchPool"] < 1:
            raise ValueError("the job's batchPool must be a positive integer (the harness's pool size), "
                             f"not {job.get('batchPool')!r}")
        batch_pool: int = job["batchPool"]
        options = DdpOptions.from_json({"bucketCapMb": job.get("bucketCapMb"), **(job.get("ddp") or {})})
        for strategy in strategies:
            cell = run_strategy(strategy, job["scenario"], env.rank, env.world_size, device, batch_pool,
                                warmup_steps=int(job.get("warmupSteps", 2)), steps=int(job.get("steps", 5)),
                                equivalence_steps=int(job.get("equivalenceSteps", 1)),
                                options=options, fault=job.get("fault"),
                                progress=lambda p: emit({"rank": rank, "event": "progress", **p}))
            outcomes: list[Any] = [None] * env.world_size
            # Status and error type: PyTorch's messages may name the rank ("... did not receive grad for rank 0").
            dist.all_gather_object(outcomes, [cell["status"], cell.get("error", {}).get("type")])
            cell["ranks_agree"] = all(o == outcomes[0] for o in outcomes)
            if cell["ranks_agree"]:
                cell.pop("traceback", None)  # PyTorch's message is the outcome; the traceback only where ranks differ
            # Every rank's cell to the results node's first rank, through torch.distributed (other nodes' ranks
            # are not this machine's processes).
            cells: Optional[list[Any]] = [None] * env.world_size if env.rank == root else None
            dist.gather_object(cell, cells, dst=root)
            emit({"rank": rank, "event": "result", "strategy": strategy, "result": cell,
                  **({"ranks": cells} if cells is not None else {})})
        dist.barrier()
        destroy_process_group()
        emit({"rank": rank, "event": "done"})
        return 0
    except Exception as error:
        emit({"rank": rank, "event": "error", "error": error_record(error), "traceback": traceback.format_exc()})
        return 1


if __name__ == "__main__":
    code = main()
    # Every rank leaves without the interpreter's finalization, once its events are written (emit flushes each):
    # at exit, the destructors of what the run left behind (a process group still up after a failure; the profiler's
    # and gloo's threads after a run that finished) can abort ("terminate called without an active exception"), and
    # a rank killed by SIGABRT at exit would fail a run whose every cell was measured, or be blamed instead of the
    # error it reported. CI saw that abort after a rank's last strategy, twice.
    if _events is not None:
        _events.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
