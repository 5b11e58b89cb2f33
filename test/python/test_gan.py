"""The one GAN builder (gan_worker.gan.Gan), for bench and quality alike: the scenario's init, biases, initial values,
optimizer and G loss, whichever op builds it."""

from __future__ import annotations

from typing import Any, Dict

import torch

from conftest import tiny_scenario
from gan_worker.gan import Gan, make_batches, make_labels


def dcgan_scenario(init: str) -> Dict[str, Any]:
    layer = {"layer": "conv2d", "filters": 8, "kernelSize": 4, "stride": 2, "padding": 1, "bias": False,
             "batchNorm": True, "activation": "leakyRelu"}
    last = {**layer, "filters": 1, "kernelSize": 2, "stride": 1, "padding": 0, "batchNorm": False, "activation": "sigmoid"}
    return tiny_scenario(
        generator={"latentSize": 1, "hidden": [], "outputSize": 16, "activation": "leakyRelu", "outputActivation": "tanh"},
        discriminator={"kind": "conv", "init": init, "layers": [layer, last]},
        data={"shape": [1, 4, 4]},
    )


def built(scenario: Dict[str, Any]) -> Gan:
    return Gan(scenario, torch.device("cpu"), torch.float32, make_labels(2, torch.device("cpu")))


def test_a_dcgan_init_applies_weights_init_to_every_convolution_and_batchnorm() -> None:
    gan = built(dcgan_scenario("dcgan"))
    convolutions = [m for m in gan.D.modules() if isinstance(m, torch.nn.Conv2d)]
    batch_norm = next(m for m in gan.D.modules() if isinstance(m, torch.nn.BatchNorm2d))
    # weights_init: conv weights N(0, 0.02), BatchNorm weight N(1, 0.02) and bias 0; PyTorch's own BatchNorm
    # weight is exactly 1 and its conv weights are uniform in +-1/sqrt(fan_in) = +-0.25 here.
    assert all(float(m.weight.detach().std()) < 0.05 for m in convolutions)
    assert not torch.equal(batch_norm.weight, torch.ones(8)) and float((batch_norm.weight.detach() - 1).abs().max()) < 0.1
    assert torch.equal(batch_norm.bias, torch.zeros(8))
    pytorch_batch_norm = built(dcgan_scenario("pytorch")).D[2]
    assert isinstance(pytorch_batch_norm, torch.nn.BatchNorm2d) and torch.equal(pytorch_batch_norm.weight, torch.ones(8))


def test_the_same_scenario_builds_the_same_weights_every_time() -> None:
    a, b = built(dcgan_scenario("dcgan")), built(dcgan_scenario("dcgan"))
    assert torch.equal(a.parameters_flat(), b.parameters_flat())


def test_sgd_is_plain_gradient_descent_with_d_at_its_own_rate() -> None:
    gan = built(tiny_scenario(optimizer={"name": "sgd", "learningRate": 0.1, "discriminatorLearningRate": 0.3}))
    assert isinstance(gan.optimizer_G, torch.optim.SGD) and gan.optimizer_G.param_groups[0]["lr"] == 0.1
    assert gan.optimizer_D.param_groups[0]["lr"] == 0.3 and gan.optimizer_D.param_groups[0]["momentum"] == 0


def test_no_bias_and_an_initial_value_apply_to_every_dense_layer() -> None:
    scenario = tiny_scenario()
    scenario["generator"] = {**scenario["generator"], "bias": False, "initialValue": 0.5}
    gan = built(scenario)
    assert [list(p.shape) for p in gan.G.parameters()] == [[1, 1]] and float(next(gan.G.parameters()).detach()) == 0.5


def test_the_minimax_g_loss_is_minus_bce_against_fake_and_d_keeps_bce() -> None:
    scenario = tiny_scenario(loss={"generator": "minimax"})
    labels = make_labels(2, torch.device("cpu"))
    gan = Gan(scenario, torch.device("cpu"), torch.float32, labels)
    z, real, valid, fake = make_batches(scenario, 1, labels)[0]
    prediction = gan.D(gan.G(z))
    bce = torch.nn.BCELoss()
    assert torch.equal(gan.bce(prediction, valid), -bce(prediction, fake))
    assert torch.equal(gan.bce(prediction, fake), bce(prediction, fake))
    real_prediction = gan.D(real)
    assert torch.equal(gan.bce(real_prediction, valid), bce(real_prediction, valid))
