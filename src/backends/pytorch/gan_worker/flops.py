"""FLOPs: torch.utils.flop_counter.FlopCounterMode (PyTorch >= 2.1), or its formulas in a TorchDispatchMode
(DispatchFlopCounter, for PyTorch 1.13); GAN_BENCH_FLOP_COUNTER picks one where both exist."""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from .runtime import torch_version

FLOP_COUNTER_VARIABLE = "GAN_BENCH_FLOP_COUNTER"

Shape = Sequence[int]
Formula = Callable[[Any, Any], int]


def flop_counter_kind(environ: Optional[Dict[str, str]] = None) -> str:
    """'flop-counter' (FlopCounterMode, PyTorch >= 2.1) or 'dispatch' (DispatchFlopCounter, PyTorch 1.13)."""
    import os

    env = os.environ if environ is None else environ
    has_flop_counter = torch_version() >= (2, 1)
    chosen = env.get(FLOP_COUNTER_VARIABLE) or ("flop-counter" if has_flop_counter else "dispatch")
    if chosen not in ("flop-counter", "dispatch"):
        raise ValueError(f"{FLOP_COUNTER_VARIABLE} must be 'flop-counter' or 'dispatch', not '{chosen}'")
    if chosen == "flop-counter" and not has_flop_counter:
        raise ValueError(f"{FLOP_COUNTER_VARIABLE}=flop-counter needs PyTorch >= 2.1 (this is {torch.__version__})")
    return chosen


def mm_flop_count(a_shape: Shape, b_shape: Shape) -> int:
    """[m, k] by [k, n]: 2mnk (a multiply-add counts as 2)."""
    (m, k), (_, n) = a_shape, b_shape
    return 2 * m * n * k


def bmm_flop_count(a_shape: Shape, b_shape: Shape) -> int:
    """[b, m, k] by [b, k, n]: 2bmnk."""
    (b, m, k), (_, _, n) = a_shape, b_shape
    return 2 * b * m * n * k


def conv_flop_count(x_shape: Shape, w_shape: Shape, out_shape: Shape, transposed: bool = False) -> int:
    """torch.utils.flop_counter's conv_flop_count: batch x prod(weight) x prod(the output's spatial shape, or the
    input's for a transposed convolution) x 2."""
    batch_size = x_shape[0]
    conv_shape = (x_shape if transposed else out_shape)[2:]
    c_out, c_in, *filter_size = w_shape
    return math.prod(conv_shape) * math.prod(filter_size) * batch_size * c_out * c_in * 2


def conv_backward_flop_count(grad_out_shape: Shape, x_shape: Shape, w_shape: Shape, transposed: bool,
                             output_mask: Sequence[bool], grad_input_shape: Optional[Shape],
                             grad_weight_shape: Optional[Shape]) -> int:
    """torch.utils.flop_counter's conv_backward_flop: the input gradient as a convolution of the output's gradient
    (transposed the other way), the weight gradient as a convolution of the input with the output's gradient."""
    def t(shape: Shape) -> Shape:
        return [shape[1], shape[0], *shape[2:]]

    flops = 0
    if output_mask[0] and grad_input_shape is not None:
        flops += conv_flop_count(grad_out_shape, w_shape, grad_input_shape, not transposed)
    if output_mask[1] and grad_weight_shape is not None:
        if transposed:
            flops += conv_flop_count(t(grad_out_shape), t(x_shape), t(grad_weight_shape), transposed=False)
        else:
            flops += conv_flop_count(t(x_shape), t(grad_out_shape), t(grad_weight_shape), transposed=False)
    return flops


def dispatch_flop_formulas() -> Dict[Any, Formula]:
    """The formulas of torch.utils.flop_counter (PyTorch 2.1) for the products a step runs, by aten op: mm, addmm,
    bmm, baddbmm, convolution and convolution_backward. Each gets the op's args and its output."""
    aten: Any = torch.ops.aten  # type: ignore[attr-defined]

    def shape(tensor: torch.Tensor) -> Shape:
        return list(tensor.shape)

    def mm(args: Any, out: Any) -> int:
        return mm_flop_count(shape(args[0]), shape(args[1]))

    def bmm(args: Any, out: Any) -> int:
        return bmm_flop_count(shape(args[0]), shape(args[1]))

    def convolution(args: Any, out: Any) -> int:
        return conv_flop_count(shape(args[0]), shape(args[1]), shape(out), transposed=bool(args[6]))

    def convolution_backward(args: Any, out: Any) -> int:
        grad_out, x, w = args[0], args[1], args[2]
        transposed, output_mask = bool(args[7]), args[10]
        grad_input, grad_weight = out[0], out[1]
        return conv_backward_flop_count(shape(grad_out), shape(x), shape(w), transposed, output_mask,
                                        shape(grad_input) if grad_input is not None else None,
                                        shape(grad_weight) if grad_weight is not None else None)

    return {
        aten.mm: mm,
        aten.addmm: lambda args, out: mm(args[1:], out),
        aten.bmm: bmm,
        aten.baddbmm: lambda args, out: bmm(args[1:], out),
        aten.convolution: convolution,
        aten._convolution: convolution,
        aten.convolution_backward: convolution_backward,
    }


def dispatch_flop_counter() -> Any:
    """A TorchDispatchMode (PyTorch >= 1.13) that sums torch.utils.flop_counter's formulas over the ops that reach
    the backend, forwards and autograd's backward ops alike (PyTorch 1.13 has no FlopCounterMode, and its
    profiler's with_flops counts neither transposed nor backward convolutions)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    formulas = dispatch_flop_formulas()
    detach = torch.ops.aten.detach  # type: ignore[attr-defined]

    class DispatchFlopCounter(TorchDispatchMode):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.total = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            if func.overloadpacket is detach and not isinstance(out, torch.Tensor):
                # PyTorch 1.13 returns a wrapped number (the 2 of `d_loss / 2`, which autograd saved and detaches
                # as it unpacks it) to Python as an int, which autograd then refuses: detach it as a tensor.
                out = args[0].detach()
            formula = formulas.get(func.overloadpacket)
            if formula is not None:
                self.total += int(formula(args, out))
            return out

        def get_total_flops(self) -> int:
            return self.total

    return DispatchFlopCounter()


def flop_counter_mode(kind: str) -> Any:
    """A FLOP counter of this kind (flop_counter_kind), as a context manager with get_total_flops()."""
    if kind == "flop-counter":
        from torch.utils.flop_counter import FlopCounterMode  # type: ignore[import]

        return FlopCounterMode(display=False)
    return dispatch_flop_counter()
