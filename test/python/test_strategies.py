"""One step of each strategy on the tiny GAN (conftest.tiny_scenario: G and D each one Linear(1, 1), 2 parameters
each), its passes, backward calls and wasted gradient elements counted by the worker's StepObserver, each derived by
hand; and the post's printed strategies failing with PyTorch's own messages."""

from __future__ import annotations

from typing import Any, Dict

import pytest
import torch

from conftest import tiny_scenario
from gan_worker.gan import Gan, make_batches, make_labels
from gan_worker.observer import StepObserver
from gan_worker.strategies import STEPS, STRATEGY_IDS

COUNTED = ("generatorForwards", "discriminatorForwards", "generatorBackwards", "discriminatorBackwards",
           "backwardCalls", "wastedGradientElements")


def one_step(strategy: str) -> Dict[str, Any]:
    scenario = tiny_scenario()
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
    batch = make_batches(scenario, 1, labels)[0]
    with StepObserver(gan) as observer:
        STEPS[strategy](gan, batch)
    return {field: observer.counts()[field] for field in COUNTED}


# Per strategy: G forwards, D forwards, G backward passes, D backward passes, backward calls, wasted elements.
HAND_COUNTS = {
    # D(G(z)) and D(real); d_loss reaches D twice (both forwards) and G once; g_loss D once and G once. Wasted:
    # G's 2 from d_loss (zero_grad) and D's 2 from g_loss (the set-aside gradients are put back).
    "retain-graph": (1, 2, 2, 3, 2, 4),
    # D(G(z).detach()), D(real), then D(G(z)) again: d_loss reaches D twice (G is detached), g_loss D and G once
    # each. Wasted: D's 2 from g_loss, never used (D stepped before).
    "detach-d-first": (1, 3, 1, 3, 2, 2),
    # D(G(z)) for g_loss (D and G once), then D(real) and D(G(z).detach()) for d_loss (D twice). Wasted: D's 2
    # from g_loss, discarded by optimizer_D.zero_grad.
    "g-first": (1, 3, 1, 3, 2, 2),
    # One forward; autograd.grad asks d_loss for D's parameters only (through both D forwards; autograd stops
    # there, G is not reached) and g_loss for G's (through D once and G once). Nothing wasted.
    "single-forward": (1, 2, 1, 3, 2, 0),
    # As detach-d-first, but D's parameters frozen for g_loss: its 2 gradient elements are never computed.
    "frozen-d": (1, 3, 1, 3, 2, 0),
}


@pytest.mark.parametrize("strategy", list(HAND_COUNTS))
def test_one_step_takes_the_passes_and_wastes_the_gradients_counted_by_hand(strategy: str) -> None:
    assert tuple(one_step(strategy).values()) == HAND_COUNTS[strategy]


def test_every_strategy_of_the_harness_has_a_step_here() -> None:
    assert STRATEGY_IDS == ["retain-graph", "detach-d-first", "g-first", "single-forward", "frozen-d",
                            "retain-graph-printed", "detach-d-first-printed"]


def test_every_step_returns_its_finite_losses_and_changes_both_networks() -> None:
    for strategy in HAND_COUNTS:
        scenario = tiny_scenario()
        labels = make_labels(2, torch.device("cpu"))
        gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
        before = [p.detach().clone() for p in (*gan.G.parameters(), *gan.D.parameters())]
        d_loss, g_loss = STEPS[strategy](gan, make_batches(scenario, 1, labels)[0])
        assert bool(torch.isfinite(d_loss)) and bool(torch.isfinite(g_loss)), strategy
        after = list((*gan.G.parameters(), *gan.D.parameters()))
        assert all(not torch.equal(a, b) for a, b in zip(before, after)), strategy


def printed_failure(strategy: str) -> str:
    scenario = tiny_scenario()
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
    with pytest.raises(RuntimeError) as failure:
        STEPS[strategy](gan, make_batches(scenario, 1, labels)[0])
    return str(failure.value)


def test_the_posts_strategy_1_as_printed_fails_with_pytorchs_in_place_error() -> None:
    assert printed_failure("retain-graph-printed").startswith(
        "one of the variables needed for gradient computation has been modified by an inplace operation")


def test_the_posts_strategy_2_as_printed_fails_with_pytorchs_freed_graph_error() -> None:
    assert printed_failure("detach-d-first-printed").startswith("Trying to backward through the graph a second time")


def wasserstein_step(strategy: str, kind: str) -> Dict[str, Any]:
    scenario = tiny_scenario(regularizer={"kind": kind, "gamma": 10, "every": 16, "nCritic": 5})
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
    batch = make_batches(scenario, 1, labels)[0]
    with StepObserver(gan) as observer:
        STEPS[strategy](gan, batch)
    counts = observer.counts()
    return {field: counts[field] for field in (*COUNTED, "discriminatorDoubleBackwards")}


# WGAN-GP, five critic steps and G's, on the tiny GAN (D a linear critic, Linear(1, 1), under it). Per critic step: G(z),
# D(real), D(fake), D(interpolates); the penalty's grad through D(interpolates); d_loss through D(real) and D(fake)
# and, under wgan-gp, G. The penalty's gradient ones . W^T does not depend on interpolates (D is linear), so the
# penalty's backward reaches D's weight only, not D(interpolates)'s forward: no interpolates.grad. Wasted: G's 2 per
# critic step under wgan-gp; D's 2 from g_loss (frozen-d: none), left in .grad at the step's end.
WASSERSTEIN_COUNTS = {
    ("detach-d-first", "wgan-gp"): (6, 16, 6, 16, 11, 5 * 2 + 2, 5),
    ("detach-d-first", "wgan-gp-detached"): (6, 16, 1, 16, 11, 2, 5),
    ("g-first", "wgan-gp"): (6, 16, 6, 16, 11, 5 * 2 + 2, 5),
    ("frozen-d", "wgan-gp"): (6, 16, 6, 16, 11, 5 * 2, 5),
}


@pytest.mark.parametrize("strategy,kind", list(WASSERSTEIN_COUNTS))
def test_a_wgan_gp_step_is_five_critic_steps_and_one_generator_step_counted_by_hand(strategy: str, kind: str) -> None:
    assert tuple(wasserstein_step(strategy, kind).values()) == WASSERSTEIN_COUNTS[(strategy, kind)]


@pytest.mark.parametrize("strategy", ["retain-graph", "single-forward"])
def test_the_strategies_whose_one_forward_serves_both_losses_refuse_wgan_gp_in_one_line(strategy: str) -> None:
    with pytest.raises(RuntimeError) as refusal:
        wasserstein_step(strategy, "wgan-gp")
    assert str(refusal.value) == ("regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and "
                                  "G's loss, and WGAN-GP takes nCritic (5) critic steps per generator step")


def r1_step(strategy: str, kind: str) -> Dict[str, Any]:
    return wasserstein_step(strategy, kind)


# R1 on the tiny GAN (D: Linear(1, 1) -> Sigmoid), g-first. r1: G(z); D(G(z)), D(real), D(G(z).detach()); g_loss
# through D and G; R1's grad from D(real)'s logit (its Linear's output, not the sigmoid's), through D; d_loss + gamma/2
# r1 through D(real), D(detached) and the recorded backward (one double backward). Wasted: D's 2 from g_loss
# (zero_grad), real.grad's 2. r1-lazy: no R1 in D's step; on the interval's first step the phase's fresh D(real), its
# grad from the logit, and its backward of StyleGAN2-ADA's (logit * 0 + gamma / 2 * r1).mean() * every: the double
# backward (R1's gradient ones . W^T does not depend on real) and, from the zero term, D(real)'s forward, which reaches
# real (real.grad's 2, wasted) and gives D's bias its zero gradient.
R1_COUNTS = {
    ("g-first", "r1"): (1, 3, 1, 4, 3, 2 + 2, 1),
    ("g-first", "r1-lazy"): (1, 4, 1, 5, 4, 2 + 2, 1),
}


@pytest.mark.parametrize("strategy,kind", list(R1_COUNTS))
def test_r1_differentiates_d_s_logit_counted_by_hand(strategy: str, kind: str) -> None:
    assert tuple(r1_step(strategy, kind).values()) == R1_COUNTS[(strategy, kind)]


def test_d_keeps_the_logit_of_each_forward_under_r1_only() -> None:
    from gan_worker.models import logit_of

    labels = make_labels(2, torch.device("cpu"))
    x = torch.tensor([[0.5], [-1.0]])
    for kind in ("r1", "r1-lazy"):
        regularizer = {"kind": kind, "gamma": 10, "every": 16, "nCritic": 5}
        gan = Gan(tiny_scenario(regularizer=regularizer), torch.device("cpu"), torch.float32, labels)
        output = gan.D(x)
        logit = logit_of(output)
        assert type(logit.grad_fn).__name__.startswith("Addmm")  # the Linear's output: no second forward
        assert torch.equal(torch.sigmoid(logit), output)
    gan = Gan(tiny_scenario(), torch.device("cpu"), torch.float32, labels)
    with pytest.raises(RuntimeError, match="kept no logit"):
        logit_of(gan.D(x))


@pytest.mark.parametrize("kind", ["r1", "r1-lazy", "wgan-gp", "wgan-gp-detached"])
@pytest.mark.parametrize("strategy", ["retain-graph-printed", "detach-d-first-printed"])
def test_the_posts_printed_code_is_refused_under_a_regularizer_in_one_line(strategy: str, kind: str) -> None:
    # The listings call no regularizer hook: run, they would be their plain step under the regularizer's key (under
    # WGAN-GP, BCE on the critic's scores). src/models/step-runner.ts refuses them in the same words.
    with pytest.raises(RuntimeError) as refusal:
        wasserstein_step(strategy, kind)
    assert str(refusal.value) == (f"regularizer {kind} does not apply to the post's code as printed, which has no "
                                  "gradient penalty form")
