"""Arrays on the wire: base64 of 4-byte values in the machine's byte order (both ends run on one machine), float32
unless said otherwise: what a Float32Array's buffer holds (src/backends/pytorch/arrays.ts)."""

from __future__ import annotations

import base64
import ctypes

import torch


def decode_array(text: str, dtype: torch.dtype, what: str) -> torch.Tensor:
    """A 1-D CPU tensor from base64 of 4-byte values (float32 or int32), as the harness's typed arrays hold them."""
    try:
        raw = bytearray(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what}: not base64 ({error})") from None
    if len(raw) % 4 != 0:
        raise ValueError(f"{what}: {len(raw)} bytes is not a whole number of 4-byte values")
    if not raw:
        return torch.zeros(0, dtype=dtype)
    return torch.frombuffer(raw, dtype=dtype).clone()


def encode_array(tensor: torch.Tensor) -> str:
    """base64 of a tensor's values as float32 in the machine's byte order (what a Float32Array reads)."""
    values = tensor.detach().to(device="cpu", dtype=torch.float32).contiguous().reshape(-1)
    if values.numel() == 0:
        return ""
    return base64.b64encode(ctypes.string_at(values.data_ptr(), values.numel() * 4)).decode("ascii")
