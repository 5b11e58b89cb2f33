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
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import torch
import torch.distributed as dist
from torch import nn

from gan_worker.gan import Batch, Gan as WorkerGan, Labels, make_batches, make_labels, with_alpha
from gan_worker.models import batch_norm_modules, running_statistics
from gan_worker.strategies.regularization import Regularization

from .counting import CommCounter, profiled_collectives
from .env import shard
from .strategies import STRATEGIES, DdpOptions, Gan, Strategy, make_gan

TOLERANCE = 1e-9  # float64 equivalence: reduction order changes the last bits only


def error_record(error: BaseException) -> dict[str, str]:
    """PyTorch's own error: its type and message, unchanged."""
    return {"type": type(error).__name__, "message": str(error)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rank_batches(scenario: Mapping[str, Any], world_size: int, rank: int, dtype: torch.dtype, device: torch.device,
                 batch_pool: int) -> tuple[Labels, list[Batch]]:
    """This rank's labels and its shard of each of the `batch_pool` global batches the steps cycle through (the
    harness's pool size, sent in the job): the worker's batches (gan_worker.gan.make_batches, drawn on the CPU from
    the scenario's seed, so every rank draws the same global batch and takes its own rows of it). The shard's
    labels are one pair shared by every batch, as the worker's: the minimax loss tells G's term by its `valid`.
    Under WGAN-GP each global batch carries its interpolation weights (`alpha`, one per sample, drawn with it): the
    shard carries its rows' weights, so that the ranks together interpolate as world size 1 does on the whole batch."""
    global_batch = int(scenario["batchSize"])
    cpu = torch.device("cpu")
    pool = make_batches(scenario, batch_pool, make_labels(global_batch, cpu, dtype))
    labels = make_labels(global_batch // world_size, device, dtype)
    batches: list[Batch] = []
    for batch in pool:
        z, real = batch[0], batch[1]
        alpha: Optional[torch.Tensor] = getattr(batch, "alpha", None)
        z_shard, real_shard, *rest = shard([z, real] if alpha is None else [z, real, alpha], world_size, rank)
        sharded: Batch = (z_shard.to(device), real_shard.to(device), *labels)
        batches.append(sharded if alpha is None else with_alpha(sharded, rest[0].to(device)))
    return labels, batches


def build_gan(scenario: Mapping[str, Any], strategy: Strategy, distributed: bool, device: torch.device,
              dtype: torch.dtype, labels: Labels, options: DdpOptions = DdpOptions()) -> Gan:
    """The scenario's own GAN, made by the worker's builder (gan_worker.gan.Gan: its networks, init, biases and
    initial values, its optimizer with D's own rate, its G loss, its regularizer's hooks), wrapped for `strategy`
    (strategies.make_gan)."""
    built = WorkerGan(scenario, device, dtype, labels)
    device_ids = [device.index] if device.type == "cuda" and device.index is not None else None
    return make_gan(built.G, built.D, built.optimizer_G, built.optimizer_D, built.bce, strategy, distributed,
                    device_ids, options, built.regularizer)


def sgd_probe(scenario: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """The scenario with plain SGD at its own rates (G's, D's) and its own loss, for the equivalence check's probe:
    Adam's first step, lr * g / (|g| + eps), is blind to a gradient's scale, SGD's, -lr * g, is not. None when the
    scenario's optimizer is SGD already."""
    optimizer = scenario["optimizer"]
    if optimizer.get("name", "adam") == "sgd":
        return None
    sgd = {"name": "sgd", "learningRate": optimizer["learningRate"]}
    if optimizer.get("discriminatorLearningRate"):
        sgd["discriminatorLearningRate"] = optimizer["discriminatorLearningRate"]
    return {**scenario, "optimizer": sgd}


def network_sizes(scenario: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Parameters, and BatchNorm layers, in G and in D, as the worker's builder makes them."""
    built = WorkerGan(scenario, torch.device("cpu"), torch.float32, make_labels(1, torch.device("cpu")))
    g, d = built.parameter_counts()
    return {"G": g, "D": d}, {"G": len(batch_norm_modules(built.G)), "D": len(batch_norm_modules(built.D))}


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
    labels, batches = rank_batches(scenario, world_size, rank, torch.float32, device, batch_pool)
    gan = build_gan(scenario, strategy, distributed, device, torch.float32, labels, options)
    counter = CommCounter()
    counter.register(gan.G, "G")
    counter.register(gan.D, "D")
    first: Optional[dict[str, Any]] = None
    for i in range(warmup_steps):
        with counter.window(), counter.patched_all_reduce():
            strategy.step(gan, batches[i % batch_pool])
        if i == 0:
            first = counter.summary()
    samples: list[dict[str, Any]] = []
    for i in range(steps):
        batch = batches[(warmup_steps + i) % batch_pool]
        phase = lazy_phase_due(gan.regularizer)
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
                        "allreduce_calls": counts["allreduce_calls"], "allreduce_bytes": counts["allreduce_bytes"],
                        "lazy_phase": phase, "counts": counts})
    steady = samples[-1]["counts"] if samples else counter.summary()
    # An independent count: the backend's collective events in one more steady-state step.
    profiled = profiled_collectives(lambda: strategy.step(gan, batches[(warmup_steps + steps) % batch_pool]))
    consistent = all(s["counts"]["allreduce_sizes"] == steady["allreduce_sizes"] for s in samples)
    return {
        "first_step": first,
        "steady": {k: steady[k] for k in ("allreduce_calls", "allreduce_bytes", "allreduce_by_network",
                                          "allreduce_sizes")},
        "counts_constant": consistent,
        "steps_by_count": steps_by_count(samples),
        "profiled_collectives": profiled,
        "samples": [{k: v for k, v in s.items() if k != "counts"} for s in samples],
        "step_ms": [s["step_ms"] for s in samples],
        "comm_ms": [s["comm_ms"] for s in samples],
    }


def lazy_phase_due(regularizer: Regularization) -> bool:
    """Whether the next step runs lazy R1's phase (the worker's Regularization.lazy_phase: where steps % every == 0)."""
    return regularizer.kind == "r1-lazy" and regularizer.steps % regularizer.every == 0


def steps_by_count(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timed steps grouped by their all-reduce calls and bytes and whether they ran lazy R1's phase, in order of
    first appearance: one group where every step counts the same; lazy R1's phase steps apart from the others."""
    groups: dict[tuple[int, int, bool], dict[str, Any]] = {}
    for s in samples:
        key = (s["allreduce_calls"], s["allreduce_bytes"], s["lazy_phase"])
        groups.setdefault(key, {"allreduce_calls": key[0], "allreduce_bytes": key[1], "lazy_phase": key[2],
                                "steps": 0})["steps"] += 1
    return list(groups.values())


def flat_parameters(module: nn.Module) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


@dataclass
class Trained:
    """G's and D's parameters and BatchNorm running statistics (None without BatchNorm) after the check's steps, and
    the optimizer and G loss they were trained with, read off the GAN that ran (not off the scenario)."""

    parameters: dict[str, torch.Tensor]
    running: dict[str, Optional[torch.Tensor]]
    optimizer: str
    loss: str


def optimizer_name(optimizer: torch.optim.Optimizer) -> str:
    return {torch.optim.Adam: "adam", torch.optim.SGD: "sgd"}.get(type(optimizer), type(optimizer).__name__)


def loss_name(loss: Any) -> str:
    """AdversarialLoss's G loss; anything else (a plain nn.BCELoss) is the non-saturating one."""
    return "minimax" if getattr(loss, "minimax", False) else "non-saturating"


def trained(scenario: Mapping[str, Any], strategy: Strategy, distributed: bool, world_size: int, rank: int,
            steps: int, batch_pool: int, options: DdpOptions = DdpOptions()) -> Trained:
    """G's and D's parameters and running statistics after `steps` steps in float64 on the CPU from the scenario's
    weights, with its optimizer and loss: on this rank's shard (world_size, rank) in the process group when
    `distributed`, else plain on those rows."""
    cpu = torch.device("cpu")
    labels, batches = rank_batches(scenario, world_size, rank, torch.float64, cpu, batch_pool)
    gan = build_gan(scenario, strategy, distributed, cpu, torch.float64, labels, options)
    for i in range(steps):
        strategy.step(gan, batches[i % batch_pool])
    return Trained({"G": flat_parameters(gan.g_module), "D": flat_parameters(gan.d_module)},
                   {"G": running_statistics(gan.g_module), "D": running_statistics(gan.d_module)},
                   optimizer_name(gan.optimizer_G), loss_name(gan.bce))


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max().item()) if a.numel() else 0.0


def spread_across_ranks(values: torch.Tensor, distributed: bool) -> float:
    """The largest difference of this rank's values to rank 0's, the MAX over ranks (a collective: every rank)."""
    spread = torch.zeros((), dtype=torch.float64)
    if distributed:
        reference = values.clone()
        dist.broadcast(reference, 0)
        spread = (values - reference).abs().max() if values.numel() else spread
        dist.all_reduce(spread, op=dist.ReduceOp.MAX)
    return float(spread.item())


@dataclass
class Comparison:
    networks: dict[str, Any]  # per network: vsWorld1, vsShardOnly, acrossRanks, verdict
    running_stats: dict[str, Optional[dict[str, float]]]  # per network: vsWorld1, acrossRanks; None without BatchNorm
    optimizer: str  # what the ranks' GAN ran with
    loss: str


def compare(scenario: Mapping[str, Any], strategy: Strategy, rank: int, world_size: int, batch_pool: int, steps: int,
            options: DdpOptions) -> Comparison:
    """One optimizer's check: this rank at world size N against world size 1 on the whole batch and on its shard."""
    distributed = world_size > 1
    ddp = trained(scenario, strategy, distributed, world_size, rank, steps, batch_pool, options)
    whole = trained(scenario, strategy, False, 1, 0, steps, batch_pool)
    alone = trained(scenario, strategy, False, world_size, rank, steps, batch_pool)
    networks: dict[str, Any] = {}
    running: dict[str, Optional[dict[str, float]]] = {}
    for name in ("G", "D"):
        ours = ddp.parameters[name]
        vs_whole, vs_alone = max_diff(ours, whole.parameters[name]), max_diff(ours, alone.parameters[name])
        verdict = "equal" if vs_whole <= TOLERANCE else "shard-only" if vs_alone <= TOLERANCE else "differs"
        networks[name] = {"vsWorld1": vs_whole, "vsShardOnly": vs_alone,
                          "acrossRanks": spread_across_ranks(ours, distributed), "verdict": verdict}
        stats, reference = ddp.running[name], whole.running[name]
        running[name] = None if stats is None or reference is None else {
            "vsWorld1": max_diff(stats, reference), "acrossRanks": spread_across_ranks(stats, distributed)}
    return Comparison(networks, running, ddp.optimizer, ddp.loss)


@dataclass
class Equivalence:
    wire: dict[str, Any]  # the cell's `equivalence`
    running_stats: dict[str, Optional[dict[str, float]]]  # the scenario's optimizer's, for the cell's `batch_norm`


def equivalence(strategy: Strategy, scenario: Mapping[str, Any], rank: int, world_size: int, batch_pool: int,
                steps: int = 1, options: DdpOptions = DdpOptions()) -> Equivalence:
    """In float64 on the CPU, from identical weights: `steps` steps at world size N, each rank on its shard, against
    the same strategy at world size 1 on the whole batch (plain modules, no process group), all with the
    scenario's own GAN, optimizer and loss (the worker's builder): that is the verdict. Beside it, where the
    scenario's optimizer is Adam, a probe with plain SGD at the scenario's rates and with its loss, because Adam's
    first step is lr * g / (|g| + eps), blind to the gradient's scale (a sum where a mean belongs would pass);
    SGD's update is -lr * g.

    Per network: the largest absolute difference to world size 1 (`vsWorld1`), to world size 1 on this rank's shard
    alone (`vsShardOnly`: ~0 there means the gradient was not all-reduced), and the spread across ranks
    (`acrossRanks`: the largest difference to rank 0's weights). `verdict` per network: `equal` (within TOLERANCE
    of world size 1), `shard-only` (equal to its shard's update instead: not all-reduced), `differs`. BatchNorm's
    running statistics (the scenario's optimizer) against world size 1's and across ranks."""
    primary = compare(scenario, strategy, rank, world_size, batch_pool, steps, options)
    probe_scenario = sgd_probe(scenario)
    probe = (compare(probe_scenario, strategy, rank, world_size, batch_pool, steps, options)
             if probe_scenario is not None else None)
    networks = primary.networks
    wire = {"steps": steps, "tolerance": TOLERANCE,
            "optimizer": primary.optimizer,
            "loss": primary.loss,
            "equal": all(n["verdict"] == "equal" for n in networks.values()),
            "maxParamDiff": max(n["vsWorld1"] for n in networks.values()),
            "networks": networks,
            "sgdProbe": probe.networks if probe is not None else None}
    return Equivalence(wire, primary.running_stats)


def run_strategy(strategy_id: str, scenario: Mapping[str, Any], rank: int, world_size: int, device: torch.device,
                 batch_pool: int, warmup_steps: int = 2, steps: int = 5, equivalence_steps: int = 1,
                 options: DdpOptions = DdpOptions(), fault: Fault = None,
                 progress: Callable[[dict[str, Any]], None] = lambda _: None) -> dict[str, Any]:
    """One strategy's cell on this rank: status `ok` with timing, counts and equivalence; or `raised` with PyTorch's
    error (type, message) and where (`phase`: timing or equivalence); or `refused` with the regularizer's refusal (a
    strategy that does not fit the scenario's penalty, in the worker's words). `batch_norm` (null without BatchNorm): what
    DDP did with the networks' BatchNorm buffers and where their running statistics ended up."""
    if strategy_id not in STRATEGIES:
        raise ValueError(f"unknown strategy '{strategy_id}' (known: {', '.join(STRATEGIES)})")
    strategy = STRATEGIES[strategy_id]
    parameters, batch_norms = network_sizes(scenario)
    cell: dict[str, Any] = {"strategy": strategy_id, "rank": rank, "world_size": world_size, "ddp": strategy.ddp,
                            "parameters": parameters,
                            "global_batch": int(scenario["batchSize"]),
                            "shard_batch": int(scenario["batchSize"]) // world_size,
                            "ddp_options": options.to_json() if strategy.ddp else None,
                            "batch_norm": None}
    if any(batch_norms.values()):
        cell["batch_norm"] = {
            "layers": batch_norms,
            # rank 0's buffers broadcast to every rank at each forward: DDP's broadcast_buffers, on a DDP form only
            "broadcastBuffers": strategy.ddp and world_size > 1 and options.broadcast_buffers,
            "runningStats": None,
        }
    phase = "timing"
    try:
        progress({"strategy": strategy_id, "phase": phase})
        cell["timing"] = time_strategy(strategy, scenario, rank, world_size, device, warmup_steps, steps,
                                       batch_pool, options, fault)
        phase = "equivalence"
        progress({"strategy": strategy_id, "phase": phase})
        checked = equivalence(strategy, scenario, rank, world_size, batch_pool, equivalence_steps, options)
        cell["equivalence"] = checked.wire
        if cell["batch_norm"] is not None:
            cell["batch_norm"]["runningStats"] = checked.running_stats
        cell["status"] = "ok"
    except Exception as error:  # PyTorch's error is the cell's outcome, kept as it is
        # The regularizer's refusal of a strategy that does not fit it (WGAN-GP in a one-forward step) is the cell's
        # one line, as at world size 1: `refused`, not an error PyTorch raised.
        cell["status"] = "refused" if refusal(error) else "raised"
        cell["error"] = {**error_record(error), "phase": phase}
        cell["traceback"] = traceback.format_exc()
    return cell


def refusal(error: BaseException) -> bool:
    """The worker's regularization hooks refusing the strategy (Regularization._refuse_wgan's words)."""
    return isinstance(error, RuntimeError) and str(error).startswith("regularizer ") and \
        " does not fit this strategy" in str(error)
