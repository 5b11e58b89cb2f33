"""The scenario's networks (src/scenario/schema.ts) as a list of layer specs, so that a new layer kind is one more
entry in LAYER_BUILDERS and one more case in network_specs; and the harness's layout of their parameters."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from .arrays import decode_array, encode_array

LEAKY_RELU_SLOPE = 0.2  # src/models/dense.ts

LayerSpec = Dict[str, Any]
Scenario = Mapping[str, Any]


def activation_module(name: str) -> nn.Module:
    builders: Dict[str, Callable[[], nn.Module]] = {
        # In place, as pytorch/examples dcgan/main.py (nn.ReLU(True), nn.LeakyReLU(0.2, inplace=True)) and
        # PyTorch-GAN's gan.py write them: the in-place form saves its result, which the next layer saves anyway,
        # and so do the harness's tfjs networks (src/models/activation.ts); the out-of-place LeakyReLU would save
        # its input, one more activation per layer held by the graph.
        "leakyRelu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE, inplace=True),
        "relu": lambda: nn.ReLU(inplace=True),
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "linear": nn.Identity,
    }
    if name not in builders:
        raise ValueError(f"unknown activation '{name}' (known: {', '.join(builders)})")
    return builders[name]()


def conv_module(spec: LayerSpec) -> nn.Module:
    """nn.Conv2d or nn.ConvTranspose2d as the layer spec says (filters, square kernel, stride, padding, bias)."""
    module = nn.Conv2d if spec["layer"] == "conv2d" else nn.ConvTranspose2d
    return module(spec["inChannels"], spec["filters"], spec["kernelSize"], stride=spec["stride"],
                  padding=spec["padding"], bias=spec["bias"])


LAYER_BUILDERS: Dict[str, Callable[[LayerSpec], nn.Module]] = {
    "linear": lambda spec: nn.Linear(spec["inputSize"], spec["outputSize"]),
    "activation": lambda spec: activation_module(spec["name"]),
    "conv": conv_module,
    # BatchNorm2d with PyTorch's defaults (eps 1e-5, momentum 0.1, affine, running statistics), in training mode.
    "batchNorm2d": lambda spec: nn.BatchNorm2d(spec["channels"]),
    # z [batch, nz] -> [batch, nz, 1, 1] (DCGAN's noise shape); a flat sample -> [C, H, W] for a convolutional D.
    "unflatten": lambda spec: nn.Unflatten(1, tuple(spec["shape"])),
    # D's [batch, 1, 1, 1] -> [batch, 1] (the labels' shape); an image -> a flat sample for an MLP D.
    "flatten": lambda spec: nn.Flatten(),
}


def mlp_spec(widths: Sequence[int], activation: str, output_activation: str) -> List[LayerSpec]:
    """Dense layers widths[0] -> ... -> widths[-1], `activation` between them, `output_activation` last.
    A 'linear' activation adds no module (src/models/dense.ts applies none)."""
    layers: List[LayerSpec] = []
    for i in range(len(widths) - 1):
        layers.append({"kind": "linear", "inputSize": widths[i], "outputSize": widths[i + 1]})
        name = output_activation if i == len(widths) - 2 else activation
        if name != "linear":
            layers.append({"kind": "activation", "name": name})
    return layers


def conv_spec(in_channels: int, layers: Sequence[Mapping[str, Any]]) -> List[LayerSpec]:
    """A convolutional network's modules (src/models/conv-net.ts): each layer, then BatchNorm2d where it has one,
    then its activation ('linear' adds none)."""
    modules: List[LayerSpec] = []
    channels = in_channels
    for layer in layers:
        modules.append({**layer, "kind": "conv", "inChannels": channels})
        channels = layer["filters"]
        if layer["batchNorm"]:
            modules.append({"kind": "batchNorm2d", "channels": channels})
        if layer["activation"] != "linear":
            modules.append({"kind": "activation", "name": layer["activation"]})
    return modules


def network_specs(scenario: Scenario) -> Dict[str, List[LayerSpec]]:
    """G and D of a resolved scenario, MLP or convolutional: an MLP D's output is one unit with a sigmoid; a
    convolutional G takes z as [nz, 1, 1] and gives [C, H, W] images; a convolutional D takes images and ends in
    [1, 1, 1], flattened to the labels' [batch, 1]."""
    g, d = scenario["generator"], scenario["discriminator"]
    image = scenario["data"]["shape"]
    generator: List[LayerSpec]
    discriminator: List[LayerSpec]
    if g.get("kind") == "conv":
        generator = [{"kind": "unflatten", "shape": [g["latentSize"], 1, 1]}, *conv_spec(g["latentSize"], g["layers"])]
    else:
        generator = mlp_spec([g["latentSize"], *g["hidden"], g["outputSize"]], g["activation"], g["outputActivation"])
    if d.get("kind") == "conv":
        reshape: List[LayerSpec] = [] if g.get("kind") == "conv" else [{"kind": "unflatten", "shape": image}]
        discriminator = [*reshape, *conv_spec(image[0], d["layers"]), {"kind": "flatten"}]
    else:
        reshape = [{"kind": "flatten"}] if g.get("kind") == "conv" else []
        # WGAN-GP's critic outputs a score (PyTorch-GAN's wgan_gp.py: no sigmoid).
        wasserstein = scenario.get("regularizer", {}).get("kind") in ("wgan-gp", "wgan-gp-detached")
        output = "linear" if wasserstein else "sigmoid"
        discriminator = [*reshape, *mlp_spec([g["outputSize"], *d["hidden"], 1], d["activation"], output)]
    return {"generator": generator, "discriminator": discriminator}


def network_init(options: Mapping[str, Any]) -> str:
    """How a network starts: 'pytorch' (the modules' own initialisation) or, for a convolutional one, 'dcgan'."""
    return str(options.get("init", "pytorch")) if options.get("kind") == "conv" else "pytorch"


def dcgan_weights_init(module: nn.Module) -> None:
    """pytorch/examples dcgan/main.py's weights_init, applied with Module.apply after construction, as main.py does."""
    classname = module.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(module.weight, 0.0, 0.02)  # type: ignore[arg-type]
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(module.weight, 1.0, 0.02)  # type: ignore[arg-type]
        nn.init.zeros_(module.bias)  # type: ignore[arg-type]


def build_network(spec: Sequence[LayerSpec], options: Mapping[str, Any]) -> nn.Sequential:
    """The network of `spec` with the scenario's network options: its init ('dcgan' applies weights_init), `bias:
    false` drops every nn.Linear's bias (as nn.Linear(..., bias=False) has none), `initialValue` sets every
    parameter. The random draws are the same whatever the options: a dropped bias was drawn first."""
    for layer in spec:
        if layer["kind"] not in LAYER_BUILDERS:
            raise ValueError(f"unknown layer kind '{layer['kind']}' (known: {', '.join(LAYER_BUILDERS)})")
    network = nn.Sequential(*[LAYER_BUILDERS[layer["kind"]](layer) for layer in spec])
    if network_init(options) == "dcgan":
        network.apply(dcgan_weights_init)
    if not options.get("bias", True):
        for module in network.modules():
            if isinstance(module, nn.Linear):
                module.bias = None  # type: ignore[assignment]
    if options.get("initialValue") is not None:
        with torch.no_grad():
            for p in network.parameters():
                p.fill_(float(options["initialValue"]))
    return network


# D's output tensor's attribute: the pre-sigmoid tensor of the forward that produced it (not `logit`, which would
# shadow Tensor.logit, the inverse sigmoid)
LOGIT = "_gan_bench_logit"
IS_LOGIT = "_gan_bench_is_logit"  # marks an output that is its own logit (a linear D)


def keep_logit(network: nn.Sequential) -> None:
    """D keeps its logit (src/models/logit.ts): each forward puts on its output, as an attribute (LOGIT), the input
    of D's last nn.Sigmoid in that forward, passed through the layers after it (nn.Flatten: a view), so that R1
    differentiates the logit GAN_stability's D outputs without a second forward or a logit recomputed from the
    probability. A D without a sigmoid (a linear critic) marks its output as its own logit."""
    layers = list(network)
    last = max((i for i, layer in enumerate(layers) if isinstance(layer, nn.Sigmoid)), default=None)
    if last is None:
        network.register_forward_hook(lambda module, inputs, output: setattr(output, IS_LOGIT, True))
        return
    after = layers[last + 1:]
    seen: List[torch.Tensor] = []  # the sigmoid's input in the forward now running

    def sigmoid_input(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        seen[:] = [inputs[0]]

    def keep(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        logit = seen.pop()
        for layer in after:
            logit = layer(logit)
        setattr(output, LOGIT, logit)

    layers[last].register_forward_hook(sigmoid_input)
    network.register_forward_hook(keep)


def logit_of(output: torch.Tensor) -> torch.Tensor:
    """The logit keep_logit put on D's output `output` (the output itself for a linear D)."""
    if getattr(output, IS_LOGIT, False):
        return output
    logit = getattr(output, LOGIT, None)
    if logit is None:
        raise RuntimeError("this output's forward kept no logit: D keeps its pre-sigmoid logit only under an R1 "
                           "regularizer (keep_logit)")
    return logit  # type: ignore[no-any-return]


def batch_norm_modules(network: nn.Module) -> List[nn.Module]:
    return [m for m in network.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def running_statistics(network: nn.Module) -> Optional[torch.Tensor]:
    """Every BatchNorm layer's running mean then running variance, flattened; None without BatchNorm."""
    modules = batch_norm_modules(network)
    if not modules:
        return None
    with torch.no_grad():
        return torch.cat([t.detach().reshape(-1) for m in modules for t in (m.running_mean, m.running_var)
                          if isinstance(t, torch.Tensor)])


def harness_layout(network: nn.Module) -> List[Tuple[nn.Parameter, bool]]:
    """(parameter, transposed) in parameters() order: nn.Linear stores W as [out, in], the harness's dense kernel
    is [in, out] (src/models/mlp.ts); a 1-D parameter (a bias) is the same in both. A parameter of any other kind
    has no agreed layout yet and is refused, so that weights are never loaded silently scrambled."""
    layout: List[Tuple[nn.Parameter, bool]] = []
    for module in network.modules():
        for name, p in module.named_parameters(recurse=False):
            if isinstance(module, nn.Linear) and name == "weight":
                layout.append((p, True))
            elif p.dim() <= 1:
                layout.append((p, False))
            else:
                raise ValueError(f"no harness layout for {type(module).__name__}.{name} {list(p.shape)}: "
                                 "send no initial weights (the worker then initialises from the seed)")
    return layout


def load_harness_weights(network: nn.Module, arrays: Sequence[str], what: str) -> None:
    """Copies the harness's initial values (base64 float32, each parameter flattened in the harness's layout)."""
    layout = harness_layout(network)
    if len(arrays) != len(layout):
        raise ValueError(f"{what}: {len(arrays)} initial arrays for {len(layout)} parameters")
    with torch.no_grad():
        for index, ((p, transposed), text) in enumerate(zip(layout, arrays)):
            values = decode_array(text, torch.float32, f"{what} parameter {index}")
            if values.numel() != p.numel():
                raise ValueError(f"{what} parameter {index}: {values.numel()} values for shape {list(p.shape)}")
            p.copy_(values.reshape(tuple(reversed(p.shape))).t() if transposed else values.reshape(p.shape))


def harness_parameters(network: nn.Module) -> List[str]:
    """Every parameter's values in the harness's layout, base64 float32 (a checkpoint's `parameters`)."""
    return [encode_array(p.t() if transposed else p) for p, transposed in harness_layout(network)]
