"""The process group from torchrun's environment, and each rank's shard of the global batch.

A rank is started as torchrun starts one: RANK, WORLD_SIZE, LOCAL_RANK (and LOCAL_WORLD_SIZE), MASTER_ADDR,
MASTER_PORT in its environment; `init_process_group(init_method="env://")` reads them. gloo on the CPU, NCCL on
CUDA with one GPU per rank (cuda:LOCAL_RANK).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import torch
import torch.distributed as dist

ENV_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistEnv:
    """One rank's place in the job, as torchrun's variables give it."""

    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int

    @staticmethod
    def from_environ(environ: Optional[Mapping[str, str]] = None) -> "DistEnv":
        env = os.environ if environ is None else environ
        missing = [name for name in ENV_VARIABLES if name not in env]
        if missing:
            raise RuntimeError(f"not started as torchrun starts a rank: {', '.join(missing)} unset in the environment")
        rank, world_size, local_rank = int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_RANK"])
        if world_size < 1 or not 0 <= rank < world_size:
            raise RuntimeError(f"RANK={rank} is not in [0, WORLD_SIZE={world_size})")
        return DistEnv(rank, world_size, local_rank, env["MASTER_ADDR"], int(env["MASTER_PORT"]))


def backend_for(device: torch.device) -> str:
    """NCCL for CUDA tensors, gloo for CPU ones (gloo also runs CUDA, slower; NCCL cannot run CPU tensors)."""
    return "nccl" if device.type == "cuda" else "gloo"


def rank_device(env: DistEnv, prefer_cuda: bool = True) -> torch.device:
    """cuda:LOCAL_RANK when CUDA is there and wanted (one GPU per rank), else the CPU."""
    if prefer_cuda and torch.cuda.is_available():
        if env.local_rank >= torch.cuda.device_count():
            raise RuntimeError(f"LOCAL_RANK={env.local_rank} but only {torch.cuda.device_count()} CUDA devices")
        torch.cuda.set_device(env.local_rank)
        return torch.device("cuda", env.local_rank)
    return torch.device("cpu")


def init_process_group(env: DistEnv, device: torch.device, timeout_s: float = 60.0) -> str:
    """Joins the job's default process group through env:// (MASTER_ADDR/MASTER_PORT, RANK, WORLD_SIZE), with
    `timeout_s` for the rendezvous and for every collective (gloo honours it per operation; NCCL only with
    NCCL_ASYNC_ERROR_HANDLING / TORCH_NCCL_ASYNC_ERROR_HANDLING set). Returns the backend's name."""
    backend = backend_for(device)
    dist.init_process_group(backend=backend, init_method="env://", rank=env.rank, world_size=env.world_size,
                            timeout=datetime.timedelta(seconds=timeout_s))
    return backend


def destroy_process_group() -> None:
    """Leaves the default group (once every rank is done with it): a no-op when none was joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_bounds(global_batch: int, world_size: int, rank: int) -> tuple[int, int]:
    """Rows [start, stop) of the global batch that `rank` trains on: equal contiguous slices, as
    DistributedSampler without shuffling gives equal-sized ones. Equal sizes are what make each rank's mean loss,
    averaged over ranks by the all-reduce, the mean over the whole batch."""
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is not in [0, world size {world_size})")
    if global_batch % world_size != 0:
        raise ValueError(f"the global batch size {global_batch} is not divisible by the world size {world_size}: "
                         f"each rank needs an equal shard (batch {global_batch - global_batch % world_size} or "
                         f"{global_batch + world_size - global_batch % world_size} would do)")
    per_rank = global_batch // world_size
    return rank * per_rank, (rank + 1) * per_rank


def shard(tensors: Sequence[torch.Tensor], world_size: int, rank: int) -> list[torch.Tensor]:
    """Each tensor's rows for `rank` (all share their first dimension, the global batch)."""
    sizes = {t.shape[0] for t in tensors}
    if len(sizes) != 1:
        raise ValueError(f"the batch's tensors disagree on the batch size: {sorted(sizes)}")
    start, stop = shard_bounds(sizes.pop(), world_size, rank)
    return [t[start:stop] for t in tensors]
