"""The worker's own memory limit (gan_worker/memory_limit.py): an allocation past the budget fails in PyTorch's
allocator, as a request's error, instead of calling the kernel's OOM killer. Each limit is set in a child process, so
that the test process keeps its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gan_worker.memory_limit import BUDGET_VARIABLE, MARGIN_BYTES, budget_from, limit_address_space

PACKAGE_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "backends", "pytorch")


def test_the_budget_is_read_as_whole_bytes_and_a_malformed_one_is_refused_by_name() -> None:
    assert budget_from({}) is None
    assert budget_from({BUDGET_VARIABLE: " 1024 "}) == 1024
    for text in ("-5", "1e9", "lots", "0"):
        with pytest.raises(ValueError, match=BUDGET_VARIABLE):
            budget_from({BUDGET_VARIABLE: text})


def test_no_budget_sets_no_limit() -> None:
    assert limit_address_space(None) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/statm are Linux's")
def test_an_allocation_past_the_budget_fails_in_pytorch_and_the_worker_goes_on() -> None:
    script = f"""
import torch
from gan_worker.memory_limit import limit_address_space
limit_address_space({256 << 20})
try:
    torch.zeros({(MARGIN_BYTES + (1 << 30)) // 4}, dtype=torch.float32)
except RuntimeError as error:
    print("refused:", str(error).splitlines()[0])
print(float(torch.ones(1000).sum()))
"""
    env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "refused: " in done.stdout and "allocate" in done.stdout
    assert done.stdout.strip().endswith("1000.0")
