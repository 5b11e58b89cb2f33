"""`python -m gan_worker`: the protocol's loop. The worker exits when stdin closes, on shutdown, or on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any, Optional

from .memory_limit import budget_from, limit_address_space
from .protocol import Json, encode_line, failure_line


def log(message: str) -> None:
    print(f"pytorch worker: {message}", file=sys.stderr, flush=True)


def main() -> int:
    # The protocol owns the real stdout; anything else that writes to fd 1 (a library's print, C code) goes to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def write(line: str) -> None:
        protocol.write(line + "\n")
        protocol.flush()

    def emit(message: Json) -> None:
        write(encode_line(message))  # raises NonFiniteOnWire rather than write NaN: the request then fails

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        from .operations import Worker  # imports torch

        worker = Worker(emit)
        if not worker.runtime.is_cuda:
            limit = limit_address_space(budget_from(os.environ))
            if limit is not None:
                log(f"address space limited to {limit / 2**30:.1f} GiB (RLIMIT_AS): an allocation past it fails its request")
    except Exception as error:  # noqa: BLE001 - reported on the protocol, then the worker exits
        write(failure_line(None, error))
        return 3
    emit({"id": None, "ready": True})

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request_id: Optional[Any] = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            op = request.get("op")
            result = worker.handle(op, request.get("params") or {}, request_id)
            emit({"id": request_id, "ok": True, "result": result})
            if op == "shutdown":
                return 0
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # noqa: BLE001 - the request's failure, the worker goes on
            log(traceback.format_exc().rstrip())
            write(failure_line(request_id, error))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
