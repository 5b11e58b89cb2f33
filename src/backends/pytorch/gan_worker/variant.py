"""A unit's step variant (issue 22): how the strategy's step is written around it, as people write it on PyTorch 2.

- compile `eager`: the strategy as it is; `modules`: G and D each `torch.compile`d as modules (the GAN's `G` and `D`
  become the compiled modules, sharing their parameters); `step`: the strategy's whole step function `torch.compile`d,
  optimizer steps included, as people compile a train step.
- precision `fp32`; `bf16`: the step under `torch.autocast(device, dtype=torch.bfloat16)`, no scaler; and fp16 under
  autocast with a GradScaler in the three forms trainers write:
  `fp16`              one scaler: `scaler.scale(loss).backward()`, `scaler.step(opt)` per optimizer, `scaler.update()`
                      once at the end of the step (PyTorch's AMP examples, "multiple models, losses and optimizers");
  `fp16-update-each`  one scaler shared by both optimizers, `scaler.update()` after each `scaler.step(opt)`;
  `fp16-per-network`  one scaler per network: D's loss scaled by D's scaler, stepped and updated with it, G's by G's.

The strategies stay the post's code line for line: `VariantStep` runs one under the variant. Autocast covers the
step's forwards and losses and is switched off inside every backward call and optimizer step (PyTorch's advice:
backward outside autocast). Each `loss.backward(...)` / `torch.autograd.grad(loss, ...)` the strategy calls is
`scaler.scale(loss)` backpropagated (torch.autograd.backward/grad are wrapped while the step runs, the way the
observer counts them), and the GAN's optimizers are `ScaledOptimizer`s whose `step()` is `scaler.step(opt)`."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import torch

from .gan import Batch, Gan
from .runtime import torch_version
from .strategies import STEPS, Losses, Step
from .strategies.regularization import as_printed
from .strategies.step import StepGan

COMPILE_MODES = ("eager", "modules", "step")
PRECISIONS = ("fp32", "bf16", "fp16", "fp16-update-each", "fp16-per-network")
SCALED = ("fp16", "fp16-update-each", "fp16-per-network")

# Whose loss each backward call (Tensor.backward or torch.autograd.grad) of a strategy backpropagates, in the order
# its code calls them: with one scaler per network, the loss is scaled by that network's scaler, as one writes
# `scaler_D.scale(d_loss).backward()`. The other forms scale every loss with their one scaler.
LOSS_ORDER: Dict[str, str] = {
    "retain-graph": "DG",
    "retain-graph-printed": "DG",
    "detach-d-first": "DG",
    "detach-d-first-printed": "DG",
    "g-first": "GD",
    "single-forward": "DG",
    "frozen-d": "DG",
}

# Compiling several GANs of one scenario in one process recompiles shared code (Adam.step, the modules' forward) once
# per object: Dynamo's default limit (8) would silently fall back to eager for later strategies.
RECOMPILE_LIMIT = 256


class Variant:
    """A unit's compile mode and precision, as `setup` receives them."""

    def __init__(self, compile_mode: str = "eager", precision: str = "fp32") -> None:
        if compile_mode not in COMPILE_MODES:
            raise ValueError(f"unknown compile mode '{compile_mode}' (known: {', '.join(COMPILE_MODES)})")
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision '{precision}' (known: {', '.join(PRECISIONS)})")
        self.compile, self.precision = compile_mode, precision

    @staticmethod
    def of(params: Optional[Dict[str, Any]]) -> "Variant":
        params = params or {}
        return Variant(str(params.get("compile", "eager")), str(params.get("precision", "fp32")))

    @property
    def is_default(self) -> bool:
        return self.compile == "eager" and self.precision == "fp32"

    @property
    def autocast_dtype(self) -> Optional[torch.dtype]:
        if self.precision == "bf16":
            return torch.bfloat16
        return torch.float16 if self.precision in SCALED else None

    def __str__(self) -> str:
        return f"compile {self.compile}, {self.precision}"


def unsupported(variant: Variant, device: torch.device) -> Optional[str]:
    """Why this PyTorch cannot run the variant on `device` (a sentence for every cell), or None."""
    if variant.compile != "eager" and (torch_version() < (2, 0) or not hasattr(torch, "compile")):
        return f"torch.compile needs PyTorch >= 2.0; this is PyTorch {torch.__version__}"
    dtype = variant.autocast_dtype
    if dtype is not None:
        name = "bf16" if dtype == torch.bfloat16 else "fp16"
        probe = torch.ones(2, 2, device=device)
        try:
            # PyTorch 1.13 warns and runs the CPU in float32 where it does not support the dtype: check the result.
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with torch.autocast(device.type, dtype=dtype):
                    product = torch.mm(probe, probe)
            if product.dtype != dtype:
                raise RuntimeError(f"a product under autocast came out {product.dtype}")
        except Exception as error:  # noqa: BLE001 - the reason, in the cell
            return f"{name} autocast is not supported on this device ({device.type}) in PyTorch {torch.__version__}: {error}"
        if variant.precision in SCALED:
            try:
                make_scaler(device)
            except Exception as error:  # noqa: BLE001
                return f"fp16's GradScaler is not supported on this device ({device.type}) in PyTorch {torch.__version__}: {error}"
    return None


def make_scaler(device: torch.device) -> Any:
    """A GradScaler with PyTorch's defaults (init_scale 2**16, growth every 2000 unskipped steps)."""
    amp: Any = torch.amp
    if hasattr(amp, "GradScaler"):  # PyTorch >= 2.3: any device
        return amp.GradScaler(device.type)
    if device.type == "cuda":
        return torch.cuda.amp.GradScaler()
    raise RuntimeError("torch.amp.GradScaler(device) needs PyTorch >= 2.3; torch.cuda.amp.GradScaler is CUDA's only")


class ScaledOptimizer:
    """What the strategy's `optimizer.step()` is under fp16: `scaler.step(optimizer)`, then `scaler.update()` where
    the form updates after each optimizer. `zero_grad` and the parameter groups are the optimizer's."""

    def __init__(self, optimizer: torch.optim.Optimizer, scaler: Any, update_after_step: bool,
                 on_update: Callable[[], None]) -> None:
        self.optimizer, self.scaler = optimizer, scaler
        self.update_after_step, self.on_update = update_after_step, on_update
        self.device_type = "cpu"

    @property
    def param_groups(self) -> List[Dict[str, Any]]:
        return self.optimizer.param_groups

    @property
    def state(self) -> Any:
        return self.optimizer.state

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        with torch.autocast(self.device_type, enabled=False):
            self.scaler.step(self.optimizer)
            if self.update_after_step:
                self.scaler.update()
                self.on_update()


class _Dynamo:
    resets = 0  # how many times reset_dynamo ran: a stepper warmed before the latest reset compiles again


def reset_dynamo() -> None:
    """Dynamo as in a fresh process: its code caches, counters and compilation records cleared."""
    import torch._dynamo
    from torch._dynamo import utils

    _Dynamo.resets += 1
    torch._dynamo.reset()
    utils.counters.clear()
    if hasattr(utils, "clear_compilation_metrics"):
        utils.clear_compilation_metrics()


def dynamo_counts() -> Dict[str, int]:
    """Dynamo's own records since the last reset: `graphBreaks` (the sum of counters['graph_break'], one per break
    per compilation, by reason), `recompiles` (compilations with a recompile reason: a cached graph's guards failed)
    and `compilations` (every frame compilation recorded)."""
    from torch._dynamo import utils

    metrics = utils.get_compilation_metrics() if hasattr(utils, "get_compilation_metrics") else []
    return {
        "graphBreaks": int(sum(utils.counters["graph_break"].values())),
        "recompiles": sum(1 for metric in metrics if getattr(metric, "recompile_reason", None)),
        "compilations": len(metrics) or int(utils.counters["frames"]["total"]),
    }


def prepare_dynamo() -> None:
    config: Any = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(config, name):
            setattr(config, name, max(int(getattr(config, name)), RECOMPILE_LIMIT))
            break
    from torch._dynamo import utils

    if hasattr(utils, "set_compilation_metrics_limit"):
        utils.set_compilation_metrics_limit(4096)


class VariantStep:
    """One strategy's step under the variant, called as the strategy is, `(gan, batch) -> (d_loss, g_loss)`. Built
    once per GAN: it compiles the GAN's modules (`modules`) and puts ScaledOptimizers on it (fp16). Keeps what the
    cell reports: scaler updates, skipped steps (steps in which a loss scale went down: a scaler found inf/NaN
    gradients and skipped that optimizer's step) and the loss scales."""

    def __init__(self, variant: Variant, strategy: str, gan: Gan, device: torch.device) -> None:
        self.variant, self.strategy, self.device = variant, strategy, device
        self.updates = 0
        # Steps whose loss scale went down, counted on the scales' device: reading a scale (`get_scale()`, an
        # `.item()`) every step would add a host sync inside the timed step that people's steps do not have.
        self._skipped: Optional[torch.Tensor] = None
        self.steps = 0
        self.loss_scales: List[float] = []
        self.scalers: Dict[str, Any] = {}
        step: Step = STEPS[strategy]
        if variant.compile != "eager":
            prepare_dynamo()
        if variant.compile == "modules":
            gan.G = torch.compile(gan.G)  # type: ignore[assignment]
            gan.D = torch.compile(gan.D)  # type: ignore[assignment]
        elif variant.compile == "step":
            # A printed listing's refusal under a regularizer stays outside the compiled step: traced, its check
            # would add a graph break to the listing's own.
            listing = getattr(step, "__wrapped__", None)
            step = as_printed(torch.compile(listing)) if listing is not None else torch.compile(step)
        self.step = step
        if variant.precision in SCALED:
            if variant.precision == "fp16-per-network":
                self.scalers = {"G": make_scaler(device), "D": make_scaler(device)}
            else:
                shared = make_scaler(device)
                self.scalers = {"G": shared, "D": shared}
            each = variant.precision != "fp16"
            wrapped_G = ScaledOptimizer(gan.optimizer_G, self.scalers["G"], each, self._updated)
            wrapped_D = ScaledOptimizer(gan.optimizer_D, self.scalers["D"], each, self._updated)
            wrapped_G.device_type = wrapped_D.device_type = device.type
            gan.optimizer_G = wrapped_G  # type: ignore[assignment]
            gan.optimizer_D = wrapped_D  # type: ignore[assignment]
        self._calls = 0
        self.warmed_at = -1  # the Dynamo reset after which this step last compiled until stable

    def _updated(self) -> None:
        self.updates += 1

    def distinct_scalers(self) -> List[Any]:
        """G's then D's scaler; the one shared scaler once."""
        scalers = [self.scalers["G"]] if self.scalers else []
        if self.scalers and self.scalers["D"] is not self.scalers["G"]:
            scalers.append(self.scalers["D"])
        return scalers

    def current_scales(self) -> List[float]:
        return [float(scaler.get_scale()) for scaler in self.distinct_scalers()]

    @property
    def skipped_steps(self) -> int:
        """Steps in which a loss scale went down (read outside timed steps: one sync)."""
        return 0 if self._skipped is None else int(self._skipped.item())

    def _scale_tensors(self) -> List[torch.Tensor]:
        """Each scaler's scale as a device tensor, without a sync (its initial scale before its first step)."""
        return [scaler._scale.detach().clone() if scaler._scale is not None  # pylint: disable=protected-access
                else torch.tensor(float(scaler.get_scale()), device=self.device) for scaler in self.distinct_scalers()]

    def __call__(self, gan: StepGan, batch: Batch) -> Losses:
        dtype = self.variant.autocast_dtype
        if dtype is None:
            return self.step(gan, batch)
        before = self._scale_tensors() if self.scalers else []
        self._calls = 0
        original_backward, original_grad = torch.autograd.backward, torch.autograd.grad
        torch.autograd.backward = self._backward(original_backward)  # type: ignore[assignment]
        torch.autograd.grad = self._grad(original_grad)  # type: ignore[assignment]
        try:
            with torch.autocast(self.device.type, dtype=dtype):
                losses = self.step(gan, batch)
        finally:
            torch.autograd.backward, torch.autograd.grad = original_backward, original_grad  # type: ignore[assignment]
        if self.variant.precision == "fp16":
            self.scalers["G"].update()  # once per step, after the last scaler.step
            self._updated()
        self.steps += 1
        if before:
            went_down = torch.stack([after.to(earlier.device) < earlier for after, earlier in zip(self._scale_tensors(), before)]).any()
            self._skipped = went_down.long() if self._skipped is None else self._skipped + went_down.long()
        return losses

    def _scale(self, outputs: Any) -> Any:
        if not self.scalers:
            return outputs
        order = LOSS_ORDER.get(self.strategy, "")
        network = order[self._calls] if self._calls < len(order) else None
        self._calls += 1
        if network is None:
            raise RuntimeError(f"{self.strategy} made backward call {self._calls}, more than the {len(order)} whose "
                               "network's scaler is known (LOSS_ORDER)")
        return self.scalers[network].scale(outputs)

    def _backward(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            scaled = self._scale(tensors)
            with torch.autocast(self.device.type, enabled=False):
                return original(scaled, *args, **kwargs)
        return backward

    def _grad(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def grad(outputs: Any, *args: Any, **kwargs: Any) -> Any:
            scaled = self._scale(outputs)
            with torch.autocast(self.device.type, enabled=False):
                return original(scaled, *args, **kwargs)
        return grad

    def round_fields(self) -> Dict[str, Any]:
        """What a timing round adds to the cell: skipped steps so far and the loss scales after each round."""
        if not self.scalers:
            return {}
        self.loss_scales.extend(self.current_scales())
        return {"skippedSteps": self.skipped_steps, "lossScales": list(self.loss_scales)}


def compile_phase(stepper: VariantStep, gan: Gan, batch: Batch, sync: Callable[[], None],
                  max_steps: int = 8) -> Dict[str, Any]:
    """After a Dynamo reset, steps until one compiles nothing new (the compiling steps, at most `max_steps`), then as
    many compiled steps: `compileMs` is the first steps' time beyond the second's. Dynamo's graph breaks and
    recompilations are read here, before any measuring tool runs a step (the observer's hooks and the FLOP counter
    can make Dynamo compile again)."""
    reset_dynamo()

    def timed() -> float:
        start = time.perf_counter()
        stepper(gan, batch)
        sync()
        gan.steps += 1
        return (time.perf_counter() - start) * 1000

    compiling: List[float] = []
    while len(compiling) < max_steps:
        before = dynamo_counts()["compilations"]
        elapsed = timed()
        if dynamo_counts()["compilations"] == before and compiling:
            break
        compiling.append(elapsed)
    compiled = [timed() for _ in compiling]
    stepper.warmed_at = _Dynamo.resets
    counts = dynamo_counts()
    return {"compileMs": sum(compiling) - sum(compiled), "compileSteps": len(compiling),
            "graphBreaks": counts["graphBreaks"], "recompiles": counts["recompiles"]}


def rewarm(stepper: VariantStep, gan: Gan, batches: Sequence[Batch], sync: Callable[[], None],
           max_steps: int = 8) -> None:
    """A compiled step whose code another strategy's Dynamo reset dropped (every observe resets): untimed steps
    until one compiles nothing new, so that the timing round's warm-up and samples find it compiled again."""
    if stepper.variant.compile == "eager" or stepper.warmed_at == _Dynamo.resets:
        return
    for _ in range(max_steps):
        before = dynamo_counts()["compilations"]
        stepper(gan, batches[gan.pool_position % len(batches)])
        sync()
        gan.pool_position += 1
        gan.steps += 1
        if dynamo_counts()["compilations"] == before:
            break
    stepper.warmed_at = _Dynamo.resets


def settle_scalers(stepper: VariantStep, gan: Gan, batch: Batch, sync: Callable[[], None],
                   max_steps: int = 32) -> None:
    """fp16: steps until one in which no loss scale went down (GradScaler starts at 2**16 and halves at every step
    whose gradients overflow, skipping that optimizer's step). Until then an optimizer whose steps were all skipped
    has no state yet: Adam would create its moments during the observe's leak-check step, counted as leaked."""
    for _ in range(max_steps):
        skipped = stepper.skipped_steps
        stepper(gan, batch)
        sync()
        gan.steps += 1
        if stepper.skipped_steps == skipped:
            return


def observe_fields(stepper: VariantStep, compiled: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The variant's fields of an observe answer (null where they do not apply)."""
    return {
        "compileMs": compiled["compileMs"] if compiled else None,
        "graphBreaks": compiled["graphBreaks"] if compiled else None,
        "recompiles": compiled["recompiles"] if compiled else None,
        "skippedSteps": stepper.skipped_steps if stepper.scalers else None,
        "lossScales": None,
    }


def train_steps(step: Callable[[Gan, Batch], Losses], gan: Gan, batches: Sequence[Batch]) -> None:
    for batch in batches:
        step(gan, batch)
        gan.steps += 1


def check_variant(scenario: Mapping[str, Any], variant: Variant, why_unsupported: Optional[str], strategy: str,
                  steps: int, device: torch.device) -> Dict[str, Any]:
    """{strategy, maxParamDiff, error}: `steps` steps of `strategy` eager in float32 and under the variant, from the
    same weights (the scenario's seed) and batches, on `device`; the largest absolute parameter difference. The
    error (type: message) where the variant cannot run, raised, or left a parameter non-finite."""
    from .divergence import diverged_message, parameters_problem
    from .equivalence import largest_difference
    from .gan import make_batches, make_labels
    from .protocol import error_of

    def failed(message: str) -> Dict[str, Any]:
        return {"strategy": strategy, "maxParamDiff": None, "error": message}

    if why_unsupported is not None:
        return failed(f"{variant}: {why_unsupported}")
    labels = make_labels(int(scenario["batchSize"]), device)
    batches = make_batches(scenario, steps, labels)
    try:
        eager = Gan(scenario, device, torch.float32, labels)
        train_steps(STEPS[strategy], eager, batches)
    except Exception as error:  # noqa: BLE001 - this strategy's outcome
        return failed(f"eager fp32 raised {error_of(error)['type']}: {error}")
    try:
        varied = Gan(scenario, device, torch.float32, labels)
        stepper = VariantStep(variant, strategy, varied, device)
        if variant.compile != "eager":
            reset_dynamo()
        train_steps(stepper, varied, batches)
    except Exception as error:  # noqa: BLE001
        return failed(f"{variant} raised {error_of(error)['type']}: {error}")
    for gan, name in ((eager, "eager fp32"), (varied, str(variant))):
        problem = parameters_problem(gan.G, gan.D)
        if problem is not None:
            return failed(f"{name} {diverged_message({'step': gan.steps, 'detail': problem})}")
    return {"strategy": strategy, "maxParamDiff": largest_difference(varied.parameters_flat(), eager.parameters_flat()),
            "error": None}
