"""The PyTorch side of gan-update-bench's `pytorch` backend (docs/pytorch.md), run as `python -m gan_worker`.

A long-lived worker: the TypeScript backend (src/backends/pytorch/) starts it and sends one JSON request per line
on stdin; the worker answers each with one JSON line on stdout carrying the request's id. stderr is for logs.

    request    {"id": 1, "op": "setup", "params": {...}}
    progress   {"id": 1, "progress": {...}}                       zero or more, before the answer
    answer     {"id": 1, "ok": true, "result": {...}}
    failure    {"id": 1, "ok": false, "error": {"type": "RuntimeError", "message": "..."}}

One module per concern: protocol (the wire and its JSON), operations (the ops), models and gan (the one GAN builder),
strategies/ (one file per strategy, as src/strategies/), runtime (device, threads, BLAS), observer, flops, profiler
and observe (one observed step), calibration, timing, equivalence, training, arrays (the wire's arrays), divergence.

Python >= 3.9; PyTorch 1.13 and 2.x. Nothing here imports torch at import time of this file: __main__ imports it so
that a failed import is reported on the protocol.
"""
