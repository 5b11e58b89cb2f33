"""Divergence: a huge learning rate makes a small GAN's training non-finite; every check names the step where it was
seen, and nothing non-finite goes on the wire. float64 (the equivalence check) holds a learning rate of 1e300;
float32 does not (the worker refuses it before the first step, as PyTorch's optimizer would raise), so the float32
trainings explode at 1e30."""

from __future__ import annotations

import math
from typing import Any, Dict, List

import pytest
import torch

from conftest import tiny_scenario
from gan_worker.arrays import encode_array
from gan_worker.equivalence import check_equivalence
from gan_worker.gan import Gan, make_batches, make_labels
from gan_worker.protocol import NonFiniteOnWire, encode_line
from gan_worker.timing import time_strategy
from gan_worker.training import train



def exploding(learning_rate: float) -> Dict[str, Any]:
    """The tiny GAN with a hidden layer of 4 in each network (one Linear alone saturates D's sigmoid, and BCELoss
    stays finite), at this learning rate."""
    scenario = tiny_scenario(optimizer={"name": "adam", "learningRate": learning_rate, "beta1": 0.5, "beta2": 0.999,
                                        "epsilon": 1e-8})
    scenario["generator"]["hidden"] = [4]
    scenario["discriminator"]["hidden"] = [4]
    return scenario


REFUSED_STEP = "(the next step raised RuntimeError: all elements of input should be between 0 and 1)"

# Where an exploding training is first seen depends on the BLAS, not on the worker: after step 1 G's weights are about
# +-lr, and at step 2 G's output sums products that overflow with both signs. Debian's PyTorch 1.13 (OpenBLAS)
# accumulates them to inf, D then saturates, step 2 completes and leaves D's weights non-finite, and step 3 is
# refused; PyTorch 2.13's pip wheel gives NaN, and step 2 itself is refused. Either way the worker names the last step
# that completed and what was not finite.
OVERFLOW_SEEN = (
    {"step": 2, "detail": f"discriminator parameters are not finite {REFUSED_STEP}"},
    {"step": 1, "detail": f"generator output is not finite {REFUSED_STEP}"},
)


def training_params(scenario: Dict[str, Any], steps: int, checkpoints: List[int]) -> Dict[str, Any]:
    generator = torch.Generator().manual_seed(0)
    return {
        "scenario": scenario, "strategy": "g-first", "steps": steps, "checkpoints": checkpoints,
        "data": {"steps": steps, "z": encode_array(torch.randn(steps * 2, 1, generator=generator)),
                 "real": encode_array(torch.rand(steps * 2, 1, generator=generator))},
        "evaluationNoise": encode_array(torch.randn(4, 1, generator=generator)), "withParameters": False,
    }


def test_a_training_at_a_learning_rate_of_1e30_stops_where_it_became_non_finite_and_names_the_step() -> None:
    lines: List[Dict[str, Any]] = []
    answer = train(training_params(exploding(1e30), 10, [0, 10]), torch.device("cpu"), lines.append, 1)
    # OpenBLAS: steps 1 and 2 run on finite weights; step 2's update leaves D's weights non-finite, and step 3's
    # BCELoss then refuses D's NaN output: the training diverged after step 2. The pip wheel: step 2's BCELoss refuses
    # G's NaN output (OVERFLOW_SEEN). No checkpoint after step 0 went out.
    assert answer["diverged"] in OVERFLOW_SEEN
    assert answer == {"steps": answer["diverged"]["step"], "checkpoints": 1, "diverged": answer["diverged"]}
    assert [line["progress"]["step"] for line in lines] == [0]


def test_a_learning_rate_beyond_float32_is_refused_before_the_first_step() -> None:
    with pytest.raises(ValueError, match=r"optimizer\.learningRate 1e\+300 is beyond torch\.float32's range"):
        train(training_params(exploding(1e300), 2, [0]), torch.device("cpu"), lambda line: None, 1)


def test_a_training_that_stays_finite_takes_every_step_and_sends_every_checkpoint() -> None:
    answer = train(training_params(tiny_scenario(), 3, [0, 3]), torch.device("cpu"), lambda line: None, 1)
    assert answer == {"steps": 3, "checkpoints": 2, "diverged": None}


def test_a_timing_round_reports_a_strategy_that_diverged_not_a_failure() -> None:
    scenario = exploding(1e30)
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
    batches = make_batches(scenario, 2, labels)
    result = time_strategy(gan, "retain-graph", batches, 0, 1, 0.0, lambda: None)
    # One timed step: finite losses, and an update to finite weights of about 1e30, checked after the round.
    assert (len(result["samplesMs"]), result["error"], result["diverged"]) == (1, None, None)
    # The next step's forward overflows (1e30 x 1e30) to NaN, which BCELoss refuses: that is the divergence after
    # step 1, not a failure of the strategy.
    again = time_strategy(gan, "retain-graph", batches, 0, 1, 0.0, lambda: None)
    assert (again["samplesMs"], again["error"]) == ([], None)
    assert again["diverged"] == {"step": 1, "detail": f"generator output is not finite {REFUSED_STEP}"}


def test_a_timing_round_whose_parameters_are_not_finite_afterwards_has_diverged() -> None:
    scenario = tiny_scenario()
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)

    syncs: List[int] = []

    def poisoned() -> None:  # after the round's last step (the 3rd sync): a weight turned NaN, seen after the round
        syncs.append(1)
        if len(syncs) == 3:
            with torch.no_grad():
                next(gan.G.parameters()).fill_(float("nan"))

    result = time_strategy(gan, "g-first", make_batches(scenario, 2, labels), 1, 2, 0.0, poisoned)
    assert result["diverged"] == {"step": 3, "detail": "generator parameters are not finite"}


def test_the_equivalence_check_at_a_learning_rate_of_1e300_names_the_step_and_never_reports_a_nan_difference() -> None:
    check = check_equivalence(exploding(1e300), ["retain-graph", "g-first"], "retain-graph", 3, lambda line: None, 1)
    # float64 holds 1e300: as at 1e30 in float32 (OVERFLOW_SEEN), step 2's update leaves D non-finite and step 3 is
    # refused, or step 2 is; the reference's divergence leaves g-first without a reference.
    assert check["results"][0]["diverged"] in OVERFLOW_SEEN
    assert check["results"][0]["maxParamDiff"] is None
    assert check["results"][1]["maxParamDiff"] is None
    assert check["results"][1]["error"]["type"] == "ReferenceDiverged"
    encode_line({"id": 1, "ok": True, "result": check})  # all of it is JSON


def test_the_equivalence_check_of_a_finite_training_gives_finite_differences() -> None:
    check = check_equivalence(tiny_scenario(), ["retain-graph", "g-first", "detach-d-first"], "retain-graph", 2,
                              lambda line: None, 1)
    differences = [line["maxParamDiff"] for line in check["results"]]
    assert differences[0] == 0.0 and differences[1] < 1e-12 and differences[2] > 1e-6
    assert all(math.isfinite(d) for d in differences) and all(line["diverged"] is None for line in check["results"])


def test_nan_and_infinity_never_go_on_the_wire() -> None:
    with pytest.raises(NonFiniteOnWire, match="request 7 held a non-finite number"):
        encode_line({"id": 7, "ok": True, "result": {"maxParamDiff": float("nan")}})
    with pytest.raises(NonFiniteOnWire):
        encode_line({"id": 7, "ok": True, "result": [float("inf")]})


def test_an_observed_step_that_pytorch_refuses_on_non_finite_values_fails_with_the_divergence_on_the_wire() -> None:
    from gan_worker.operations import Worker
    from gan_worker.protocol import DivergedError, error_of

    worker = Worker(lambda line: None)
    worker.setup({"scenario": exploding(1e30), "strategies": ["g-first"], "referenceStrategy": "g-first",
                  "batchPool": 2}, 1)
    worker.time({"warmupSteps": 0, "iterations": 1, "timeMs": 0}, 2)  # one step: finite weights of about 1e30
    with pytest.raises(DivergedError) as failure:
        worker.observe({"strategy": "g-first"}, 3)
    diverged = {"step": 1, "detail": f"generator output is not finite {REFUSED_STEP}"}
    assert error_of(failure.value) == {"type": "DivergedError", "message": f"diverged at step 1: {diverged['detail']}",
                                       "diverged": diverged}


def test_setup_refuses_a_reference_strategy_that_is_not_set_up() -> None:
    from gan_worker.operations import Worker

    with pytest.raises(ValueError, match="the reference strategy 'retain-graph' is not among those set up"):
        Worker(lambda line: None).setup({"scenario": tiny_scenario(), "strategies": ["g-first"],
                                         "referenceStrategy": "retain-graph", "batchPool": 4}, 1)
