"""All-reduce calls and bytes, counted where they are issued, and the time they are in flight.

Two places, between them every gradient all-reduce of the strategies:
- DDP forms: a DDP communication hook (`register_comm_hook`) on each wrapper. DDP calls it once per gradient bucket
  that becomes ready in a backward pass its reducer is expecting; the hook counts the bucket's buffer (its elements
  times the element size: the bytes each rank contributes to the all-reduce) and hands it to PyTorch's own
  `default_hooks.allreduce_hook` (divide by the world size, `dist.all_reduce`, what DDP does without a hook).
- the flat form and anything else in Python: `torch.distributed.all_reduce` wrapped for the step's duration.
`profiled_collectives` counts the collective operators dispatched (torch.profiler's `c10d::allreduce_`,
`c10d::broadcast_`, ..., recorded on the thread that issues them, whoever issues them: DDP's reducer, a hook or
Python), an independent check that no collective was missed. (The backend's own `gloo:all_reduce` events run on
gloo's worker threads and are not all seen by the profiler: not counted.)

No `from __future__ import annotations` here: DDP checks the hook's annotations against the real classes.
"""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import torch
import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.nn.parallel import DistributedDataParallel


@dataclass
class CommRecord:
    via: str  # "ddp-hook" (a DDP bucket) or "all_reduce" (a torch.distributed.all_reduce call)
    network: Optional[str]  # "G" / "D" for a DDP bucket; None for a direct call
    elements: int
    bytes: int
    start: float  # time.perf_counter() at the call
    end: Optional[float] = None  # when the all-reduce had completed (the future's callback, or the call's return)


@dataclass
class CommCounter:
    """Counts while `counting` (one step's window), so that DDP's construction broadcast, barriers and the
    measurement's own collectives stay out."""

    counting: bool = False
    records: list[CommRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_hook: threading.local = field(default_factory=threading.local)  # the hook's own all_reduce is its bucket's

    def reset(self) -> None:
        with self._lock:
            self.records = []

    @contextlib.contextmanager
    def window(self) -> Iterator[None]:
        self.reset()
        self.counting = True
        try:
            yield
        finally:
            self.counting = False

    def _add(self, record: CommRecord) -> Optional[CommRecord]:
        if not self.counting:
            return None
        with self._lock:
            self.records.append(record)
        return record

    def hook_for(self, network: str) -> Callable[[Any, dist.GradBucket], torch.futures.Future[torch.Tensor]]:  # type: ignore[name-defined]
        counter = self

        def counting_allreduce_hook(state: Any, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:  # type: ignore[name-defined]
            buffer = bucket.buffer()
            record = counter._add(CommRecord("ddp-hook", network, buffer.numel(),
                                             buffer.numel() * buffer.element_size(), time.perf_counter()))
            counter._in_hook.active = True
            try:
                future = default_hooks.allreduce_hook(state, bucket)
            finally:
                counter._in_hook.active = False
            if record is None:
                return future
            counted: CommRecord = record

            def completed(f: torch.futures.Future[torch.Tensor]) -> torch.Tensor:
                counted.end = time.perf_counter()
                return f.value()

            return future.then(completed)

        return counting_allreduce_hook

    def register(self, module: torch.nn.Module, network: str) -> None:
        """The counting hook on a DDP wrapper (process group None: the default group, as allreduce_hook takes it). A
        view of one DDP around the whole GAN (strategies.Part) registers its wrapper once, as network "GAN"."""
        wrapper = getattr(module, "wrapper", None)
        if isinstance(wrapper, DistributedDataParallel):
            if not getattr(wrapper, "_gan_ddp_counted", False):
                setattr(wrapper, "_gan_ddp_counted", True)
                ddp_whole: Any = wrapper
                ddp_whole.register_comm_hook(None, self.hook_for("GAN"))
            return
        if isinstance(module, DistributedDataParallel):
            ddp: Any = module  # see strategies.no_sync
            ddp.register_comm_hook(None, self.hook_for(network))

    @contextlib.contextmanager
    def patched_all_reduce(self) -> Iterator[None]:
        """torch.distributed.all_reduce counted and timed (synchronous calls: the call's duration; async_op=True:
        until its future completes). Calls from within the DDP hook are the hook's bucket, counted there."""
        original = dist.all_reduce
        counter = self

        def all_reduce(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            if getattr(counter._in_hook, "active", False):
                return original(tensor, *args, **kwargs)
            record = counter._add(CommRecord("all_reduce", None, tensor.numel(),
                                             tensor.numel() * tensor.element_size(), time.perf_counter()))
            work = original(tensor, *args, **kwargs)
            if record is not None:
                counted: CommRecord = record
                if work is None:
                    counted.end = time.perf_counter()
                else:
                    def completed(f: torch.futures.Future[Any]) -> None:
                        counted.end = time.perf_counter()

                    work.get_future().then(completed)
            return work

        dist.all_reduce = all_reduce
        try:
            yield
        finally:
            dist.all_reduce = original

    def summary(self) -> dict[str, Any]:
        """Calls and bytes (per rank's contribution), per network for DDP buckets, and the time in communication:
        the union of the intervals during which at least one all-reduce was in flight, in ms."""
        with self._lock:
            records = list(self.records)
        by_network: dict[str, dict[str, int]] = {}
        for r in records:
            key = r.network or "flat"
            entry = by_network.setdefault(key, {"calls": 0, "bytes": 0})
            entry["calls"] += 1
            entry["bytes"] += r.bytes
        return {
            "allreduce_calls": len(records),
            "allreduce_bytes": sum(r.bytes for r in records),
            "allreduce_by_network": by_network,
            "allreduce_sizes": [r.elements for r in records],
            "comm_ms": in_flight_ms(records),
            "incomplete": sum(1 for r in records if r.end is None),
        }


def in_flight_ms(records: list[CommRecord]) -> float:
    intervals = sorted((r.start, r.end) for r in records if r.end is not None)
    total, current_start, current_end = 0.0, None, None
    for start, end in intervals:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total * 1e3


def profiled_collectives(run: Callable[[], object]) -> dict[str, int]:
    """Runs `run` under torch.profiler and counts the collective operators dispatched, by name (`c10d::allreduce_`,
    `c10d::broadcast_`, ...): what the process group was asked to do, whoever asked."""
    with torch.profiler.profile() as prof:
        run()
    counts: dict[str, int] = {}
    for event in prof.events():
        if event.name.startswith("c10d::"):
            counts[event.name] = counts.get(event.name, 0) + 1
    return counts
