"""One strategy on one rank: timed steady-state steps with their all-reduce counts, and the update-equivalence
check against world size 1.

Every collective here other than the step's own runs outside the counter's window: the barriers that synchronise
the clock, the MAX reductions of the times, the equivalence check's comparisons.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from typing import Any, Callable, Mapping, Optional

import torch
import torch.distributed as dist
from torch import nn

from .counting import CommCounter, profiled_collectives
from .env import shard
from .model import Batch, adam_settings, build_networks, global_batch, parameter_count
from .strategies import STRATEGIES, DdpOptions, Gan, Strategy, make_gan

TOLERANCE = 1e-9  # float64 equivalence: reduction order changes the last bits only


def error_record(error: BaseException) -> dict[str, str]:
    """PyTorch's own error: its type and message, unchanged."""
    return {"type": type(error).__name__, "message": str(error)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def to_device(batch: Batch, device: torch.device) -> Batch:
    z, real, valid, fake = (t.to(device) for t in batch)
    return z, real, valid, fake


def rank_batch(scenario: Mapping[str, Any], index: int, world_size: int, rank: int, dtype: torch.dtype,
               device: torch.device, batch_pool: int) -> Batch:
    """This rank's shard of global batch `index`: the steps cycle through `batch_pool` global batches (the harness's
    pool size, sent in the job)."""
    z, real, valid, fake = shard(list(global_batch(scenario, index % batch_pool, dtype)), world_size, rank)
    return to_device((z, real, valid, fake), device)


def build_gan(scenario: Mapping[str, Any], strategy: Strategy, distributed: bool, device: torch.device,
              dtype: torch.dtype, optimizer: str = "adam", options: DdpOptions = DdpOptions()) -> Gan:
    generator, discriminator = build_networks(scenario)
    generator.to(device=device, dtype=dtype)
    discriminator.to(device=device, dtype=dtype)
    settings = adam_settings(scenario)

    def make_optimizer(params: Any) -> torch.optim.Optimizer:
        if optimizer == "sgd":
            return torch.optim.SGD(params, lr=settings["lr"])
        return torch.optim.Adam(params, **settings)

    device_ids = [device.index] if device.type == "cuda" and device.index is not None else None
    return make_gan(generator, discriminator, strategy, distributed, make_optimizer, nn.BCELoss(), device_ids,
                    options)


Fault = Optional[Mapping[str, Any]]


def inject_fault(fault: Fault, rank: int, strategy: str, step: int) -> None:
    """Tests only: the job's `fault` {rank, strategy, step, kind} makes that rank die (kind `kill`: SIGKILL itself)
    or hang (`hang`: sleep) at that measured step, before the step's collectives, while the other ranks go on into
    them."""
    if not fault or fault.get("rank") != rank or fault.get("strategy") != strategy or fault.get("step") != step:
        return
    kind = fault.get("kind", "kill")
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "hang":
        time.sleep(3600)
    else:
        raise ValueError(f"unknown fault kind '{kind}' (known: kill, hang)")


def time_strategy(strategy: Strategy, scenario: Mapping[str, Any], rank: int, world_size: int, device: torch.device,
                  warmup_steps: int, steps: int, batch_pool: int, options: DdpOptions = DdpOptions(),
                  fault: Fault = None) -> dict[str, Any]:
    """`warmup_steps` untimed steps (DDP rebuilds its buckets in the order gradients became ready, at the start of
    the second iteration's forward: counts from step 1 on are the steady state), then `steps` timed ones, each with
    its all-reduce calls and bytes. Per timed step: barrier (+ CUDA sync) before the clock starts; the step; CUDA
    sync, own time; barrier; the time to after that barrier; both MAX-reduced over ranks. The counts are this
    rank's (every rank issues the same all-reduces)."""
    distributed = world_size > 1
    gan = build_gan(scenario, strategy, distributed, device, torch.float32, options=options)
    counter = CommCounter()
    counter.register(gan.G, "G")
    counter.register(gan.D, "D")
    first: Optional[dict[str, Any]] = None
    for i in range(warmup_steps):
        with counter.window(), counter.patched_all_reduce():
            strategy.step(gan, rank_batch(scenario, i, world_size, rank, torch.float32, device, batch_pool))
        if i == 0:
            first = counter.summary()
    samples: list[dict[str, Any]] = []
    for i in range(steps):
        batch = rank_batch(scenario, warmup_steps + i, world_size, rank, torch.float32, device, batch_pool)
        inject_fault(fault, rank, strategy.id, i)
        if distributed:
            dist.barrier()
        sync(device)
        start = time.perf_counter()
        with counter.window(), counter.patched_all_reduce():
            strategy.step(gan, batch)
        sync(device)
        own = time.perf_counter() - start
        if distributed:
            dist.barrier()
        synced = time.perf_counter() - start
        counts = counter.summary()
        times = torch.tensor([synced * 1e3, own * 1e3, counts["comm_ms"]], dtype=torch.float64, device=device)
        if distributed:
            dist.all_reduce(times, op=dist.ReduceOp.MAX)
        samples.append({"step_ms": times[0].item(), "slowest_rank_own_ms": times[1].item(),
                        "own_ms": own * 1e3, "comm_ms": counts["comm_ms"], "comm_ms_max": times[2].item(),
                        "counts": counts})
    steady = samples[-1]["counts"] if samples else counter.summary()
    # An independent count: the backend's collective events in one more steady-state step.
    profiled = profiled_collectives(lambda: strategy.step(gan, rank_batch(scenario, warmup_steps + steps, world_size,
                                                                            rank, torch.float32, device, batch_pool)))
    consistent = all(s["counts"]["allreduce_sizes"] == steady["allreduce_sizes"] for s in samples)
    return {
        "first_step": first,
        "steady": {k: steady[k] for k in ("allreduce_calls", "allreduce_bytes", "allreduce_by_network",
                                          "allreduce_sizes")},
        "counts_constant": consistent,
        "profiled_collectives": profiled,
        "samples": [{k: v for k, v in s.items() if k != "counts"} for s in samples],
        "step_ms": [s["step_ms"] for s in samples],
        "comm_ms": [s["comm_ms"] for s in samples],
    }


def flat_parameters(module: nn.Module) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def trained(scenario: Mapping[str, Any], strategy: Strategy, distributed: bool, world_size: int, rank: int,
            steps: int, optimizer: str, batch_pool: int, options: DdpOptions = DdpOptions()) -> dict[str, torch.Tensor]:
    """G's and D's parameters after `steps` steps in float64 on the CPU from the scenario's weights: on this rank's
    shard (world_size, rank) in the process group when `distributed`, else plain on those rows."""
    gan = build_gan(scenario, strategy, distributed, torch.device("cpu"), torch.float64, optimizer, options)
    for i in range(steps):
        strategy.step(gan, rank_batch(scenario, i, world_size, rank, torch.float64, torch.device("cpu"), batch_pool))
    return {"G": flat_parameters(gan.g_module), "D": flat_parameters(gan.d_module)}


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max().item()) if a.numel() else 0.0


def equivalence(strategy: Strategy, scenario: Mapping[str, Any], rank: int, world_size: int, batch_pool: int,
                steps: int = 1, options: DdpOptions = DdpOptions()) -> dict[str, Any]:
    """In float64 on the CPU, from identical weights: `steps` steps at world size N, each rank on its shard, against
    the same strategy at world size 1 on the whole batch (plain modules, no process group). Twice: with the
    scenario's Adam, and with plain SGD at the same learning rate, because Adam's first step is lr * g / (|g| + eps),
    blind to the gradient's scale (a sum where a mean belongs would pass); SGD's update is -lr * g.

    Per optimizer and network: the largest absolute difference to world size 1 (`vsWorld1`), to world size 1 on
    this rank's shard alone (`vsShardOnly`: ~0 there means the gradient was not all-reduced), and the spread across
    ranks (`acrossRanks`: the largest difference to rank 0's weights). `verdict` per network: `equal` (within
    TOLERANCE of world size 1), `shard-only` (equal to its shard's update instead: not all-reduced), `differs`."""
    distributed = world_size > 1
    result: dict[str, Any] = {"steps": steps, "tolerance": TOLERANCE, "optimizers": {}}
    for optimizer in ("adam", "sgd"):
        ddp = trained(scenario, strategy, distributed, world_size, rank, steps, optimizer, batch_pool, options)
        whole = trained(scenario, strategy, False, 1, 0, steps, optimizer, batch_pool)
        alone = trained(scenario, strategy, False, world_size, rank, steps, optimizer, batch_pool)
        networks: dict[str, Any] = {}
        for name in ("G", "D"):
            spread = torch.zeros((), dtype=torch.float64)
            if distributed:
                reference = ddp[name].clone()
                dist.broadcast(reference, 0)
                spread = (ddp[name] - reference).abs().max()
                dist.all_reduce(spread, op=dist.ReduceOp.MAX)
            vs_whole, vs_alone = max_diff(ddp[name], whole[name]), max_diff(ddp[name], alone[name])
            verdict = "equal" if vs_whole <= TOLERANCE else "shard-only" if vs_alone <= TOLERANCE else "differs"
            networks[name] = {"vsWorld1": vs_whole, "vsShardOnly": vs_alone, "acrossRanks": float(spread.item()),
                              "verdict": verdict}
        result["optimizers"][optimizer] = networks
    verdicts = {n["verdict"] for o in result["optimizers"].values() for n in o.values()}
    result["equal"] = verdicts == {"equal"}
    result["maxParamDiff"] = max(n["vsWorld1"] for o in result["optimizers"].values() for n in o.values())
    return result


def run_strategy(strategy_id: str, scenario: Mapping[str, Any], rank: int, world_size: int, device: torch.device,
                 batch_pool: int, warmup_steps: int = 2, steps: int = 5, equivalence_steps: int = 1,
                 options: DdpOptions = DdpOptions(), fault: Fault = None,
                 progress: Callable[[dict[str, Any]], None] = lambda _: None) -> dict[str, Any]:
    """One strategy's cell on this rank: status `ok` with timing, counts and equivalence; or `raised` with PyTorch's
    error (type, message) and where (`phase`: timing or equivalence)."""
    if strategy_id not in STRATEGIES:
        raise ValueError(f"unknown strategy '{strategy_id}' (known: {', '.join(STRATEGIES)})")
    strategy = STRATEGIES[strategy_id]
    g, d = build_networks(scenario)
    cell: dict[str, Any] = {"strategy": strategy_id, "rank": rank, "world_size": world_size, "ddp": strategy.ddp,
                            "parameters": {"G": parameter_count(g), "D": parameter_count(d)},
                            "global_batch": int(scenario["batchSize"]),
                            "shard_batch": int(scenario["batchSize"]) // world_size,
                            "ddp_options": options.to_json() if strategy.ddp else None}
    phase = "timing"
    try:
        progress({"strategy": strategy_id, "phase": phase})
        cell["timing"] = time_strategy(strategy, scenario, rank, world_size, device, warmup_steps, steps,
                                       batch_pool, options, fault)
        phase = "equivalence"
        progress({"strategy": strategy_id, "phase": phase})
        cell["equivalence"] = equivalence(strategy, scenario, rank, world_size, batch_pool, equivalence_steps, options)
        cell["status"] = "ok"
    except Exception as error:  # PyTorch's error is the cell's outcome, kept as it is
        cell["status"] = "raised"
        cell["error"] = {**error_record(error), "phase": phase}
        cell["traceback"] = traceback.format_exc()
    return cell
