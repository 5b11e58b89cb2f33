"""Calibration: the step's own products and one elementwise op at a layer's shapes (src/measure/calibration.ts),
one round per request (TypeScript decides when another round fits, with anotherRoundFits, and summarises), and on
CUDA the float32 peak."""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import torch

from .runtime import Runtime

PEAK_SIZE = 8192  # the float32 peak's product: 8192 x 8192 by 8192 x 8192 (1.1 TFLOP), on CUDA only
PEAK_REPEATS = 5

# (name as src/measure/calibration.ts's forms and 'elementwise', the PyTorch call, fresh operands, the timed call)
Workload = Tuple[str, str, Callable[[], List[torch.Tensor]], Callable[..., torch.Tensor]]


def calibration_workloads(layer: Mapping[str, Any], device: torch.device) -> Tuple[List[Workload], int]:
    """The three products as PyTorch's nn.Linear runs them in a step, on fresh operands each time (new tensors, as
    after an optimizer step), and torch.mul over a weight matrix's elements. PyTorch stores W as [out, in]: its
    forward is addmm(b, x, W.t()) (F.linear), the input gradient dY.mm(W), the weight gradient dY.t().mm(X)
    (autograd's mm backward for a transposed mat2), so the forms are the same roles as tfjs's."""
    b, i, o = int(layer["batchSize"]), int(layer["inputSize"]), int(layer["outputSize"])
    generator = torch.Generator(device="cpu").manual_seed(1)

    def base(*shape: int) -> torch.Tensor:
        return (torch.rand(*shape, generator=generator) * 2 - 1).to(device)

    x, w, bias, dy, a, c = base(b, i), base(o, i), base(o), base(b, o), base(o, i), base(o, i)

    def fresh(*tensors: torch.Tensor) -> List[torch.Tensor]:
        return [t.neg() for t in tensors]  # a new buffer, same shape

    return [
        ("plain", "torch.addmm(b, x, W.t())", lambda: fresh(x, w, bias), lambda x_, w_, b_: torch.addmm(b_, x_, w_.t())),
        ("transposeB", "dY.mm(W)", lambda: fresh(dy, w), lambda dy_, w_: dy_.mm(w_)),
        ("transposeA", "dY.t().mm(X)", lambda: fresh(dy, x), lambda dy_, x_: dy_.t().mm(x_)),
        ("elementwise", "torch.mul", lambda: fresh(a, c), lambda a_, c_: torch.mul(a_, c_)),
    ], o * i


class Calibrator:
    """The workloads of the latest layer asked for (made once, on its first round), timed one round per request."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.key: Optional[str] = None
        self.workloads: List[Workload] = []
        self.elements = 0

    def round(self, layer: Mapping[str, Any]) -> Dict[str, Any]:
        """Each workload once, interleaved, each sample ended by a CUDA sync: {samplesMs: {plain, transposeB,
        transposeA, elementwise}, operations: {form: PyTorch call}, elementwise: {kernel, elements}}."""
        key = repr(sorted((k, layer[k]) for k in ("batchSize", "inputSize", "outputSize")))
        if key != self.key:
            self.workloads, self.elements = [], 0
            self.workloads, self.elements = calibration_workloads(layer, self.runtime.device)
            self.key = key
        samples: Dict[str, float] = {}
        with torch.no_grad():
            for name, _, prepare, run in self.workloads:
                inputs = prepare()
                self.runtime.sync()
                start = time.perf_counter()
                output = run(*inputs)
                self.runtime.sync()
                samples[name] = (time.perf_counter() - start) * 1000
                del output, inputs
        return {
            "samplesMs": samples,
            "operations": {name: operation for name, operation, *_ in self.workloads if name != "elementwise"},
            "elementwise": {"kernel": "torch.mul", "elements": self.elements},
        }


def measure_fp32_peak(runtime: Runtime) -> Optional[Dict[str, Any]]:
    """The best of PEAK_REPEATS float32 products of PEAK_SIZE^3 on CUDA (TF32 off, as the runtime set it), after one
    untimed product; None on the CPU."""
    if not runtime.is_cuda:
        return None
    size = PEAK_SIZE
    a = torch.randn(size, size, device=runtime.device)
    b = torch.randn(size, size, device=runtime.device)
    try:
        torch.mm(a, b)
        runtime.sync()
        best = math.inf
        for _ in range(PEAK_REPEATS):
            start = time.perf_counter()
            torch.mm(a, b)
            runtime.sync()
            best = min(best, (time.perf_counter() - start) * 1000)
    finally:
        del a, b
        torch.cuda.empty_cache()
    flops = 2 * size ** 3
    return {"size": size, "flops": flops, "repeats": PEAK_REPEATS, "bestMs": best,
            "flopsPerSecond": flops / (best / 1000), "precision": runtime.matmul_precision}
