"""The wire: JSON lines, one request in, progress lines and one answer out (src/backends/pytorch/protocol.ts)."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Mapping, Optional

# Bumped with every incompatible change; `hello` answers with it (src/backends/pytorch/protocol.ts).
PROTOCOL_VERSION = 5

Json = Dict[str, Any]
Emit = Callable[[Json], None]


def error_of(error: BaseException) -> Json:
    """A failure as the protocol carries it: the exception's type and message, and `diverged` {step, detail} where
    the failure is a divergence (DivergedError)."""
    failure: Json = {"type": type(error).__name__, "message": str(error)}
    diverged = getattr(error, "diverged", None)
    if diverged is not None:
        failure["diverged"] = diverged
    variant = getattr(error, "variant", None) or getattr(error.__cause__, "variant", None)
    if variant is not None:  # what a step variant measured before its step failed (observe)
        failure["variant"] = variant
    return failure


class DivergedError(FloatingPointError):
    """A request that cannot answer because the training diverged first (observe, where the step PyTorch refused
    leaves no record): its failure carries `diverged`."""

    def __init__(self, diverged: Mapping[str, Any]) -> None:
        super().__init__(f"diverged at step {diverged['step']}: {diverged['detail']}")
        self.diverged = dict(diverged)


class NonFiniteOnWire(ValueError):
    """A message held NaN or an infinity, which JSON cannot carry (json.dumps would write the non-JSON `NaN`)."""


def encode_line(message: Json) -> str:
    """One message as a JSON line. Never NaN or Infinity: those raise NonFiniteOnWire, naming the message's id."""
    try:
        return json.dumps(message, allow_nan=False)
    except ValueError as error:
        raise NonFiniteOnWire(f"the answer to request {message.get('id')} held a non-finite number ({error}); "
                              "the worker sends none") from None


def failure_line(request_id: Optional[int], error: BaseException) -> str:
    """The failure answer to a request (always encodable: its fields are strings)."""
    return json.dumps({"id": request_id, "ok": False, "error": error_of(error)})
