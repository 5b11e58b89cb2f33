"""The operations, by name (docs/pytorch.md): hello, calibrate, peak, setup, equivalence, observe, time, train,
shutdown. Each takes the request's params and id and returns its answer's result; what TypeScript owns (the
reference strategy, the batch pool's size, when another calibration round fits) arrives in the params."""

from __future__ import annotations

import platform
from typing import Any, Dict, List, Mapping, Optional

import torch

from .calibration import Calibrator, measure_fp32_peak
from .divergence import failed_step_divergence
from .equivalence import check_equivalence
from .flops import flop_counter_kind
from .gan import Batch, Gan, make_batches, make_labels
from .observe import observe_step
from .protocol import PROTOCOL_VERSION, DivergedError, Emit, Json
from .runtime import Runtime, blas_description, device_info
from .strategies import STEPS, STRATEGY_IDS
from .timing import time_round
from .training import TrainingStream, train
from .variant import (COMPILE_MODES, PRECISIONS, Variant, VariantStep, check_variant, compile_phase, dynamo_counts,
                      observe_fields, rewarm, settle_scalers, unsupported)

OPERATIONS = ("hello", "calibrate", "peak", "setup", "equivalence", "observe", "time", "checkVariant", "train", "shutdown")

Params = Mapping[str, Any]


class Worker:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.runtime = Runtime()
        self.calibrator = Calibrator(self.runtime)
        self.scenario: Optional[Mapping[str, Any]] = None
        self.strategies: List[str] = []
        self.reference = ""
        self.trainees: Dict[str, Gan] = {}
        self.batches: List[Batch] = []
        self.variant = Variant()
        self.unsupported: Optional[str] = None  # why this PyTorch cannot run the variant: every observe fails with it
        self.steppers: Dict[str, VariantStep] = {}

    def handle(self, op: str, params: Params, request_id: Any) -> Json:
        if op not in OPERATIONS:
            raise ValueError(f"unknown op '{op}' (known: {', '.join(OPERATIONS)})")
        result: Json = getattr(self, op)(params, request_id)
        return result

    def hello(self, params: Params, request_id: Any) -> Json:
        """What runs: versions, the device, BLAS, threads and how each measure is taken."""
        runtime = self.runtime
        device = device_info(runtime)
        threads = torch.get_num_threads()
        blas = blas_description(runtime)
        version = torch.__version__
        if runtime.is_cuda:
            description = f"pytorch {version} cuda ({device['name']}, {blas}, TF32 off)"
        else:
            description = f"pytorch {version} cpu ({device['name']}, {threads} thread{'s' if threads != 1 else ''}, {blas})"
        flops_by = flop_counter_kind()
        return {
            "protocol": PROTOCOL_VERSION,
            "torch": version,
            "python": platform.python_version(),
            "device": device,
            "description": description,
            "isGpu": runtime.is_cuda,
            "blas": blas,
            "threads": threads,
            "interopThreads": torch.get_num_interop_threads(),
            "threadsSetting": runtime.threads_setting,
            "matmulPrecision": runtime.matmul_precision,
            "strategies": STRATEGY_IDS,
            "variants": {"compile": list(COMPILE_MODES), "precision": list(PRECISIONS)},
            "measures": {
                "flops": "torch.utils.flop_counter.FlopCounterMode" if flops_by == "flop-counter"
                else "torch.utils.flop_counter's formulas in a TorchDispatchMode (mm, addmm, bmm, convolution, convolution_backward)",
                "kernels": "torch.profiler CUDA events" if runtime.is_cuda else "torch.profiler aten ops that compute",
                "peakBytes": "torch.cuda.max_memory_allocated" if runtime.is_cuda
                else "torch.profiler memory events (profile_memory), running sum",
            },
        }

    def calibrate(self, params: Params, request_id: Any) -> Json:
        """One round of the step's products at `layer` (forward, input gradient, weight gradient) and torch.mul over
        its weight's elements, each sample ended by a CUDA sync. TypeScript asks for the untimed warm-up round and
        then each timed round (src/backends/pytorch/calibration.ts)."""
        return self.calibrator.round(params["layer"])

    def peak(self, params: Params, request_id: Any) -> Json:
        """The float32 peak on CUDA ({fp32Peak: null} on the CPU)."""
        return {"fp32Peak": measure_fp32_peak(self.runtime)}

    def setup(self, params: Params, request_id: Any) -> Json:
        """One GAN per strategy, all from the scenario's seed, and a pool of `batchPool` batches, on the worker's
        device; `referenceStrategy` is the equivalence check's reference. With `training` ({data, weights}), the
        GANs start from the harness's weights and the pool is the first `batchPool` batches sent (the quality run's
        timing). `variant` ({compile, precision}, default eager fp32) is how every strategy's step runs in observe,
        time and checkVariant; one this PyTorch or device cannot run fails each observe with the reason."""
        scenario = params["scenario"]
        variant = Variant.of(params.get("variant"))
        strategies = list(params["strategies"])
        reference = params["referenceStrategy"]
        batch_pool = int(params["batchPool"])
        unknown = [sid for sid in strategies if sid not in STEPS]
        if unknown or not strategies:
            raise ValueError(f"unknown strategies {unknown} (known: {', '.join(STRATEGY_IDS)})")
        if reference not in strategies:
            raise ValueError(f"the reference strategy '{reference}' is not among those set up ({', '.join(strategies)})")
        if batch_pool < 2:
            raise ValueError(f"batchPool must be at least 2 (observe steps on batches 0 and 1), not {batch_pool}")
        self.scenario, self.strategies, self.reference = None, [], ""
        self.trainees, self.batches, self.steppers = {}, [], {}
        if self.runtime.is_cuda:
            torch.cuda.empty_cache()
        device = self.runtime.device
        labels = make_labels(int(scenario["batchSize"]), device)
        training = params.get("training")
        if training is None:
            self.batches = make_batches(scenario, batch_pool, labels)
            weights = None
        else:
            stream = TrainingStream(training["data"], scenario, device, labels)
            if stream.steps < batch_pool:
                raise ValueError(f"training.data holds {stream.steps} batches, batchPool is {batch_pool}")
            self.batches = [stream.batch(step) for step in range(batch_pool)]
            weights = training.get("weights")
        self.trainees = {sid: Gan(scenario, device, torch.float32, labels, weights) for sid in strategies}
        self.variant, self.unsupported = variant, unsupported(variant, device)
        if self.unsupported is None and not variant.is_default:
            self.steppers = {sid: VariantStep(variant, sid, gan, device) for sid, gan in self.trainees.items()}
        self.scenario, self.strategies, self.reference = scenario, strategies, reference
        generator, discriminator = next(iter(self.trainees.values())).parameter_counts()
        return {"strategies": strategies, "parameters": {"generator": generator, "discriminator": discriminator}}

    def _require_setup(self) -> Mapping[str, Any]:
        if self.scenario is None:
            raise RuntimeError("no scenario: send setup first")
        return self.scenario

    def _trainee(self, strategy: str) -> Gan:
        self._require_setup()
        if strategy not in self.trainees:
            raise ValueError(f"strategy '{strategy}' was not set up (set up: {', '.join(self.strategies)})")
        return self.trainees[strategy]

    def equivalence(self, params: Params, request_id: Any) -> Json:
        """`steps` float64 steps per strategy on the CPU, each compared with setup's reference strategy."""
        scenario = self._require_setup()
        return check_equivalence(scenario, self.strategies, self.reference, int(params["steps"]), self.emit, request_id)

    def observe(self, params: Params, request_id: Any) -> Json:
        """Two plain steps (warm-up, leak check) on batch 0, then one observed, profiled step on batch 1; the record
        of src/measure/record.ts with `diverged`. A step PyTorch refused on non-finite values leaves no record: the
        request then fails with a DivergedError, whose failure carries `diverged`. Under a step variant the steps are
        the variant's, compiled first (variant.compile_phase, after a Dynamo reset: the strategy's own counters), and
        the answer's `variant` holds compileMs, graphBreaks, recompiles and skippedSteps (also on a failure)."""
        strategy = params["strategy"]
        gan = self._trainee(strategy)
        if self.unsupported is not None:
            raise RuntimeError(f"{self.variant}: {self.unsupported}")
        stepper = self.steppers.get(strategy)
        compiled: Optional[Json] = None
        try:
            if stepper is not None and self.variant.compile != "eager":
                compiled = compile_phase(stepper, gan, self.batches[0], self.runtime.sync)
            if stepper is not None and stepper.scalers:
                settle_scalers(stepper, gan, self.batches[0], self.runtime.sync)
            record, diverged = observe_step(self.runtime, gan, stepper or STEPS[strategy], self.batches[0], self.batches[1])
        except Exception as error:
            if stepper is not None:
                if compiled is None and self.variant.compile != "eager":  # raised while compiling: Dynamo's counts so far
                    compiled = {"compileMs": None, **dynamo_counts()}
                setattr(error, "variant", observe_fields(stepper, compiled))
            refused = failed_step_divergence(gan.steps, gan.G, gan.D, self.batches[1], error)
            if refused is None:
                raise
            raise DivergedError(refused) from error
        answer: Json = {**record, "diverged": diverged}
        if stepper is not None:
            answer["variant"] = observe_fields(stepper, compiled)
        return answer

    def time(self, params: Params, request_id: Any) -> Json:
        """One interleaved round (timing.py): each strategy in turn, its result line with `diverged`."""
        self._require_setup()
        strategies = params.get("strategies") or self.strategies
        for sid in strategies:
            self._trainee(sid)
        for sid in strategies:
            stepper = self.steppers.get(sid)
            if stepper is not None:
                try:
                    rewarm(stepper, self.trainees[sid], self.batches, self.runtime.sync)
                except Exception:  # noqa: BLE001 - the round's own step raises it again, as this strategy's error
                    pass
        steps = {sid: self.steppers.get(sid) or STEPS[sid] for sid in strategies}
        results = time_round(self.trainees, strategies, self.batches, params, self.runtime.sync, self.emit, request_id,
                             steps)
        for line in results:
            stepper = self.steppers.get(line["strategy"])
            if stepper is not None:
                line["variant"] = stepper.round_fields()
        device_bytes = torch.cuda.memory_allocated(self.runtime.device) if self.runtime.is_cuda else None
        return {"results": results, "deviceBytes": device_bytes}

    def checkVariant(self, params: Params, request_id: Any) -> Json:
        """Per strategy (`strategies`, default every one set up): `steps` steps under setup's variant and eager in
        float32 from the same weights and batches, on the worker's device; {strategy, maxParamDiff, error}."""
        scenario = self._require_setup()
        if self.variant.is_default:
            raise ValueError("checkVariant needs a setup with a step variant other than eager fp32")
        strategies = params.get("strategies") or self.strategies
        results = []
        for sid in strategies:
            self.emit({"id": request_id, "progress": {"phase": "checkVariant", "strategy": sid}})
            results.append(check_variant(scenario, self.variant, self.unsupported, sid, int(params["steps"]),
                                         self.runtime.device))
        return {"results": results}

    def train(self, params: Params, request_id: Any) -> Json:
        """A quality run's training (training.py)."""
        return train(params, self.runtime.device, self.emit, request_id)

    def shutdown(self, params: Params, request_id: Any) -> Json:
        return {"bye": True}
