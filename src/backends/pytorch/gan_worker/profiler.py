"""What torch.profiler says about one step: kernels that compute (CPU aten ops or CUDA events) and the CPU's peak
bytes (the running sum of its allocation events)."""

from __future__ import annotations

from typing import Any, List, Optional

# Matrix products: each counts as a computing op on the CPU even where it calls another (cpu_kernel_count).
MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::baddbmm", "aten::addmv", "aten::mv"}
# aten ops that compute nothing on the CPU: views, aliases, allocations, metadata. The CPU kernel count skips them.
NON_COMPUTING_OPS = {
    "aten::as_strided", "aten::view", "aten::_unsafe_view", "aten::reshape", "aten::_reshape_alias", "aten::t",
    "aten::transpose", "aten::permute", "aten::expand", "aten::expand_as", "aten::squeeze", "aten::unsqueeze",
    "aten::slice", "aten::select", "aten::alias", "aten::detach", "aten::detach_", "aten::lift_fresh",
    "aten::resolve_conj", "aten::resolve_neg", "aten::empty", "aten::empty_like", "aten::empty_strided",
    "aten::numel", "aten::size", "aten::stride", "aten::is_nonzero", "aten::result_type", "aten::split",
    "aten::unbind", "aten::chunk", "aten::narrow", "aten::flatten", "aten::view_as", "aten::set_", "aten::resize_",
}


def profiler_tree(prof: Any) -> Optional[List[Any]]:
    """Every event of the profiler's exact call tree (kineto_results.experimental_event_tree), or None where this
    PyTorch lacks it. Its nesting is exact; FunctionEvent.cpu_children is rebuilt from rounded timestamps."""
    try:
        roots = prof.profiler.kineto_results.experimental_event_tree()
    except AttributeError:
        return None
    events = []
    stack = list(roots)
    while stack:
        event = stack.pop()
        stack.extend(event.children)
        events.append(event)
    return events


def cpu_kernel_count(tree: Optional[List[Any]]) -> Optional[int]:
    """aten ops that compute on the CPU: aten ops other than views, allocations and metadata (NON_COMPUTING_OPS)
    that call no other such op (a composite op such as linear counts through the ops it calls), plus every matrix
    product (addmm calls copy_ for its bias, then runs the product itself)."""
    if tree is None:
        return None
    from torch._C._profiler import _EventType

    def computes(event: Any) -> bool:
        return bool(event.tag == _EventType.TorchOp and event.name.startswith("aten::")
                    and event.name not in NON_COMPUTING_OPS)

    count = 0
    for event in tree:
        if computes(event) and (event.name in MATMUL_OPS or not any(computes(child) for child in event.children)):
            count += 1
    return count


def cuda_kernel_count(events: Any) -> int:
    """Device-side events of the step (kernels, memcpy and memset), as torch.profiler records them."""
    return sum(1 for event in events if str(getattr(event, "device_type", "")).endswith("CUDA"))


def cpu_peak_bytes(tree: Optional[List[Any]]) -> Optional[int]:
    """The most bytes allocated on the CPU during the profiled step beyond those before it: the running sum of
    the profiler's allocation events (profile_memory=True), frees negative, in time order."""
    if tree is None:
        return None
    from torch._C._profiler import _EventType

    allocations = []
    for event in tree:
        if event.tag != _EventType.Allocation:
            continue
        fields = event.extra_fields
        device = getattr(fields, "device", None)
        if device is not None and getattr(device, "type", "cpu") != "cpu":
            continue
        allocations.append((event.start_time_ns, fields.alloc_size))
    allocations.sort(key=lambda pair: pair[0])
    live = peak = 0
    for _, size in allocations:
        live += size
        peak = max(peak, live)
    return peak
