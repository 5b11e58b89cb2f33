#!/usr/bin/env python3
"""The PyTorch side of gan-update-bench's `pytorch` backend (docs/pytorch.md).

A long-lived worker: the TypeScript backend (src/backends/pytorch/) starts it and sends one JSON request per line
on stdin; the worker answers each with one JSON line on stdout carrying the request's id. stderr is for logs.

    request    {"id": 1, "op": "setup", "params": {...}}
    progress   {"id": 1, "progress": {...}}                       zero or more, before the answer
    answer     {"id": 1, "ok": true, "result": {...}}
    failure    {"id": 1, "ok": false, "error": {"type": "RuntimeError", "message": "..."}}

Operations: hello, calibrate, setup, equivalence, observe, time, train, shutdown (each documented at its function
below). The worker exits when stdin closes, on shutdown, or on SIGINT/SIGTERM.

What it runs: the scenario's G and D (nn.Linear layers with PyTorch's default init, the scenario's activations,
D ends in one sigmoid unit; or the scenario's nn.Conv2d / nn.ConvTranspose2d layers, each optionally followed by
nn.BatchNorm2d in training mode and an activation, NCHW, with PyTorch's init or DCGAN's weights_init), nn.BCELoss, one torch.optim.Adam per network (PyTorch's default implementation for the
device), float32, a pool of 4 batches seeded from the scenario's seed, on CUDA when torch.cuda.is_available() (TF32
off) and on the CPU otherwise. The strategies are the post's PyTorch, line for line (STEPS below).

Python >= 3.9; PyTorch 1.13 and 2.x.
"""

from __future__ import annotations

import base64
import ctypes
import gc
import json
import math
import os
import platform
import re
import signal
import statistics
import sys
import time
import traceback
import weakref

PROTOCOL_VERSION = 3

# The strategy ids this worker runs. The two `-printed` ones are the post's code exactly as printed: PyTorch raises.
STRATEGY_IDS = [
    "retain-graph",
    "detach-d-first",
    "g-first",
    "single-forward",
    "frozen-d",
    "retain-graph-printed",
    "detach-d-first-printed",
]

BATCH_POOL = 4  # src/runner.ts: distinct batches the timed steps cycle through
LEAKY_RELU_SLOPE = 0.2  # src/models/dense.ts
THREADS_VARIABLE = "GAN_BENCH_TORCH_THREADS"

# Matrix products: each counts as a computing op on the CPU even where it calls another (cpu_kernel_count).
MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::baddbmm", "aten::addmv", "aten::mv"}
# aten ops that compute nothing on the CPU: views, aliases, allocations, metadata. The CPU kernel count skips them.
NON_COMPUTING_OPS = {
    "aten::as_strided", "aten::view", "aten::_unsafe_view", "aten::reshape", "aten::_reshape_alias", "aten::t",
    "aten::transpose", "aten::permute", "aten::expand", "aten::expand_as", "aten::squeeze", "aten::unsqueeze",
    "aten::slice", "aten::select", "aten::alias", "aten::detach", "aten::detach_", "aten::lift_fresh",
    "aten::resolve_conj", "aten::resolve_neg", "aten::empty", "aten::empty_like", "aten::empty_strided",
    "aten::numel", "aten::size", "aten::stride", "aten::is_nonzero", "aten::result_type", "aten::split",
    "aten::unbind", "aten::chunk", "aten::narrow", "aten::flatten", "aten::view_as", "aten::set_", "aten::resize_",
}

torch = None  # imported in main(): the worker can report a failed import as a protocol error


def log(message):
    print(f"pytorch worker: {message}", file=sys.stderr, flush=True)


def torch_version():
    """(major, minor) of the running PyTorch, e.g. (1, 13) for '1.13.0a0+git...'."""
    parts = torch.__version__.split("+")[0].split(".")
    digits = lambda text: int("".join(ch for ch in text if ch.isdigit()) or 0)  # noqa: E731
    return digits(parts[0]), digits(parts[1]) if len(parts) > 1 else 0


# ----------------------------------------------------------------------------------------------------------------
# Models: the scenario's networks as a list of layer specs, so that later layer kinds (convolutions, BatchNorm)
# are one more entry in LAYER_BUILDERS and one more case in network_specs.
# ----------------------------------------------------------------------------------------------------------------


def activation_module(name):
    nn = torch.nn
    builders = {
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


def conv_module(spec):
    """nn.Conv2d or nn.ConvTranspose2d as the layer spec says (src/scenario/schema.ts: filters, square kernel, stride,
    padding, bias)."""
    module = torch.nn.Conv2d if spec["layer"] == "conv2d" else torch.nn.ConvTranspose2d
    return module(spec["inChannels"], spec["filters"], spec["kernelSize"], stride=spec["stride"], padding=spec["padding"],
                  bias=spec["bias"])


LAYER_BUILDERS = {
    "linear": lambda spec: torch.nn.Linear(spec["inputSize"], spec["outputSize"]),
    "activation": lambda spec: activation_module(spec["name"]),
    "conv": conv_module,
    # BatchNorm2d with PyTorch's defaults (eps 1e-5, momentum 0.1, affine, running statistics), in training mode.
    "batchNorm2d": lambda spec: torch.nn.BatchNorm2d(spec["channels"]),
    # z [batch, nz] -> [batch, nz, 1, 1] (DCGAN's noise shape); a flat sample -> [C, H, W] for a convolutional D.
    "unflatten": lambda spec: torch.nn.Unflatten(1, tuple(spec["shape"])),
    # D's [batch, 1, 1, 1] -> [batch, 1] (the labels' shape); an image -> a flat sample for an MLP D.
    "flatten": lambda spec: torch.nn.Flatten(),
}


def mlp_spec(widths, activation, output_activation):
    """Dense layers widths[0] -> ... -> widths[-1], `activation` between them, `output_activation` last.
    A 'linear' activation adds no module (src/models/dense.ts applies none)."""
    layers = []
    for i in range(len(widths) - 1):
        layers.append({"kind": "linear", "inputSize": widths[i], "outputSize": widths[i + 1]})
        name = output_activation if i == len(widths) - 2 else activation
        if name != "linear":
            layers.append({"kind": "activation", "name": name})
    return layers


def conv_spec(in_channels, layers):
    """A convolutional network's modules (src/models/conv-net.ts): each layer, then BatchNorm2d where it has one, then
    its activation ('linear' adds none)."""
    modules = []
    channels = in_channels
    for layer in layers:
        modules.append({**layer, "kind": "conv", "inChannels": channels})
        channels = layer["filters"]
        if layer["batchNorm"]:
            modules.append({"kind": "batchNorm2d", "channels": channels})
        if layer["activation"] != "linear":
            modules.append({"kind": "activation", "name": layer["activation"]})
    return modules


def network_specs(scenario):
    """G and D of a resolved scenario (src/scenario/schema.ts), MLP or convolutional: an MLP D's output is one unit
    with a sigmoid; a convolutional G takes z as [nz, 1, 1] and gives [C, H, W] images; a convolutional D takes images
    and ends in [1, 1, 1], flattened to the labels' [batch, 1]."""
    g, d = scenario["generator"], scenario["discriminator"]
    image = scenario["data"]["shape"]
    if g.get("kind") == "conv":
        generator = [{"kind": "unflatten", "shape": [g["latentSize"], 1, 1]}, *conv_spec(g["latentSize"], g["layers"])]
    else:
        generator = mlp_spec([g["latentSize"], *g["hidden"], g["outputSize"]], g["activation"], g["outputActivation"])
    if d.get("kind") == "conv":
        reshape = [] if g.get("kind") == "conv" else [{"kind": "unflatten", "shape": image}]
        discriminator = [*reshape, *conv_spec(image[0], d["layers"]), {"kind": "flatten"}]
    else:
        reshape = [{"kind": "flatten"}] if g.get("kind") == "conv" else []
        discriminator = [*reshape, *mlp_spec([g["outputSize"], *d["hidden"], 1], d["activation"], "sigmoid")]
    return {"generator": generator, "discriminator": discriminator}


def network_inits(scenario):
    """How each network starts: 'pytorch' (the modules' own initialisation) or 'dcgan' (weights_init)."""
    return {name: scenario[name].get("init", "pytorch") if scenario[name].get("kind") == "conv" else "pytorch"
            for name in ("generator", "discriminator")}


def dcgan_weights_init(module):
    """pytorch/examples dcgan/main.py's weights_init, applied with Module.apply after construction, as main.py does."""
    classname = module.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(module.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(module.weight, 1.0, 0.02)
        torch.nn.init.zeros_(module.bias)


def build_network(spec, init="pytorch"):
    for layer in spec:
        if layer["kind"] not in LAYER_BUILDERS:
            raise ValueError(f"unknown layer kind '{layer['kind']}' (known: {', '.join(LAYER_BUILDERS)})")
    network = torch.nn.Sequential(*[LAYER_BUILDERS[layer["kind"]](layer) for layer in spec])
    if init == "dcgan":
        network.apply(dcgan_weights_init)
    return network


def batch_norm_modules(network):
    return [m for m in network.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def running_statistics(network):
    """Every BatchNorm layer's running mean then running variance, flattened; None without BatchNorm."""
    modules = batch_norm_modules(network)
    if not modules:
        return None
    with torch.no_grad():
        return torch.cat([t.detach().reshape(-1) for m in modules for t in (m.running_mean, m.running_var)])


class Gan:
    """G, D, nn.BCELoss and one Adam each, initialised from the scenario's seed (G from seed, D from seed + 1, as
    src/models/gan.ts seeds them): every strategy's GAN starts from the same weights."""

    def __init__(self, scenario, device, dtype):
        specs = network_specs(scenario)
        inits = network_inits(scenario)
        optimizer = scenario["optimizer"]
        seed = scenario["seed"]
        torch.manual_seed(seed)
        self.G = build_network(specs["generator"], inits["generator"]).to(device=device, dtype=dtype)
        torch.manual_seed(seed + 1)
        self.D = build_network(specs["discriminator"], inits["discriminator"]).to(device=device, dtype=dtype)
        settings = dict(lr=optimizer["learningRate"], betas=(optimizer["beta1"], optimizer["beta2"]),
                        eps=optimizer["epsilon"])
        self.optimizer_G = torch.optim.Adam(self.G.parameters(), **settings)
        self.optimizer_D = torch.optim.Adam(self.D.parameters(), **settings)
        self.bce = torch.nn.BCELoss()
        self.steps_taken = 0

    def parameters_flat(self):
        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1) for p in [*self.G.parameters(), *self.D.parameters()]])


def make_batches(scenario, count, device, dtype):
    """`count` batches (z ~ N(0, 1), real ~ U(-1, 1), labels ones and zeros), drawn on the CPU from the scenario's
    seed so that every device gets the same values. Real samples are images [C, H, W] for a convolutional D."""
    generator = torch.Generator(device="cpu").manual_seed(scenario["seed"] * 7919)
    batch_size = scenario["batchSize"]
    latent = scenario["generator"]["latentSize"]
    data = scenario["data"]["shape"] if scenario["discriminator"].get("kind") == "conv" else [scenario["generator"]["outputSize"]]
    valid = torch.ones(batch_size, 1, device=device, dtype=dtype)
    fake = torch.zeros(batch_size, 1, device=device, dtype=dtype)
    batches = []
    for _ in range(count):
        z = torch.randn(batch_size, latent, generator=generator, dtype=dtype).to(device)
        real = (torch.rand(batch_size, *data, generator=generator, dtype=dtype) * 2 - 1).to(device)
        batches.append((z, real, valid, fake))
    return batches


# ----------------------------------------------------------------------------------------------------------------
# The strategies, as PyTorch code. zero_grad(set_to_none=True) everywhere: PyTorch 2's default, 1.13 zeroes instead.
# ----------------------------------------------------------------------------------------------------------------


def step_retain_graph(gan, batch):
    """The post's strategy 1 in the form PyTorch runs: D's step after g_loss.backward() (pytorch#39141)."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    pred_real = discriminator(real_imgs)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward(retain_graph=True)  # reaches D's and G's parameters
    d_params = list(discriminator.parameters())
    d_grads = [p.grad for p in d_params]  # D's gradients from d_loss, set aside (the tensors, no copy)
    for p in d_params:
        p.grad = None
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_G.zero_grad(set_to_none=True)  # G's gradient from d_loss is thrown away
    g_loss.backward()  # through the same graph, at the forward-time D; reaches G's and D's parameters
    for p, g in zip(d_params, d_grads):
        p.grad = g  # D's gradient from g_loss is thrown away
    optimizer_D.step()
    optimizer_G.step()


def step_retain_graph_printed(gan, batch):
    """The post's strategy 1 exactly as printed: PyTorch >= 1.5 raises in g_loss.backward() (D was updated in place)."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    pred_real = discriminator(real_imgs)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward(retain_graph=True)
    optimizer_D.step()
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_G.zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer_G.step()


def step_detach_d_first(gan, batch):
    """The post's strategy 2 as its prose says: G's loss through a fresh D(gen_imgs) with the updated D."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)  # G's graph is held from here ...
    pred_gen = discriminator(gen_imgs.detach())
    pred_real = discriminator(real_imgs)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward()  # reaches D's parameters only
    optimizer_D.step()
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    optimizer_G.zero_grad(set_to_none=True)
    g_loss.backward()  # ... to here; reaches G's and D's parameters
    optimizer_G.step()  # D's gradient from g_loss is left unused


def step_detach_d_first_printed(gan, batch):
    """The post's strategy 2 exactly as printed: g_loss from the detached pred_gen, whose graph d_loss.backward()
    freed: PyTorch raises "Trying to backward through the graph a second time"."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs.detach())
    pred_real = discriminator(real_imgs)
    optimizer_D.zero_grad(set_to_none=True)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward()
    optimizer_D.step()
    g_loss = adversarial_loss(pred_gen, valid)
    optimizer_G.zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer_G.step()


def step_g_first(gan, batch):
    """The post's strategy 3: G first through D(G(z)), then D on D(real) and a second D(gen_imgs.detach())."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    optimizer_G.zero_grad(set_to_none=True)
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()  # reaches G's and D's parameters; the graph is freed
    optimizer_G.step()
    optimizer_D.zero_grad(set_to_none=True)  # D's gradient from g_loss is thrown away
    real_loss = adversarial_loss(discriminator(real_imgs), valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = (real_loss + fake_loss) / 2
    d_loss.backward()
    optimizer_D.step()


def step_single_forward(gan, batch):
    """One forward, two gradient requests with torch.autograd.grad: d_loss for D's parameters, g_loss for G's."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    pred_gen = discriminator(gen_imgs)
    pred_real = discriminator(real_imgs)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    g_loss = adversarial_loss(pred_gen, valid)
    d_params, g_params = list(discriminator.parameters()), list(generator.parameters())
    d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, g_params)
    for p, g in zip(d_params, d_grads):
        p.grad = g
    for p, g in zip(g_params, g_grads):
        p.grad = g
    optimizer_D.step()
    optimizer_G.step()


def step_frozen_d(gan, batch):
    """Not in the post: pix2pix's and StyleGAN2-ADA's alternating update, D's parameters excluded from G's backward
    with requires_grad_(False), so G's step computes no D gradient at all."""
    generator, discriminator, adversarial_loss = gan.G, gan.D, gan.bce
    optimizer_G, optimizer_D = gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = generator(z)
    discriminator.requires_grad_(True)
    optimizer_D.zero_grad(set_to_none=True)
    pred_gen = discriminator(gen_imgs.detach())
    pred_real = discriminator(real_imgs)
    d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(pred_gen, fake)) / 2
    d_loss.backward()
    optimizer_D.step()
    discriminator.requires_grad_(False)  # D requires no gradients when optimizing G
    optimizer_G.zero_grad(set_to_none=True)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()  # through D to G's parameters only: input gradients in D, no weight gradients
    optimizer_G.step()


STEPS = {
    "retain-graph": step_retain_graph,
    "detach-d-first": step_detach_d_first,
    "g-first": step_g_first,
    "single-forward": step_single_forward,
    "frozen-d": step_frozen_d,
    "retain-graph-printed": step_retain_graph_printed,
    "detach-d-first-printed": step_detach_d_first_printed,
}


# ----------------------------------------------------------------------------------------------------------------
# Device, threads, BLAS
# ----------------------------------------------------------------------------------------------------------------


class Runtime:
    """The device every measured GAN runs on, and how to wait for it."""

    def __init__(self):
        self.threads_setting = os.environ.get(THREADS_VARIABLE)
        if self.threads_setting:
            try:
                threads = int(self.threads_setting)
                if threads < 1:
                    raise ValueError
            except ValueError:
                raise ValueError(f"{THREADS_VARIABLE} must be a positive integer, not '{self.threads_setting}'")
            torch.set_num_threads(threads)
        self.device = torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
        self.matmul_precision = disable_tf32() if self.device.type == "cuda" else None

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def sync(self):
        if self.is_cuda:
            torch.cuda.synchronize(self.device)


def disable_tf32():
    """Full float32 matmuls on CUDA; returns the setting as it reads back."""
    matmul = torch.backends.cuda.matmul
    if torch_version() >= (2, 9):  # the new API only: mixing it with allow_tf32 is an error
        matmul.fp32_precision = "ieee"
        return f"torch.backends.cuda.matmul.fp32_precision = {matmul.fp32_precision!r}"
    matmul.allow_tf32 = False
    return f"torch.backends.cuda.matmul.allow_tf32 = {matmul.allow_tf32}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description(runtime):
    """The BLAS the matrix products run on: cuBLAS on CUDA; on the CPU the build's BLAS_INFO (torch.__config__),
    with MKL's version where it is MKL (linked into libtorch), else the BLAS library actually loaded (Debian's
    python3-torch says 'generic' and uses whatever the libblas.so.3 alternative points to: reference BLAS or
    OpenBLAS, a 7x difference)."""
    if runtime.is_cuda:
        return f"cuBLAS (CUDA {torch.version.cuda})"
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    info = found.group(1) if found else None
    if info == "mkl":
        version = re.search(r"Math Kernel Library Version ([0-9.]+)", config)
        return f"MKL {version.group(1)}" if version else "MKL"
    loaded = None
    try:
        torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads a lazily loaded BLAS
        with open("/proc/self/maps") as f:
            paths = [line.split()[-1] for line in f if len(line.split()) >= 6]
        for path in paths:
            name = os.path.basename(path).lower()
            # numpy and scipy bring their own OpenBLAS, which torch does not use
            if any(key in name for key in ("openblas", "libblas", "blis")) and not any(
                    bundle in path for bundle in ("numpy", "scipy")):
                real = os.path.realpath(path)
                loaded = f"{os.path.basename(real)} ({os.path.basename(os.path.dirname(real))})"
                break
    except OSError:
        pass
    return ", ".join(part for part in (info and f"BLAS_INFO={info}", loaded) if part) or "unknown BLAS"


def device_info(runtime):
    if runtime.is_cuda:
        props = torch.cuda.get_device_properties(runtime.device)
        return {"type": "cuda", "index": runtime.device.index, "name": props.name,
                "capability": f"{props.major}.{props.minor}", "memoryBytes": props.total_memory}
    return {"type": "cpu", "index": None, "name": cpu_model(), "cores": os.cpu_count()}


# ----------------------------------------------------------------------------------------------------------------
# Observing one step: passes, backward calls, wasted gradients, retained graph bytes, FLOPs, kernels, memory, leaks
# ----------------------------------------------------------------------------------------------------------------


class _Saved:
    """What the graph holds for one saved tensor while the observer watches (saved_tensors_hooks' pack result):
    its release is the graph letting go of the tensor."""

    __slots__ = ("tensor", "version", "check_version", "__weakref__")

    def __init__(self, tensor, check_version=True):
        # A detached alias (same storage, same version counter): holding the tensor itself would tie a saved
        # output to its own grad_fn, a reference cycle through C++ that Python's gc cannot break.
        self.tensor = tensor.detach()
        self.version = tensor._version
        self.check_version = check_version


def storage_of(tensor):
    """(address, bytes) of the storage under `tensor`: views of one storage count once."""
    storage = tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()
    size = storage.nbytes() if hasattr(storage, "nbytes") else storage.size() * tensor.element_size()
    return storage.data_ptr(), size


TAG = "_gan_bench_contributions"


class StepObserver:
    """Hooks one GAN for one step. Counts, in PyTorch's own terms:
    - forwards: a forward hook on G and D;
    - backward calls: torch.autograd.backward (what Tensor.backward calls) and torch.autograd.grad, wrapped;
    - backward passes: a hook on each forward's output tensor; a backward call that reaches it is one pass through
      that network, with parameterGradients = that network's parameters received a gradient in the call and
      inputGradient = the forward's input received one (a hook on the input tensor);
    - wasted gradient elements: every parameter gradient a backward call computes (parameter hooks for backward(),
      the returned tensors for autograd.grad) is written down on the tensor that holds it (an attribute: PyTorch
      keeps a tensor's Python attributes as long as the tensor lives, and a weak reference would not be safe); an
      optimizer step uses the contributions its parameters' .grad holds; zero_grad discards them; the rest,
      overwritten or left at the step's end, are wasted too;
    - retained bytes: saved_tensors_hooks wrap every tensor a graph saves; when an optimizer step starts, the
      distinct storages of the saved tensors still held are summed; the most over the step's optimizer steps;
    - BatchNorm running-statistics updates: a forward hook on every BatchNorm module counts its calls in training
      mode (each updates its running statistics); per network, the calls over its BatchNorm modules."""

    tokens = 0

    def __init__(self, gan):
        StepObserver.tokens += 1
        self.token = StepObserver.tokens  # marks this observer's tags (no reference back to it)
        self.gan = gan
        self.networks = {"generator": gan.G, "discriminator": gan.D}
        self.network_of_param = {}
        for name, module in self.networks.items():
            for p in module.parameters():
                self.network_of_param[p] = name
        self.forwards = []  # {network, batchSize, output, input}
        self.batch_norms = {name: batch_norm_modules(module) for name, module in self.networks.items()}
        self.batch_norm_calls = {name: 0 for name in self.networks}
        # BatchNorm's running statistics: saved by reference by its backward node and updated in place by every
        # training-mode forward, like parameters they hold no graph memory of their own.
        self.buffer_storages = {storage_of(b)[0] for module in self.networks.values() for b in module.buffers()}
        self.traversals = []
        self.backward_calls = 0
        self.contributions = []  # [param, elements, state]; the holding tensor carries the indices (TAG)
        self.retained_bytes = 0
        self.saved = weakref.WeakSet()
        self._call = None  # the backward call in progress
        self._handles = []
        self._restore = []

    # -- installation
    def __enter__(self):
        for name, module in self.networks.items():
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
            for batch_norm in self.batch_norms[name]:
                self._handles.append(batch_norm.register_forward_hook(self._batch_norm_hook(name)))
        for p, name in self.network_of_param.items():
            # A hook can only be registered while the parameter requires a gradient (frozen-d leaves D frozen at the
            # end of a step); once registered it stays, whatever requires_grad_ does later.
            requires_grad = p.requires_grad
            p.requires_grad_(True)
            self._handles.append(p.register_hook(self._param_hook(p)))
            p.requires_grad_(requires_grad)
        self._patch(torch.autograd, "backward", self._wrap_backward(torch.autograd.backward))
        self._patch(torch.autograd, "grad", self._wrap_grad(torch.autograd.grad))
        for optimizer in (self.gan.optimizer_G, self.gan.optimizer_D):
            self._patch(optimizer, "step", self._wrap_step(optimizer, optimizer.step))
            self._patch(optimizer, "zero_grad", self._wrap_zero_grad(optimizer, optimizer.zero_grad))
        self._saved_hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._saved_hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self._saved_hooks.__exit__(*exc)
        for handle in self._handles:
            handle.remove()
        for owner, name, original, had_own in reversed(self._restore):
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._handles, self._restore = [], []
        for p in self.network_of_param:  # the tags the step's gradients still carry
            if p.grad is not None and hasattr(p.grad, TAG):
                delattr(p.grad, TAG)
        return False

    def _patch(self, owner, name, replacement):
        had_own = name in vars(owner) if hasattr(owner, "__dict__") else True
        self._restore.append((owner, name, getattr(owner, name), had_own))
        setattr(owner, name, replacement)

    # -- forwards and the tensors a backward reaches
    def _forward_hook(self, name):
        def hook(module, inputs, output):
            x = inputs[0]
            record = {"network": name, "batchSize": int(x.shape[0]), "outputReached": False, "inputReached": False}
            self.forwards.append(record)
            if output.requires_grad:
                output.register_hook(self._mark(record, "outputReached"))
            if x.requires_grad:
                x.register_hook(self._mark(record, "inputReached"))
        return hook

    def _batch_norm_hook(self, name):
        def hook(module, inputs, output):
            if module.training:
                self.batch_norm_calls[name] += 1
        return hook

    def _mark(self, record, field):
        def hook(grad):
            if self._call is not None:
                self._call["reached"].add((id(record), field))
        return hook

    def _param_hook(self, p):
        def hook(grad):
            if self._call is not None and self._call["kind"] == "backward":
                self._call["params"].append((p, grad.numel()))
        return hook

    # -- backward calls
    def _begin_call(self, kind):
        if self._call is not None:
            raise RuntimeError("nested backward calls are not observed")
        self._call = {"kind": kind, "reached": set(), "params": []}
        self.backward_calls += 1

    def _end_call(self, grads_of_params):
        call, self._call = self._call, None
        networks_with_grads = set()
        for p, elements, holder in grads_of_params(call):
            networks_with_grads.add(self.network_of_param[p])
            self.contributions.append([p, elements, "pending"])
            if holder is not None:
                self._tag(holder).append(len(self.contributions) - 1)
        for record in self.forwards:
            if (id(record), "outputReached") not in call["reached"]:
                continue
            self.traversals.append({
                "network": record["network"],
                "batchSize": record["batchSize"],
                "parameterGradients": record["network"] in networks_with_grads,
                "inputGradient": (id(record), "inputReached") in call["reached"],
            })

    def _wrap_backward(self, original):
        def backward(*args, **kwargs):
            self._begin_call("backward")
            try:
                result = original(*args, **kwargs)
            except BaseException:
                self._call = None
                raise
            # The gradients now sit in .grad (accumulated into, or newly set).
            self._end_call(lambda call: [(p, n, p.grad) for p, n in call["params"]])
            return result
        return backward

    def _wrap_grad(self, original):
        def grad(outputs, inputs, *args, **kwargs):
            self._begin_call("grad")
            try:
                result = original(outputs, inputs, *args, **kwargs)
            except BaseException:
                self._call = None
                raise
            listed = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)

            def computed(call):
                return [(x, g.numel(), g) for x, g in zip(listed, result)
                        if g is not None and x in self.network_of_param]

            self._end_call(computed)
            return result
        return grad

    # -- optimizer steps
    def _params_of(self, optimizer):
        return [p for group in optimizer.param_groups for p in group["params"]]

    def _tag(self, tensor):
        """The indices of the contributions `tensor` holds, kept on the tensor itself for this observer."""
        tag = getattr(tensor, TAG, None)
        if tag is None or tag[0] != self.token:
            tag = (self.token, [])
            setattr(tensor, TAG, tag)
        return tag[1]

    def _settle(self, optimizer, state):
        """Marks the pending contributions that the optimizer's parameters' .grad now holds as `state`."""
        for p in self._params_of(optimizer):
            tag = getattr(p.grad, TAG, None) if p.grad is not None else None
            if tag is None or tag[0] != self.token:
                continue
            for index in tag[1]:
                contribution = self.contributions[index]
                if contribution[0] is p and contribution[2] == "pending":
                    contribution[2] = state

    def _wrap_step(self, optimizer, original):
        def step(*args, **kwargs):
            # Parameters are saved by reference and updated in place: the graph holds no memory of its own for
            # them, so their storages do not count (the tfjs side leaves saved parameter values out the same way).
            by_reference = {storage_of(p)[0] for p in self.network_of_param} | self.buffer_storages
            held = {}
            for saved in list(self.saved):
                address, size = storage_of(saved.tensor)
                if address not in by_reference:
                    held[address] = size
            self.retained_bytes = max(self.retained_bytes, sum(held.values()))
            self._settle(optimizer, "used")
            return original(*args, **kwargs)
        return step

    def _wrap_zero_grad(self, optimizer, original):
        def zero_grad(*args, **kwargs):
            self._settle(optimizer, "discarded")
            return original(*args, **kwargs)
        return zero_grad

    # -- saved tensors
    def _pack(self, tensor):
        # BatchNorm's running statistics change at every training-mode forward, which PyTorch 1.13's
        # native_batch_norm does without bumping their version; PyTorch itself never refuses them, so neither does
        # this check (a real refusal would have raised in the uninstrumented steps before this one).
        saved = _Saved(tensor, check_version=storage_of(tensor)[0] not in self.buffer_storages)
        self.saved.add(saved)
        return saved

    def _unpack(self, saved):
        # saved_tensors_hooks bypass autograd's own check that a saved tensor was not modified in place: redo it.
        if saved.check_version and saved.tensor._version != saved.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation "
                f"(version {saved.version} when saved, {saved.tensor._version} now; checked by the worker's "
                "saved-tensor hook, which replaces PyTorch's own check while a step is observed)")
        return saved.tensor

    # -- the record
    def counts(self):
        count = lambda items, network: sum(1 for item in items if item["network"] == network)  # noqa: E731
        wasted = sum(elements for _, elements, state in self.contributions if state != "used")
        return {
            "forwards": [{"network": f["network"], "batchSize": f["batchSize"]} for f in self.forwards],
            "backwards": self.traversals,
            "generatorForwards": count(self.forwards, "generator"),
            "discriminatorForwards": count(self.forwards, "discriminator"),
            "generatorBackwards": count(self.traversals, "generator"),
            "discriminatorBackwards": count(self.traversals, "discriminator"),
            "backwardCalls": self.backward_calls,
            "wastedGradientElements": wasted,
            "retainedBytes": self.retained_bytes,
            "generatorBatchNormUpdates": self.batch_norm_updates("generator"),
            "discriminatorBatchNormUpdates": self.batch_norm_updates("discriminator"),
        }

    def batch_norm_updates(self, name):
        """Training-mode forwards through the network's BatchNorm layers, per network: calls over modules."""
        modules = len(self.batch_norms[name])
        if modules == 0:
            return 0
        calls = self.batch_norm_calls[name]
        if calls % modules != 0:
            raise RuntimeError(f"{name}'s {modules} BatchNorm modules ran {calls} times: not once each per forward")
        return calls // modules


def python_tensors():
    """Tensors Python can reach (gc-tracked torch.Tensor objects, parameters and gradients included)."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor))


FLOP_COUNTER_VARIABLE = "GAN_BENCH_FLOP_COUNTER"


def flop_counter_kind():
    """'flop-counter' (torch.utils.flop_counter.FlopCounterMode, PyTorch >= 2.1) or 'dispatch' (DispatchFlopCounter,
    the same formulas in a TorchDispatchMode, for PyTorch 1.13); GAN_BENCH_FLOP_COUNTER picks one where both exist."""
    has_flop_counter = torch_version() >= (2, 1)
    chosen = os.environ.get(FLOP_COUNTER_VARIABLE) or ("flop-counter" if has_flop_counter else "dispatch")
    if chosen not in ("flop-counter", "dispatch"):
        raise ValueError(f"{FLOP_COUNTER_VARIABLE} must be 'flop-counter' or 'dispatch', not '{chosen}'")
    if chosen == "flop-counter" and not has_flop_counter:
        raise ValueError(f"{FLOP_COUNTER_VARIABLE}=flop-counter needs PyTorch >= 2.1 (this is {torch.__version__})")
    return chosen


def conv_flop_count(x_shape, w_shape, out_shape, transposed=False):
    """torch.utils.flop_counter's conv_flop_count: batch x prod(weight) x prod(the output's spatial shape, or the
    input's for a transposed convolution) x 2."""
    batch_size = x_shape[0]
    conv_shape = (x_shape if transposed else out_shape)[2:]
    c_out, c_in, *filter_size = w_shape
    return math.prod(conv_shape) * math.prod(filter_size) * batch_size * c_out * c_in * 2


def conv_backward_flop_count(grad_out_shape, x_shape, w_shape, transposed, output_mask, grad_input_shape, grad_weight_shape):
    """torch.utils.flop_counter's conv_backward_flop: the input gradient as a convolution of the output's gradient
    (transposed the other way), the weight gradient as a convolution of the input with the output's gradient."""
    t = lambda shape: [shape[1], shape[0], *shape[2:]]  # noqa: E731
    flops = 0
    if output_mask[0]:
        flops += conv_flop_count(grad_out_shape, w_shape, grad_input_shape, not transposed)
    if output_mask[1]:
        if transposed:
            flops += conv_flop_count(t(grad_out_shape), t(x_shape), t(grad_weight_shape), transposed=False)
        else:
            flops += conv_flop_count(t(x_shape), t(grad_out_shape), t(grad_weight_shape), transposed=False)
    return flops


def dispatch_flop_formulas():
    """The formulas of torch.utils.flop_counter (PyTorch 2.1) for the products a step runs, by aten op: mm, addmm,
    bmm, baddbmm, convolution and convolution_backward. Each gets the op's args and its output."""
    aten = torch.ops.aten
    shape = lambda tensor: list(tensor.shape)  # noqa: E731

    def mm(args, out):
        (m, k), (_, n) = shape(args[0]), shape(args[1])
        return 2 * m * n * k

    def bmm(args, out):
        (b, m, k), (_, _, n) = shape(args[0]), shape(args[1])
        return 2 * b * m * n * k

    def convolution(args, out):
        return conv_flop_count(shape(args[0]), shape(args[1]), shape(out), transposed=bool(args[6]))

    def convolution_backward(args, out):
        grad_out, x, w = args[0], args[1], args[2]
        transposed, output_mask = bool(args[7]), args[10]
        grad_input, grad_weight = out[0], out[1]
        return conv_backward_flop_count(shape(grad_out), shape(x), shape(w), transposed, output_mask,
                                        shape(grad_input) if grad_input is not None else None,
                                        shape(grad_weight) if grad_weight is not None else None)

    return {
        aten.mm: mm,
        aten.addmm: lambda args, out: mm(args[1:], out),
        aten.bmm: bmm,
        aten.baddbmm: lambda args, out: bmm(args[1:], out),
        aten.convolution: convolution,
        aten._convolution: convolution,
        aten.convolution_backward: convolution_backward,
    }


def dispatch_flop_counter():
    """A TorchDispatchMode (PyTorch >= 1.13) that sums torch.utils.flop_counter's formulas over the ops that reach
    the backend, forwards and autograd's backward ops alike (PyTorch 1.13 has no FlopCounterMode, and its
    profiler's with_flops counts neither transposed nor backward convolutions)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    formulas = dispatch_flop_formulas()
    detach = torch.ops.aten.detach

    class DispatchFlopCounter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func.overloadpacket is detach and not isinstance(out, torch.Tensor):
                # PyTorch 1.13 returns a wrapped number (the 2 of `d_loss / 2`, which autograd saved and detaches
                # as it unpacks it) to Python as an int, which autograd then refuses: detach it as a tensor.
                out = args[0].detach()
            formula = formulas.get(func.overloadpacket)
            if formula is not None:
                self.total += int(formula(args, out))
            return out

        def get_total_flops(self):
            return self.total

    return DispatchFlopCounter()


def flop_counter_mode(kind):
    """A FLOP counter of this kind (flop_counter_kind), as a context manager with get_total_flops()."""
    if kind == "flop-counter":
        from torch.utils.flop_counter import FlopCounterMode

        return FlopCounterMode(display=False)
    return dispatch_flop_counter()


def profiler_tree(prof):
    """Every event of the profiler's exact call tree (kineto_results.experimental_event_tree), or None where this
    PyTorch lacks it. Its nesting is exact; FunctionEvent.cpu_children is rebuilt from rounded timestamps."""
    try:
        roots = prof.profiler.kineto_results.experimental_event_tree()
    except AttributeError:
        return None
    events = []
    stack = list(roots)
    while stack:
        event = stack.pop()
        stack.extend(event.children)
        events.append(event)
    return events


def cpu_kernel_count(tree):
    """aten ops that compute on the CPU: aten ops other than views, allocations and metadata (NON_COMPUTING_OPS)
    that call no other such op (a composite op such as linear counts through the ops it calls), plus every matrix
    product (addmm calls copy_ for its bias, then runs the product itself)."""
    if tree is None:
        return None
    from torch._C._profiler import _EventType

    def computes(event):
        return event.tag == _EventType.TorchOp and event.name.startswith("aten::") and event.name not in NON_COMPUTING_OPS

    count = 0
    for event in tree:
        if computes(event) and (event.name in MATMUL_OPS or not any(computes(child) for child in event.children)):
            count += 1
    return count


def cuda_kernel_count(events):
    """Device-side events of the step (kernels, memcpy and memset), as torch.profiler records them."""
    return sum(1 for event in events if str(getattr(event, "device_type", "")).endswith("CUDA"))


def cpu_peak_bytes(tree):
    """The most bytes allocated on the CPU during the profiled step beyond those before it: the running sum of
    the profiler's allocation events (profile_memory=True), frees negative, in time order."""
    if tree is None:
        return None
    from torch._C._profiler import _EventType

    allocations = []
    for event in tree:
        if event.tag != _EventType.Allocation:
            continue
        fields = event.extra_fields
        device = getattr(fields, "device", None)
        if device is not None and getattr(device, "type", "cpu") != "cpu":
            continue
        allocations.append((event.start_time_ns, fields.alloc_size))
    allocations.sort(key=lambda pair: pair[0])
    live = peak = 0
    for _, size in allocations:
        live += size
        peak = max(peak, live)
    return peak


def observe_step(runtime, gan, step, warm_batch, measured_batch):
    """A warm step, a plain step whose leaked tensors are counted, then one observed and profiled step: the record
    src/measure/record.ts describes. The warm and leak-check steps run uninstrumented, so that a strategy PyTorch
    refuses fails there with PyTorch's own check, and so that no measuring tool's own objects count as leaks
    (FlopCounterMode keeps tensors alive after torch.autograd.grad on PyTorch 2.x). On the CPU both run under a
    memory profiler: allocations made while one runs have known sizes when the measured step frees them. FLOPs:
    FlopCounterMode around the observed step (PyTorch >= 2.1), or its formulas in a TorchDispatchMode around one
    more step (PyTorch 1.13, or GAN_BENCH_FLOP_COUNTER=dispatch: flop_counter_kind)."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if runtime.is_cuda else [])

    def plain_step():
        if runtime.is_cuda:
            step(gan, warm_batch)
        else:
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True):
                step(gan, warm_batch)
        runtime.sync()

    plain_step()
    tensors_before = python_tensors()
    plain_step()
    leaked = python_tensors() - tensors_before
    if runtime.is_cuda:
        torch.cuda.reset_peak_memory_stats(runtime.device)
        bytes_before = torch.cuda.memory_allocated(runtime.device)
    kind = flop_counter_kind()
    flop_counter = flop_counter_mode(kind) if kind == "flop-counter" else None
    with StepObserver(gan) as observer:
        with profile(activities=activities, profile_memory=not runtime.is_cuda) as prof:
            if flop_counter is not None:
                with flop_counter:
                    step(gan, measured_batch)
            else:
                step(gan, measured_batch)
            runtime.sync()
    events = prof.events()
    if runtime.is_cuda:
        peak = torch.cuda.max_memory_allocated(runtime.device) - bytes_before
        kernels = cuda_kernel_count(events)
    else:
        tree = profiler_tree(prof)
        peak = cpu_peak_bytes(tree)
        kernels = cpu_kernel_count(tree)
        del tree
    if flop_counter is None:
        # The dispatch counter adds its own aten calls to the profiler's events (and its allocations to the memory
        # profiler's), so on PyTorch 1.13 the FLOPs are counted on one more step of the same strategy and batch:
        # the same shapes, the same products.
        flop_counter = flop_counter_mode(kind)
        with flop_counter:
            step(gan, measured_batch)
        runtime.sync()
    flops = int(flop_counter.get_total_flops())
    del prof, events, flop_counter
    record = observer.counts()
    del observer
    record.update({
        "flops": flops,
        "kernels": kernels,
        "dispatches": None,
        "peakBytes": max(0, int(peak)) if peak is not None else None,
        "leakedTensors": leaked,
    })
    return record


# ----------------------------------------------------------------------------------------------------------------
# Calibration: the step's own products and one elementwise op at a layer's shapes (src/measure/calibration.ts), and
# on CUDA the float32 peak
# ----------------------------------------------------------------------------------------------------------------

PEAK_SIZE = 8192  # the float32 peak's product: 8192 x 8192 by 8192 x 8192 (1.1 TFLOP), on CUDA only
PEAK_REPEATS = 5


def another_round_fits(done, elapsed_ms, last_round_ms, budget_ms, max_rounds):
    """src/measure/calibration.ts's anotherRoundFits: the first round always, then while the budget allows."""
    if done == 0:
        return True
    return done < max_rounds and elapsed_ms + last_round_ms <= budget_ms


def calibration_workloads(layer, device):
    """The three products as PyTorch's nn.Linear runs them in a step, on fresh operands each time (new tensors, as
    after an optimizer step), and torch.mul over a weight matrix's elements. PyTorch stores W as [out, in]: its
    forward is addmm(b, x, W.t()) (F.linear), the input gradient dY.mm(W), the weight gradient dY.t().mm(X)
    (autograd's mm backward for a transposed mat2), so the forms are the same roles as tfjs's."""
    b, i, o = int(layer["batchSize"]), int(layer["inputSize"]), int(layer["outputSize"])
    generator = torch.Generator(device="cpu").manual_seed(1)

    def base(*shape):
        return (torch.rand(*shape, generator=generator) * 2 - 1).to(device)

    x, w, bias, dy, a, c = base(b, i), base(o, i), base(o), base(b, o), base(o, i), base(o, i)
    fresh = lambda *tensors: [t.neg() for t in tensors]  # noqa: E731 - a new buffer, same shape
    return [
        ("plain", "torch.addmm(b, x, W.t())", lambda: fresh(x, w, bias), lambda x_, w_, b_: torch.addmm(b_, x_, w_.t())),
        ("transposeB", "dY.mm(W)", lambda: fresh(dy, w), lambda dy_, w_: dy_.mm(w_)),
        ("transposeA", "dY.t().mm(X)", lambda: fresh(dy, x), lambda dy_, x_: dy_.t().mm(x_)),
        ("elementwise", "torch.mul", lambda: fresh(a, c), lambda a_, c_: torch.mul(a_, c_)),
    ], o * i


def measure_fp32_peak(runtime):
    """The best of PEAK_REPEATS float32 products of PEAK_SIZE^3 on CUDA (TF32 off, as the runtime set it), after one
    untimed product; None on the CPU."""
    if not runtime.is_cuda:
        return None
    size = PEAK_SIZE
    a = torch.randn(size, size, device=runtime.device)
    b = torch.randn(size, size, device=runtime.device)
    try:
        torch.mm(a, b)
        runtime.sync()
        best = math.inf
        for _ in range(PEAK_REPEATS):
            start = time.perf_counter()
            torch.mm(a, b)
            runtime.sync()
            best = min(best, (time.perf_counter() - start) * 1000)
    finally:
        del a, b
        torch.cuda.empty_cache()
    flops = 2 * size ** 3
    return {"size": size, "flops": flops, "repeats": PEAK_REPEATS, "bestMs": best,
            "flopsPerSecond": flops / (best / 1000), "precision": runtime.matmul_precision}


# ----------------------------------------------------------------------------------------------------------------
# Training to a result (`npm run quality`, docs/quality.md): the scenario's GAN as src/models/gan.ts builds it (its
# optimizer, G loss, biases and initial values, or the harness's initial weights), fed the batches the harness sent
# (src/quality/pytorch-trainer.ts), G's samples streamed back at every checkpoint. The metrics are TypeScript's.
# ----------------------------------------------------------------------------------------------------------------

HEARTBEAT_S = 10.0  # a progress line at least this often while training, so that no silence limit is reached
ON_GENERATED = "_gan_bench_on_generated"  # marks D's predictions on generated samples (the minimax G loss)


def decode_array(text, dtype, what):
    """A 1-D CPU tensor from base64 of 4-byte values in the machine's byte order (float32 or int32), as the
    harness's typed arrays hold them."""
    try:
        raw = bytearray(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what}: not base64 ({error})") from None
    if len(raw) % 4 != 0:
        raise ValueError(f"{what}: {len(raw)} bytes is not a whole number of 4-byte values")
    if not raw:
        return torch.zeros(0, dtype=dtype)
    return torch.frombuffer(raw, dtype=dtype).clone()


def encode_array(tensor):
    """base64 of a tensor's values as float32 in the machine's byte order (what a Float32Array reads)."""
    values = tensor.detach().to(device="cpu", dtype=torch.float32).contiguous().reshape(-1)
    if values.numel() == 0:
        return ""
    return base64.b64encode(ctypes.string_at(values.data_ptr(), values.numel() * 4)).decode("ascii")


def harness_layout(network):
    """(parameter, transposed) in parameters() order: nn.Linear stores W as [out, in], the harness's dense kernel
    is [in, out] (src/models/mlp.ts); a 1-D parameter (a bias) is the same in both. A parameter of any other kind
    has no agreed layout yet and is refused, so that weights are never loaded silently scrambled."""
    layout = []
    for module in network.modules():
        for name, p in module.named_parameters(recurse=False):
            if isinstance(module, torch.nn.Linear) and name == "weight":
                layout.append((p, True))
            elif p.dim() <= 1:
                layout.append((p, False))
            else:
                raise ValueError(f"no harness layout for {type(module).__name__}.{name} {list(p.shape)}: "
                                 "send no initial weights (the worker then initialises from the seed)")
    return layout


def load_harness_weights(network, arrays, what):
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


def harness_parameters(network):
    """Every parameter's values in the harness's layout, base64 float32 (a checkpoint's `parameters`)."""
    return [encode_array(p.t() if transposed else p) for p, transposed in harness_layout(network)]


def training_network(spec, options):
    """The model builder's network with the scenario's layer options (src/scenario/schema.ts): `bias: false` drops
    every nn.Linear's bias (as nn.Linear(..., bias=False) has none), `initialValue` sets every parameter."""
    network = build_network(spec)
    if not options.get("bias", True):
        for module in network.modules():
            if isinstance(module, torch.nn.Linear):
                module.bias = None
    if options.get("initialValue") is not None:
        with torch.no_grad():
            for p in network.parameters():
                p.fill_(float(options["initialValue"]))
    return network


class AdversarialLoss:
    """nn.BCELoss as the strategies call it, adversarial_loss(prediction, target). With the minimax G loss, G's term,
    D's prediction on generated samples (G's output or a detach of it: the same storage) against the `valid` label,
    becomes -BCE(prediction, fake): G minimises log(1 - D(G(z))). Every D term stays BCE. The step context of the
    tfjs backends does the same (src/models/step-runner.ts); the strategies stay unchanged."""

    def __init__(self, generator_loss, generator, discriminator, valid, fake):
        if generator_loss not in ("non-saturating", "minimax"):
            raise ValueError(f"unknown generator loss '{generator_loss}' (known: non-saturating, minimax)")
        self.bce = torch.nn.BCELoss()
        self.minimax = generator_loss == "minimax"
        self.valid, self.fake = valid, fake
        self.generated = None  # (data_ptr, shape) of G's latest output: one G forward per step
        if self.minimax:
            generator.register_forward_hook(self._generator_output)
            discriminator.register_forward_hook(self._discriminator_output)

    def _generator_output(self, module, inputs, output):
        self.generated = (output.data_ptr(), tuple(output.shape))

    def _discriminator_output(self, module, inputs, output):
        x = inputs[0]
        if self.generated == (x.data_ptr(), tuple(x.shape)):
            setattr(output, ON_GENERATED, True)

    def __call__(self, prediction, target):
        if self.minimax and target is self.valid and getattr(prediction, ON_GENERATED, False):
            return -self.bce(prediction, self.fake)
        return self.bce(prediction, target)


def make_labels(batch_size, device):
    """`valid` and `fake`, shared by every batch (the minimax loss tells G's term by its `valid`)."""
    return (torch.ones(batch_size, 1, device=device, dtype=torch.float32),
            torch.zeros(batch_size, 1, device=device, dtype=torch.float32))


class TrainingGan:
    """The GAN a quality run trains (src/models/gan.ts): the builder's G and D (G seeded with the scenario's seed, D
    with seed + 1) with the scenario's biases and initial values, or the harness's initial weights where sent; the
    scenario's optimizer, torch.optim.Adam or torch.optim.SGD (plain gradient descent), D at its own rate where set;
    the scenario's G loss. The attributes STEPS read, as Gan's, so every strategy runs on it unchanged."""

    def __init__(self, scenario, device, labels, weights=None):
        specs = network_specs(scenario)
        seed = scenario["seed"]
        torch.manual_seed(seed)
        self.G = training_network(specs["generator"], scenario["generator"])
        torch.manual_seed(seed + 1)
        self.D = training_network(specs["discriminator"], scenario["discriminator"])
        if weights is not None:
            load_harness_weights(self.G, weights["generator"], "generator")
            load_harness_weights(self.D, weights["discriminator"], "discriminator")
        self.G.to(device=device, dtype=torch.float32)
        self.D.to(device=device, dtype=torch.float32)
        optimizer = scenario["optimizer"]
        rate = optimizer["learningRate"]
        d_rate = optimizer.get("discriminatorLearningRate") or rate
        if optimizer["name"] == "sgd":
            self.optimizer_G = torch.optim.SGD(self.G.parameters(), lr=rate)
            self.optimizer_D = torch.optim.SGD(self.D.parameters(), lr=d_rate)
        elif optimizer["name"] == "adam":
            settings = dict(betas=(optimizer["beta1"], optimizer["beta2"]), eps=optimizer["epsilon"])
            self.optimizer_G = torch.optim.Adam(self.G.parameters(), lr=rate, **settings)
            self.optimizer_D = torch.optim.Adam(self.D.parameters(), lr=d_rate, **settings)
        else:
            raise ValueError(f"unknown optimizer '{optimizer['name']}' (known: adam, sgd)")
        valid, fake = labels
        generator_loss = scenario.get("loss", {}).get("generator", "non-saturating")
        self.bce = AdversarialLoss(generator_loss, self.G, self.D, valid, fake)
        self.steps_taken = 0


class TrainingStream:
    """One seed's batches as the harness sent them (src/quality/pytorch-trainer.ts): every step's noise z, and the
    real samples as every step's values (`real`) or, for data drawn from a fixed table (MNIST's training digits),
    the table once (`table`) and every step's rows (`rows`, int32). Batch `step` is rows [step * batchSize,
    (step + 1) * batchSize) of each: the very numbers the tfjs trainer feeds."""

    def __init__(self, data, scenario, device, labels):
        self.batch_size = batch_size = int(scenario["batchSize"])
        latent = int(scenario["generator"]["latentSize"])
        size = int(scenario["generator"]["outputSize"])
        self.steps = steps = int(data["steps"])
        self.labels = labels

        def matrix(key, dtype, columns, rows):
            values = decode_array(data[key], dtype, f"data.{key}")
            if values.numel() != rows * columns:
                raise ValueError(f"data.{key}: {values.numel()} values, expected {rows} x {columns}")
            return values.reshape(rows, columns)

        self.z = matrix("z", torch.float32, latent, steps * batch_size).to(device)
        if "real" in data:
            self.real = matrix("real", torch.float32, size, steps * batch_size).to(device)
            self.table = self.rows = None
        elif "table" in data and "rows" in data:
            table = decode_array(data["table"], torch.float32, "data.table")
            if table.numel() % size != 0:
                raise ValueError(f"data.table: {table.numel()} values is not a whole number of rows of {size}")
            self.table = table.reshape(-1, size).to(device)
            rows = matrix("rows", torch.int32, 1, steps * batch_size).reshape(-1)
            self.rows = rows.to(device=device, dtype=torch.long)
            if self.rows.numel() and (int(self.rows.min()) < 0 or int(self.rows.max()) >= self.table.shape[0]):
                raise ValueError(f"data.rows: a row outside the table's {self.table.shape[0]}")
            self.real = None
        else:
            raise ValueError("data: needs `real`, or `table` and `rows`")

    def batch(self, step):
        start, end = step * self.batch_size, (step + 1) * self.batch_size
        real = self.real[start:end] if self.real is not None else self.table.index_select(0, self.rows[start:end])
        valid, fake = self.labels
        return self.z[start:end], real, valid, fake


# ----------------------------------------------------------------------------------------------------------------
# The operations
# ----------------------------------------------------------------------------------------------------------------


class Worker:
    def __init__(self, emit):
        self.emit = emit
        self.runtime = Runtime()
        self.scenario = None
        self.strategies = []
        self.trainees = {}
        self.batches = []

    def hello(self, params, request_id):
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
            "measures": {
                "flops": "torch.utils.flop_counter.FlopCounterMode" if flops_by == "flop-counter"
                else "torch.utils.flop_counter's formulas in a TorchDispatchMode (mm, addmm, bmm, convolution, convolution_backward)",
                "kernels": "torch.profiler CUDA events" if runtime.is_cuda else "torch.profiler aten ops that compute",
                "peakBytes": "torch.cuda.max_memory_allocated" if runtime.is_cuda
                else "torch.profiler memory events (profile_memory), running sum",
            },
        }

    def calibrate(self, params, request_id):
        """The step's products at `layer` (forward, input gradient, weight gradient) and torch.mul over its weight's
        elements: one untimed warm-up round, then interleaved timed rounds while they fit `budgetMs` (at least 1, at
        most `maxRounds`), each sample ended by a CUDA sync; the median of each. With `peak`, on CUDA, also the
        float32 peak. The record of src/measure/calibration.ts, without scenario, backend, device and error."""
        layer = params["layer"]
        budget_ms = float(params.get("budgetMs", 500))
        max_rounds = int(params.get("maxRounds", 9))
        runtime = self.runtime
        started = time.perf_counter()
        workloads, elements = calibration_workloads(layer, runtime.device)
        samples = {name: [] for name, *_ in workloads}

        def one_round():
            for name, _, prepare, run in workloads:
                inputs = prepare()
                runtime.sync()
                start = time.perf_counter()
                output = run(*inputs)
                runtime.sync()
                samples[name].append((time.perf_counter() - start) * 1000)
                del output, inputs

        with torch.no_grad():
            one_round()  # the warm-up: its samples are dropped
            for values in samples.values():
                values.clear()
            rounds, last_round_ms = 0, 0.0
            while another_round_fits(rounds, (time.perf_counter() - started) * 1000, last_round_ms, budget_ms, max_rounds):
                round_start = time.perf_counter()
                one_round()
                last_round_ms = (time.perf_counter() - round_start) * 1000
                rounds += 1
        elapsed_ms = (time.perf_counter() - started) * 1000
        flops = 2 * int(layer["batchSize"]) * int(layer["inputSize"]) * int(layer["outputSize"])
        products = []
        for name, operation, *_ in workloads[:3]:
            median_ms = statistics.median(samples[name])
            products.append({"form": name, "operation": operation, "flops": flops, "medianMs": median_ms,
                             "gflops": flops / median_ms / 1e6})
        element_ms = statistics.median(samples["elementwise"])
        element_bytes = 3 * 4 * elements
        del workloads
        peak = measure_fp32_peak(runtime) if params.get("peak") else None
        return {
            "layer": layer,
            "products": products,
            "elementwise": {"kernel": "torch.mul", "elements": elements, "bytes": element_bytes, "medianMs": element_ms,
                            "gbPerS": element_bytes / element_ms / 1e6},
            "rounds": rounds,
            "elapsedMs": elapsed_ms,
            "fp32Peak": peak,
        }

    def setup(self, params, request_id):
        """One GAN per strategy, all from the scenario's seed, and the batch pool, on the worker's device. With
        `training` ({data, weights}), the GANs `train` builds and the batches sent instead (the quality run's timing)."""
        scenario = params["scenario"]
        strategies = list(params["strategies"])
        unknown = [sid for sid in strategies if sid not in STEPS]
        if unknown or not strategies:
            raise ValueError(f"unknown strategies {unknown} (known: {', '.join(STRATEGY_IDS)})")
        self.scenario, self.strategies = scenario, strategies
        self.trainees = {}
        self.batches = []
        if self.runtime.is_cuda:
            torch.cuda.empty_cache()
        device = self.runtime.device
        training = params.get("training")
        if training is None:
            self.trainees = {sid: Gan(scenario, device, torch.float32) for sid in strategies}
            self.batches = make_batches(scenario, BATCH_POOL, device, torch.float32)
        else:  # the quality run's step timing: the GAN `train` builds, on the batches sent
            labels = make_labels(int(scenario["batchSize"]), device)
            stream = TrainingStream(training["data"], scenario, device, labels)
            self.trainees = {sid: TrainingGan(scenario, device, labels, training.get("weights")) for sid in strategies}
            self.batches = [stream.batch(step) for step in range(stream.steps)]
        some = next(iter(self.trainees.values()))
        return {
            "strategies": strategies,
            "parameters": {"generator": sum(p.numel() for p in some.G.parameters()),
                           "discriminator": sum(p.numel() for p in some.D.parameters())},
        }

    def _require_setup(self):
        if self.scenario is None:
            raise RuntimeError("no scenario: send setup first")

    def equivalence(self, params, request_id):
        """In float64 on the CPU, from identical weights and data, each strategy trains `steps` steps; its largest
        absolute parameter difference to the reference strategy's (retain-graph when present, else the first), and
        the same for D's BatchNorm running means and variances (null where D has none)."""
        self._require_setup()
        steps = int(params["steps"])
        strategies = self.strategies
        reference = "retain-graph" if "retain-graph" in strategies else strategies[0]
        cpu = torch.device("cpu")
        batches = make_batches(self.scenario, steps, cpu, torch.float64)

        def trained(sid):
            self.emit({"id": request_id, "progress": {"phase": "equivalence", "strategy": sid}})
            gan = Gan(self.scenario, cpu, torch.float64)
            for batch in batches:
                STEPS[sid](gan, batch)
            return gan.parameters_flat(), running_statistics(gan.D)

        def largest_difference(a, b):
            difference = float((a - b).abs().max())
            if not math.isfinite(difference):
                raise FloatingPointError(f"the largest difference is {difference}")
            return difference

        try:
            reference_parameters, reference_running = trained(reference)
        except Exception as error:  # noqa: BLE001 - every strategy is then without a reference
            failure = error_of(error)
            return {"reference": reference,
                    "results": [{"strategy": sid, "reference": reference, "maxParamDiff": None, "maxRunningStatsDiff": None,
                                 "error": failure} for sid in strategies]}
        results = []
        for sid in strategies:
            if sid == reference:
                results.append({"strategy": sid, "reference": reference, "maxParamDiff": 0.0,
                                "maxRunningStatsDiff": 0.0 if reference_running is not None else None, "error": None})
                continue
            try:
                parameters, running = trained(sid)
                results.append({
                    "strategy": sid,
                    "reference": reference,
                    "maxParamDiff": largest_difference(parameters, reference_parameters),
                    "maxRunningStatsDiff": largest_difference(running, reference_running) if running is not None else None,
                    "error": None,
                })
            except Exception as error:  # noqa: BLE001 - this strategy's outcome
                results.append({"strategy": sid, "reference": reference, "maxParamDiff": None, "maxRunningStatsDiff": None,
                                "error": error_of(error)})
        return {"reference": reference, "results": results}

    def _trainee(self, strategy):
        self._require_setup()
        if strategy not in self.trainees:
            raise ValueError(f"strategy '{strategy}' was not set up (set up: {', '.join(self.strategies)})")
        return self.trainees[strategy]

    def observe(self, params, request_id):
        """Two plain steps (warm-up, leak check) on batch 0, then one observed, profiled step on batch 1 of `strategy`'s GAN."""
        strategy = params["strategy"]
        gan = self._trainee(strategy)
        return observe_step(self.runtime, gan, STEPS[strategy], self.batches[0], self.batches[1])

    def time(self, params, request_id):
        """One interleaved round: each strategy in turn takes `warmupSteps` untimed steps, then timed steps until it
        has at least `iterations` samples and `timeMs` milliseconds of them. A sample is time.perf_counter() around
        one step, ended by torch.cuda.synchronize() on CUDA. Each strategy cycles through the batch pool."""
        self._require_setup()
        strategies = params.get("strategies") or self.strategies
        warmup = int(params.get("warmupSteps", 0))
        iterations = max(1, int(params["iterations"]))
        time_ms = float(params["timeMs"])
        sync = self.runtime.sync
        results = []
        for sid in strategies:
            gan = self._trainee(sid)
            step = STEPS[sid]
            samples = []
            error = None
            try:
                for _ in range(warmup):
                    step(gan, self.batches[gan.steps_taken % len(self.batches)])
                    gan.steps_taken += 1
                    sync()
                total = 0.0
                while len(samples) < iterations or total < time_ms:
                    batch = self.batches[gan.steps_taken % len(self.batches)]
                    start = time.perf_counter()
                    step(gan, batch)
                    sync()
                    elapsed = (time.perf_counter() - start) * 1000
                    gan.steps_taken += 1
                    samples.append(elapsed)
                    total += elapsed
            except Exception as failure:  # noqa: BLE001 - this strategy's outcome; the others go on
                error = error_of(failure)
            results.append({"strategy": sid, "samplesMs": samples, "error": error})
            self.emit({"id": request_id, "progress": {"phase": "time", "strategy": sid, "samples": len(samples)}})
        device_bytes = torch.cuda.memory_allocated(self.runtime.device) if self.runtime.is_cuda else None
        return {"results": results, "deviceBytes": device_bytes}

    def train(self, params, request_id):
        """Trains `strategy` on the scenario's GAN (TrainingGan: the harness's initial `weights` where sent, else
        from the scenario's seed) for `steps` steps on the batches sent (`data`, TrainingStream). At each step of
        `checkpoints` (0: before the first step) a progress line carries G(evaluationNoise), `samples` (base64
        float32, [count, outputSize]), and with `withParameters` every parameter in the harness's layout. Between
        checkpoints a progress line at least every HEARTBEAT_S seconds. A failing step fails the request; the
        checkpoints already sent stand."""
        scenario = params["scenario"]
        strategy = params["strategy"]
        if strategy not in STEPS:
            raise ValueError(f"unknown strategy '{strategy}' (known: {', '.join(STRATEGY_IDS)})")
        steps = int(params["steps"])
        checkpoints = sorted({int(step) for step in params["checkpoints"]})
        outside = [step for step in checkpoints if step < 0 or step > steps]
        if outside:
            raise ValueError(f"checkpoints {outside} are outside 0..{steps}")
        device = self.runtime.device
        labels = make_labels(int(scenario["batchSize"]), device)
        stream = TrainingStream(params["data"], scenario, device, labels)
        if stream.steps < steps:
            raise ValueError(f"data holds {stream.steps} steps' batches, {steps} asked for")
        gan = TrainingGan(scenario, device, labels, params.get("weights"))
        latent = int(scenario["generator"]["latentSize"])
        noise = decode_array(params["evaluationNoise"], torch.float32, "evaluationNoise")
        if noise.numel() == 0 or noise.numel() % latent != 0:
            raise ValueError(f"evaluationNoise: {noise.numel()} values is not a whole number of rows of {latent}")
        noise = noise.reshape(-1, latent).to(device)
        with_parameters = bool(params.get("withParameters"))
        step_of = STEPS[strategy]
        wanted = set(checkpoints)

        def checkpoint(step):
            with torch.no_grad():
                samples = gan.G(noise)
            progress = {"phase": "checkpoint", "step": step, "samples": encode_array(samples)}
            if with_parameters:
                progress["parameters"] = {"generator": harness_parameters(gan.G),
                                          "discriminator": harness_parameters(gan.D)}
            self.emit({"id": request_id, "progress": progress})

        last_line = time.perf_counter()
        for step in range(steps):
            if step in wanted:
                checkpoint(step)
                last_line = time.perf_counter()
            step_of(gan, stream.batch(step))
            if time.perf_counter() - last_line > HEARTBEAT_S:
                self.emit({"id": request_id, "progress": {"phase": "train", "step": step + 1}})
                last_line = time.perf_counter()
        if steps in wanted:
            checkpoint(steps)
        return {"steps": steps, "checkpoints": len(checkpoints)}

    def shutdown(self, params, request_id):
        return {"bye": True}


OPERATIONS = ("hello", "calibrate", "setup", "equivalence", "observe", "time", "train", "shutdown")


def error_of(error):
    return {"type": type(error).__name__, "message": str(error)}


def main():
    global torch
    # The protocol owns the real stdout; anything else that writes to fd 1 (a library's print, C code) goes to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(message):
        protocol.write(json.dumps(message, allow_nan=False) + "\n")
        protocol.flush()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import torch as imported

        torch = imported
        worker = Worker(emit)
    except Exception as error:  # noqa: BLE001 - reported on the protocol, then the worker exits
        emit({"id": None, "ok": False, "error": error_of(error)})
        return 3
    emit({"id": None, "ready": True})

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            op = request.get("op")
            if op not in OPERATIONS:
                raise ValueError(f"unknown op '{op}' (known: {', '.join(OPERATIONS)})")
            result = getattr(worker, op)(request.get("params") or {}, request_id)
            emit({"id": request_id, "ok": True, "result": result})
            if op == "shutdown":
                return 0
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # noqa: BLE001 - the request's failure, the worker goes on
            log(traceback.format_exc().rstrip())
            emit({"id": request_id, "ok": False, "error": error_of(error)})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
