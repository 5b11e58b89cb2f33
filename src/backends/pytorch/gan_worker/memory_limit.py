"""The worker's own memory limit: at start-up, once PyTorch is imported, RLIMIT_AS is set to the address space the
worker holds then plus the budget the harness passes (GAN_BENCH_WORKER_MEMORY_BYTES: the machine's free memory
when the worker started) and a margin for what is reserved but never touched (thread stacks, malloc's arenas). An
allocation past it fails in PyTorch's allocator ("DefaultCPUAllocator: can't allocate memory"): the request fails
and its cells are errored, where the kernel's OOM killer would otherwise end the worker, and perhaps others with
it. Not on CUDA: its driver maps the GPU's memory into the address space, which RLIMIT_AS would refuse."""

from __future__ import annotations

import os
from typing import Mapping, Optional

BUDGET_VARIABLE = "GAN_BENCH_WORKER_MEMORY_BYTES"
# Reserved, never touched: each thread's stack and malloc arena, OpenBLAS's buffers; touched memory is the budget's.
MARGIN_BYTES = 2 << 30


def address_space_bytes() -> Optional[int]:
    """The worker's address space now (VmSize), or None where /proc does not say (not Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def budget_from(env: Mapping[str, str]) -> Optional[int]:
    """The budget in bytes, or None where the harness passed none; a value that is no positive integer is refused."""
    text = env.get(BUDGET_VARIABLE, "").strip()
    if text == "":
        return None
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{BUDGET_VARIABLE} must be a positive whole number of bytes, not '{text}'")
    return int(text)


def limit_address_space(budget: Optional[int], current: Optional[int] = None) -> Optional[int]:
    """Sets RLIMIT_AS to `current` (the address space now) plus `budget` and the margin, never above a limit set
    already; returns the limit set, or None where there is no budget or no resource module (not POSIX)."""
    if budget is None:
        return None
    try:
        import resource
    except ImportError:
        return None
    held = current if current is not None else address_space_bytes()
    if held is None:
        return None
    limit = held + budget + MARGIN_BYTES
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit
