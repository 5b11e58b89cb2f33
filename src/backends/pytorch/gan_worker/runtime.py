"""The device every measured GAN runs on, threads, TF32 and the BLAS the matrix products run on."""

from __future__ import annotations

import os
import platform
import re
from typing import Any, Dict, Optional, Tuple

import torch

THREADS_VARIABLE = "GAN_BENCH_TORCH_THREADS"


def torch_version() -> Tuple[int, int]:
    """(major, minor) of the running PyTorch, e.g. (1, 13) for '1.13.0a0+git...'."""
    parts = torch.__version__.split("+")[0].split(".")

    def digits(text: str) -> int:
        return int("".join(ch for ch in text if ch.isdigit()) or 0)

    return digits(parts[0]), digits(parts[1]) if len(parts) > 1 else 0


def disable_tf32() -> str:
    """Full float32 matmuls on CUDA; returns the setting as it reads back."""
    matmul: Any = torch.backends.cuda.matmul
    if torch_version() >= (2, 9):  # the new API only: mixing it with allow_tf32 is an error
        matmul.fp32_precision = "ieee"
        return f"torch.backends.cuda.matmul.fp32_precision = {matmul.fp32_precision!r}"
    matmul.allow_tf32 = False
    return f"torch.backends.cuda.matmul.allow_tf32 = {matmul.allow_tf32}"


class Runtime:
    """The device every measured GAN runs on, and how to wait for it."""

    def __init__(self) -> None:
        self.threads_setting: Optional[str] = os.environ.get(THREADS_VARIABLE)
        if self.threads_setting:
            try:
                threads = int(self.threads_setting)
                if threads < 1:
                    raise ValueError
            except ValueError:
                raise ValueError(f"{THREADS_VARIABLE} must be a positive integer, not '{self.threads_setting}'")
            torch.set_num_threads(threads)
        self.device = torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
        if not self.threads_setting and self.device.type == "cpu":
            # One intra-op thread unless told otherwise: what Debian's 1.13 runs by default, what gan_ddp's ranks run,
            # and what single-threaded wasm is compared with. pip's builds default to every core, and OpenMP's
            # threads spinning on cores that other processes share make a step's time the machine's load.
            torch.set_num_threads(1)
        self.matmul_precision: Optional[str] = disable_tf32() if self.device.type == "cuda" else None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def sync(self) -> None:
        if self.is_cuda:
            torch.cuda.synchronize(self.device)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description(runtime: Runtime) -> str:
    """The BLAS the matrix products run on: cuBLAS on CUDA; on the CPU the build's BLAS_INFO (torch.__config__),
    with MKL's version where it is MKL (linked into libtorch), else the BLAS library actually loaded (Debian's
    python3-torch says 'generic' and uses whatever the libblas.so.3 alternative points to: reference BLAS or
    OpenBLAS, a 7x difference)."""
    if runtime.is_cuda:
        return f"cuBLAS (CUDA {getattr(torch.version, 'cuda', None)})"
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    info = found.group(1) if found else None
    if info == "mkl":
        version = re.search(r"Math Kernel Library Version ([0-9.]+)", config)
        return f"MKL {version.group(1)}" if version else "MKL"
    loaded = None
    try:
        torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads a lazily loaded BLAS
        with open("/proc/self/maps") as f:
            paths = [line.split()[-1] for line in f if len(line.split()) >= 6]
        for path in paths:
            name = os.path.basename(path).lower()
            # numpy and scipy bring their own OpenBLAS, which torch does not use
            if any(key in name for key in ("openblas", "libblas", "blis")) and not any(
                    bundle in path for bundle in ("numpy", "scipy")):
                real = os.path.realpath(path)
                loaded = f"{os.path.basename(real)} ({os.path.basename(os.path.dirname(real))})"
                break
    except OSError:
        pass
    return ", ".join(part for part in (info and f"BLAS_INFO={info}", loaded) if part) or "unknown BLAS"


def device_info(runtime: Runtime) -> Dict[str, Any]:
    if runtime.is_cuda:
        props = torch.cuda.get_device_properties(runtime.device)
        return {"type": "cuda", "index": runtime.device.index, "name": props.name,
                "capability": f"{props.major}.{props.minor}", "memoryBytes": props.total_memory}
    return {"type": "cpu", "index": None, "name": cpu_model(), "cores": os.cpu_count()}
