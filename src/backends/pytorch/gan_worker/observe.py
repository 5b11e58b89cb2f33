"""One observed step of a strategy: the record src/measure/record.ts describes (counts from the StepObserver, FLOPs,
kernels, peak bytes, leaked tensors) and whether the step diverged."""

from __future__ import annotations

import gc
from typing import Any, Dict, Optional, Tuple

import torch

from .divergence import Diverged, diverged_at, loss_problem, parameters_problem
from .flops import flop_counter_kind, flop_counter_mode
from .gan import Batch, Gan
from .observer import StepObserver
from .profiler import cpu_kernel_count, cpu_peak_bytes, cuda_kernel_count, profiler_tree
from .runtime import Runtime
from .strategies import Losses, Step


def _compiler_tensor_types() -> Tuple[type, ...]:
    """torch.compile's FakeTensors: shapes without data that its compilations keep, and free when Dynamo lets go of
    an earlier compilation (another strategy's), not tensors a step holds."""
    try:
        from torch._subclasses.fake_tensor import FakeTensor
    except ImportError:  # PyTorch 1.13 has them too; older ones none
        return ()
    return (FakeTensor,)


def python_tensors() -> int:
    """Tensors Python can reach (gc-tracked torch.Tensor objects, parameters and gradients included; the compiler's
    FakeTensors left out)."""
    gc.collect()
    fake = _compiler_tensor_types()
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor) and not isinstance(obj, fake))


def take_step(gan: Gan, step: Step, batch: Batch) -> Losses:
    """One step, counted in gan.steps (the step a divergence names)."""
    losses = step(gan, batch)
    gan.steps += 1
    return losses


def observe_step(runtime: Runtime, gan: Gan, step: Step, warm_batch: Batch,
                 measured_batch: Batch) -> Tuple[Dict[str, Any], Optional[Diverged]]:
    """A warm step, a plain step whose leaked tensors are counted, then one observed and profiled step. The warm and
    leak-check steps run uninstrumented, so that a strategy PyTorch refuses fails there with PyTorch's own check,
    and so that no measuring tool's own objects count as leaks (FlopCounterMode keeps tensors alive after
    torch.autograd.grad on PyTorch 2.x). On the CPU both run under a memory profiler: allocations made while one
    runs have known sizes when the measured step frees them. FLOPs: FlopCounterMode around the observed step
    (PyTorch >= 2.1), or its formulas in a TorchDispatchMode around one more step (PyTorch 1.13, or
    GAN_BENCH_FLOP_COUNTER=dispatch). After it all, untimed: the observed step's losses and the parameters must be
    finite, else the step diverged."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if runtime.is_cuda else [])

    regularizer = getattr(gan, "regularizer", None)

    def plain_step() -> None:
        # Like the observed step, the first of lazy R1's interval: the leak check compares like steps (the phase
        # leaves D's output bias without a .grad, which a step without it gives one).
        if regularizer is not None:
            regularizer.steps = 0
        if runtime.is_cuda:
            take_step(gan, step, warm_batch)
        else:
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True):
                take_step(gan, step, warm_batch)
        runtime.sync()

    plain_step()
    tensors_before = python_tensors()
    plain_step()
    leaked = python_tensors() - tensors_before
    bytes_before = 0
    if runtime.is_cuda:
        torch.cuda.reset_peak_memory_stats(runtime.device)
        bytes_before = torch.cuda.memory_allocated(runtime.device)
    kind = flop_counter_kind()
    if kind == "flop-counter" and regularizer is not None and regularizer.kind != "none":
        # FlopCounterMode raises on autograd.grad with respect to a leaf (R1's real, "A leaf node was passed to
        # _will_engine_execute_node ..."): its formulas in the dispatch counter count the same products.
        kind = "dispatch"
    # The observed step is the first of lazy R1's interval, so that its counts and FLOPs show the regularization phase.
    if regularizer is not None:
        regularizer.steps = 0
    flop_counter = flop_counter_mode(kind) if kind == "flop-counter" else None
    with StepObserver(gan) as observer:
        with profile(activities=activities, profile_memory=not runtime.is_cuda) as prof:
            if flop_counter is not None:
                with flop_counter:
                    d_loss, g_loss = take_step(gan, step, measured_batch)
            else:
                d_loss, g_loss = take_step(gan, step, measured_batch)
            runtime.sync()
    # Only the values are kept: a loss holds its graph (the saved tensors of the branches no backward freed).
    d_loss, g_loss = d_loss.detach(), g_loss.detach()
    observed_step = gan.steps
    events = prof.events()
    peak: Optional[int]
    if runtime.is_cuda:
        peak = torch.cuda.max_memory_allocated(runtime.device) - bytes_before
        kernels: Optional[int] = cuda_kernel_count(events)
    else:
        tree = profiler_tree(prof)
        peak = cpu_peak_bytes(tree)
        kernels = cpu_kernel_count(tree)
        del tree
    if flop_counter is None:
        # The dispatch counter adds its own aten calls to the profiler's events (and its allocations to the memory
        # profiler's), so on PyTorch 1.13 the FLOPs are counted on one more step of the same strategy and batch:
        # the same shapes, the same products.
        flop_counter = flop_counter_mode(kind)
        if regularizer is not None:
            regularizer.steps = 0
        with flop_counter:
            take_step(gan, step, measured_batch)
        runtime.sync()
    flops = int(flop_counter.get_total_flops())
    del prof, events, flop_counter
    record = observer.counts()
    del observer
    record.update({
        "flops": flops,
        "kernels": kernels,
        "dispatches": None,
        "peakBytes": max(0, int(peak)) if peak is not None else None,
        "leakedTensors": leaked,
    })
    diverged = (diverged_at(observed_step, loss_problem([("d_loss", d_loss), ("g_loss", g_loss)]))
                or diverged_at(gan.steps, parameters_problem(gan.G, gan.D)))
    return record, diverged
