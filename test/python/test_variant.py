"""The step variants (gan_worker/variant.py) on the tiny GAN: the three GradScaler forms' updates per step, fp16's
scaled losses and skipped steps, bf16's forwards, what PyTorch 1.13 cannot run, and torch.compile of the modules and
of the whole step (slow: each compiles with Inductor)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from typing import Any, Dict, List

import pytest
import torch

from conftest import tiny_scenario
from gan_worker import variant as variant_module
from gan_worker.gan import Gan, make_batches, make_labels
from gan_worker.operations import Worker
from gan_worker.variant import Variant, VariantStep, check_variant, unsupported

CPU = torch.device("cpu")
DEBIAN_PYTHON = "/usr/bin/python3"
# torch.compile, torch.amp.GradScaler and CPU fp16 autocast are PyTorch 2's: on 1.13 the worker refuses them by name
# (the two tests of that below run on any version).
needs_torch_2 = pytest.mark.skipif(int(torch.__version__.split(".")[0]) < 2, reason=f"PyTorch {torch.__version__}: variants need 2.x")
WORKER_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "backends", "pytorch")


def tiny_gan() -> Gan:
    return Gan(tiny_scenario(), CPU, torch.float32, make_labels(2, CPU))


def batches(count: int) -> List[Any]:
    return make_batches(tiny_scenario(), count, make_labels(2, CPU))


def run(precision: str, strategy: str, steps: int, compile_mode: str = "eager") -> VariantStep:
    gan = tiny_gan()
    stepper = VariantStep(Variant(compile_mode, precision), strategy, gan, CPU)
    for batch in batches(steps):
        stepper(gan, batch)
    return stepper


@needs_torch_2
@pytest.mark.parametrize("precision, updates_per_step, scalers", [
    ("fp16", 1, 1),  # scaler.update() once, after both scaler.step calls
    ("fp16-update-each", 2, 1),  # the one scaler updated after each optimizer's scaler.step
    ("fp16-per-network", 2, 2),  # each network's scaler updated once, after its own optimizer
])
def test_each_gradscaler_form_calls_scaler_update_its_own_number_of_times_per_step(
        monkeypatch: pytest.MonkeyPatch, precision: str, updates_per_step: int, scalers: int) -> None:
    calls: List[int] = []
    original = torch.amp.GradScaler.update

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(id(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(torch.amp.GradScaler, "update", counted)
    stepper = run(precision, "g-first", 3)
    assert len(calls) == 3 * updates_per_step
    assert len(set(calls)) == scalers == len(stepper.distinct_scalers())
    assert stepper.updates == len(calls)
    assert all(calls.count(scaler) == len(calls) // scalers for scaler in set(calls))


@needs_torch_2
@pytest.mark.parametrize("precision", ["fp16", "fp16-update-each", "fp16-per-network"])
def test_fp16_scales_the_losses_through_fp16_forwards_and_counts_the_steps_whose_scale_went_down(
        monkeypatch: pytest.MonkeyPatch, precision: str) -> None:
    # At a loss scale of 2**40, gradients through float16 activations overflow (float32 ones would not): the first
    # steps are skipped and the scale halves each time. Without the scaling, or without autocast, nothing is skipped.
    monkeypatch.setattr(variant_module, "make_scaler", lambda device: torch.amp.GradScaler(device.type, init_scale=2.0 ** 40))
    stepper = run(precision, "retain-graph", 4)
    assert stepper.skipped_steps >= 1
    assert min(stepper.current_scales()) < 2.0 ** 40
    assert stepper.round_fields() == {"skippedSteps": stepper.skipped_steps, "lossScales": stepper.current_scales()}


@needs_torch_2
def test_bf16_runs_the_forwards_in_bfloat16_and_the_backward_outside_autocast() -> None:
    gan = tiny_gan()
    stepper = VariantStep(Variant("eager", "bf16"), "g-first", gan, CPU)
    seen: Dict[str, Any] = {"forward": [], "backward": []}
    gan.D.register_forward_hook(lambda module, inputs, output: seen["forward"].append(output.dtype))
    original = torch.autograd.backward

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen["backward"].append(torch.is_autocast_enabled("cpu"))
        return original(*args, **kwargs)

    torch.autograd.backward = watched  # type: ignore[assignment]
    try:
        stepper(gan, batches(1)[0])
    finally:
        torch.autograd.backward = original  # type: ignore[assignment]
    assert seen["forward"] and all(dtype == torch.bfloat16 for dtype in seen["forward"])
    assert seen["backward"] == [False, False]


@needs_torch_2
def test_bf16_moves_the_update_further_from_eager_fp32_than_float32_rounding() -> None:
    scenario = tiny_scenario()
    bf16 = check_variant(scenario, Variant("eager", "bf16"), None, "g-first", 3, CPU)
    assert bf16["error"] is None and bf16["maxParamDiff"] > 1e-5  # float32 rounding of 3 steps here: 0 or ~1e-7


@needs_torch_2
def test_the_post_s_printed_strategy_1_runs_under_autocast_its_graph_holding_d_s_bf16_copies() -> None:
    # Autocast saves the bfloat16 casts of D's weights, which optimizer_D.step() does not modify in place: PyTorch's
    # version check has nothing to refuse. The harness's cell says the step ran where PyTorch's error was expected.
    stepper = run("bf16", "retain-graph-printed", 2)
    assert stepper.steps == 2  # both steps ran to the end


def test_a_variant_this_pytorch_cannot_run_is_named_with_its_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(variant_module, "torch_version", lambda: (1, 13))
    reason = unsupported(Variant("step", "fp32"), CPU)
    assert reason is not None and reason.startswith("torch.compile needs PyTorch >= 2.0; this is PyTorch ")
    assert unsupported(Variant("eager", "bf16"), CPU) is None


@pytest.mark.skipif(not os.path.exists(DEBIAN_PYTHON), reason="no Debian python3 with PyTorch 1.13")
def test_on_debian_s_pytorch_1_13_compile_and_cpu_fp16_fail_each_observe_with_the_reason() -> None:
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{WORKER_ROOT!r}, {os.path.dirname(__file__)!r}]
        import torch
        if not torch.__version__.startswith("1.13"):
            print("SKIP", torch.__version__); sys.exit(0)
        from conftest import tiny_scenario
        from gan_worker.operations import Worker
        for compile_mode, precision in (("modules", "fp32"), ("eager", "fp16-per-network")):
            worker = Worker(lambda message: None)
            worker.setup({{"scenario": tiny_scenario(), "strategies": ["g-first"], "referenceStrategy": "g-first",
                           "batchPool": 2, "variant": {{"compile": compile_mode, "precision": precision}}}}, 1)
            try:
                worker.observe({{"strategy": "g-first"}}, 2)
            except RuntimeError as error:
                print(error)
    """)
    try:
        out = subprocess.run([DEBIAN_PYTHON, "-c", script], capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        pytest.skip("no Debian python3")
    if "No module named 'torch'" in out.stderr or out.stdout.startswith("SKIP"):
        pytest.skip("Debian's python3 has no PyTorch 1.13")
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("compile modules, fp32: torch.compile needs PyTorch >= 2.0; this is PyTorch 1.13"), out
    assert lines[1].startswith("compile eager, fp16-per-network: fp16 autocast is not supported on this device (cpu)"), out


def observe(compile_mode: str, precision: str = "fp32") -> Dict[str, Any]:
    worker = Worker(lambda message: None)
    worker.setup({"scenario": tiny_scenario(), "strategies": ["g-first"], "referenceStrategy": "g-first",
                  "batchPool": 2, "variant": {"compile": compile_mode, "precision": precision}}, 1)
    return worker.observe({"strategy": "g-first"}, 2)


@needs_torch_2
@pytest.mark.parametrize("compile_mode", ["modules", "step"])
def test_a_compiled_step_is_counted_as_eager_and_reports_its_compile_time_and_dynamo_s_counters(compile_mode: str) -> None:
    eager = observe("eager")
    compiled = observe(compile_mode)
    fields = compiled["variant"]
    # Inductor's first steps on this machine take seconds; the same steps compiled, milliseconds.
    assert fields["compileMs"] > 500
    assert isinstance(fields["graphBreaks"], int) and isinstance(fields["recompiles"], int)
    if compile_mode == "step":
        assert fields["graphBreaks"] > 0  # Tensor.backward() and the optimizers' zero_grad break the step's graph
    for field in ("flops", "generatorForwards", "discriminatorForwards", "generatorBackwards", "discriminatorBackwards",
                  "backwardCalls", "wastedGradientElements"):
        assert compiled[field] == eager[field], field
    assert compiled["leakedTensors"] == 0
    assert fields["skippedSteps"] is None and fields["lossScales"] is None
    check = check_variant(tiny_scenario(), Variant(compile_mode, "fp32"), None, "g-first", 2, CPU)
    assert check["error"] is None and check["maxParamDiff"] < 1e-5
