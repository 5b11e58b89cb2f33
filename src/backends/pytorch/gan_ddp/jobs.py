"""One job for every node: the ranks agree, through torch.distributed, on which job runs and refuse a node whose own
job is another.

Each node is started with its own copy of the job (the same `npm run bench` command line, `--node-rank` aside,
builds it from the same scenario file). The node started with GAN_DDP_NODE_RANK=0 is the one that runs the harness
and writes the results; its job is the one that runs, sent to every rank (`broadcast_object_list`). Before that,
every rank's identity of its job (scenario name and a digest of the resolved scenario, strategies, world size) is
compared with that node's: a difference is a `JobMismatch` on every rank, naming both.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from typing import Any, Optional

import torch.distributed as dist


class JobMismatch(RuntimeError):
    """A node was started with another job than the results node's."""


@dataclass(frozen=True)
class AgreedJob:
    job: dict[str, Any]
    root: int  # the global rank that holds the results node's job and gathers every rank's cells
    host: str


def job_identity(job: dict[str, Any]) -> dict[str, Any]:
    """What must be equal on every node: the scenario (by name and content), the strategies in order, the world size."""
    scenario = job.get("scenario") or {}
    digest = hashlib.sha256(json.dumps(scenario, sort_keys=True).encode()).hexdigest()[:12]
    return {"scenario": scenario.get("name"), "digest": digest, "strategies": list(job.get("strategies") or []),
            "worldSize": job.get("worldSize")}


def describe_identity(identity: dict[str, Any]) -> str:
    world = f", world size {identity['worldSize']}" if identity.get("worldSize") is not None else ""
    return (f"scenario '{identity['scenario']}' (resolved scenario {identity['digest']}), strategies "
            f"{','.join(identity['strategies']) or '(none)'}{world}")


def check_identities(everyone: list[dict[str, Any]], world_size: int) -> int:
    """The results node's first rank, after checking that every rank's job is that node's; raises JobMismatch."""
    results_ranks = [r for r, mine in enumerate(everyone) if mine["node"] == 0]
    claimants = sorted({(everyone[r]["host"], everyone[r]["group"]) for r in results_ranks})
    if len(claimants) > 1:
        raise JobMismatch(f"{len(claimants)} nodes were started as node 0 (--node-rank 0): "
                          f"{', '.join(f'{host} (node group {group})' for host, group in claimants)}; "
                          "only the node that writes the results is node 0")
    root = results_ranks[0] if results_ranks else 0
    reference = everyone[root]
    for rank, mine in enumerate(everyone):
        if mine["identity"] != reference["identity"]:
            raise JobMismatch(
                f"node {mine['node']} ({mine['host']}, rank {rank}) was started with {describe_identity(mine['identity'])}; "
                f"node {reference['node']} ({reference['host']}), which writes the results, with "
                f"{describe_identity(reference['identity'])}: every node must run the same scenario file, "
                "--strategies and --world-size")
    wanted = reference["identity"]["worldSize"]
    if wanted is not None and wanted != world_size:
        raise JobMismatch(f"the rendezvous made world size {world_size} (torchrun's WORLD_SIZE), the job asks for "
                          f"{wanted}: --world-size is every node's ranks together, and each node runs "
                          "--world-size / --nnodes of them")
    return root


def agree_on_job(own_job: dict[str, Any], node_rank: Optional[int], rank: int, world_size: int) -> AgreedJob:
    """Every rank's job identity to every rank; the results node's job from its first rank to all."""
    host = socket.gethostname()
    mine = {"node": node_rank, "host": host, "group": os.environ.get("GROUP_RANK"), "identity": job_identity(own_job)}
    everyone: list[Any] = [None] * world_size
    dist.all_gather_object(everyone, mine)
    root = check_identities(everyone, world_size)
    holder: list[Any] = [own_job if rank == root else None]
    dist.broadcast_object_list(holder, src=root)
    return AgreedJob(holder[0], root, host)
