"""One interleaved timing round (the `time` op): each strategy in turn takes untimed warm-up steps, then timed steps
until it has enough samples and milliseconds; after its round, untimed, every parameter must be finite."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from .divergence import diverged_at, failed_step_divergence, parameters_problem
from .gan import Batch, Gan
from .protocol import Emit, Json, error_of
from .strategies import STEPS, Losses

StepFn = Callable[[Gan, Batch], Losses]


def time_strategy(gan: Gan, strategy: str, batches: Sequence[Batch], warmup: int, iterations: int, time_ms: float,
                  sync: Callable[[], None], step: Optional[StepFn] = None) -> Json:
    """One strategy's part of a round: {strategy, samplesMs, error, diverged}. A sample is time.perf_counter()
    around one step, ended by `sync` (torch.cuda.synchronize() on CUDA). The strategy cycles through the pool. `step`
    is the strategy's step under the unit's variant (variant.VariantStep), its plain step by default."""
    step = step or STEPS[strategy]
    samples: List[float] = []
    try:
        for _ in range(warmup):
            step(gan, batches[gan.pool_position % len(batches)])
            gan.pool_position += 1
            gan.steps += 1
            sync()
        total = 0.0
        while len(samples) < iterations or total < time_ms:
            batch = batches[gan.pool_position % len(batches)]
            start = time.perf_counter()
            step(gan, batch)
            sync()
            elapsed = (time.perf_counter() - start) * 1000
            gan.pool_position += 1
            gan.steps += 1
            samples.append(elapsed)
            total += elapsed
    except Exception as failure:  # noqa: BLE001 - this strategy's outcome; the others go on
        refused = failed_step_divergence(gan.steps, gan.G, gan.D, batches[gan.pool_position % len(batches)], failure)
        return {"strategy": strategy, "samplesMs": samples, "error": error_of(failure) if refused is None else None,
                "diverged": refused}
    diverged = diverged_at(gan.steps, parameters_problem(gan.G, gan.D))
    return {"strategy": strategy, "samplesMs": samples, "error": None, "diverged": diverged}


def time_round(trainees: Mapping[str, Gan], strategies: Sequence[str], batches: Sequence[Batch], params: Mapping[str, Any],
               sync: Callable[[], None], emit: Emit, request_id: Any,
               steps: Optional[Mapping[str, StepFn]] = None) -> List[Dict[str, Any]]:
    """Every strategy's part of one round, in order, with a progress line after each."""
    warmup = int(params.get("warmupSteps", 0))
    iterations = max(1, int(params["iterations"]))
    time_ms = float(params["timeMs"])
    results = []
    for strategy in strategies:
        step = steps[strategy] if steps is not None else None
        result = time_strategy(trainees[strategy], strategy, batches, warmup, iterations, time_ms, sync, step)
        results.append(result)
        emit({"id": request_id, "progress": {"phase": "time", "strategy": strategy, "samples": len(result["samplesMs"])}})
    return results
