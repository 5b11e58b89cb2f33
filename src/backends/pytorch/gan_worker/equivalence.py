"""The update-equivalence check (the `equivalence` op): in float64 on the CPU, from identical weights and data, each
strategy trains `steps` steps; its largest absolute parameter difference to the reference strategy's (which
TypeScript names in `setup`), and the same for D's BatchNorm running means and variances. A strategy whose losses or
parameters become non-finite has diverged: its line says where, and its difference is null, never NaN."""

from __future__ import annotations

import math
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import torch

from .divergence import Diverged, diverged_at, diverged_message, failed_step_divergence, loss_problem, parameters_problem
from .gan import Gan, make_batches, make_labels
from .models import running_statistics
from .protocol import Emit, Json, error_of
from .strategies import STEPS


class Trained:
    """A strategy's parameters and running statistics after the check's steps, or where it diverged."""

    def __init__(self, parameters: Optional[torch.Tensor], running: Optional[torch.Tensor],
                 diverged: Optional[Diverged]) -> None:
        self.parameters, self.running, self.diverged = parameters, running, diverged


def train_float64(scenario: Mapping[str, Any], strategy: str, steps: int) -> Trained:
    """`steps` steps of `strategy` on the CPU in float64; the losses are checked after every step, the parameters
    after the last."""
    cpu = torch.device("cpu")
    labels = make_labels(int(scenario["batchSize"]), cpu, torch.float64)
    gan = Gan(scenario, cpu, torch.float64, labels)
    for batch in make_batches(scenario, steps, labels):
        try:
            d_loss, g_loss = STEPS[strategy](gan, batch)
        except Exception as error:
            refused = failed_step_divergence(gan.steps, gan.G, gan.D, batch, error)
            if refused is None:
                raise
            return Trained(None, None, refused)
        gan.steps += 1
        diverged = diverged_at(gan.steps, loss_problem([("d_loss", d_loss), ("g_loss", g_loss)]))
        if diverged is not None:
            return Trained(None, None, diverged)
    diverged = diverged_at(gan.steps, parameters_problem(gan.G, gan.D))
    if diverged is not None:
        return Trained(None, None, diverged)
    return Trained(gan.parameters_flat(), running_statistics(gan.D), None)


def largest_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    difference = float((a - b).abs().max()) if a.numel() else 0.0
    if not math.isfinite(difference):  # both finite, so only an overflow of the difference itself
        raise FloatingPointError(f"the largest difference is {difference}")
    return difference


def line(strategy: str, reference: str, error: Optional[Json] = None, diverged: Optional[Diverged] = None,
         max_param_diff: Optional[float] = None, max_running_stats_diff: Optional[float] = None) -> Json:
    return {"strategy": strategy, "reference": reference, "maxParamDiff": max_param_diff,
            "maxRunningStatsDiff": max_running_stats_diff, "error": error, "diverged": diverged}


def check_equivalence(scenario: Mapping[str, Any], strategies: Sequence[str], reference: str, steps: int,
                      emit: Emit, request_id: Any) -> Json:
    """{reference, results: one line per strategy}; a reference that failed or diverged leaves every other strategy
    without a difference (its error says why)."""
    def trained(strategy: str) -> Tuple[Optional[Trained], Optional[Json]]:
        emit({"id": request_id, "progress": {"phase": "equivalence", "strategy": strategy}})
        try:
            return train_float64(scenario, strategy, steps), None
        except Exception as error:  # noqa: BLE001 - this strategy's outcome
            return None, error_of(error)

    base, base_error = trained(reference)
    if base is None or base.diverged is not None or base.parameters is None:
        why = base_error or {"type": "ReferenceDiverged",
                             "message": f"the reference {reference} {diverged_message(base.diverged)}"
                             if base is not None and base.diverged is not None else "no reference"}
        own = base.diverged if base is not None else None
        return {"reference": reference,
                "results": [line(sid, reference, diverged=own) if sid == reference and own is not None
                            else line(sid, reference, error=why) for sid in strategies]}
    results: List[Json] = []
    for sid in strategies:
        if sid == reference:
            results.append(line(sid, reference, max_param_diff=0.0,
                                max_running_stats_diff=0.0 if base.running is not None else None))
            continue
        outcome, error = trained(sid)
        if outcome is None:
            results.append(line(sid, reference, error=error))
        elif outcome.diverged is not None or outcome.parameters is None:
            results.append(line(sid, reference, diverged=outcome.diverged))
        else:
            try:
                running = (largest_difference(outcome.running, base.running)
                           if outcome.running is not None and base.running is not None else None)
                results.append(line(sid, reference, max_param_diff=largest_difference(outcome.parameters, base.parameters),
                                    max_running_stats_diff=running))
            except Exception as failure:  # noqa: BLE001 - this strategy's outcome
                results.append(line(sid, reference, error=error_of(failure)))
    return {"reference": reference, "results": results}
