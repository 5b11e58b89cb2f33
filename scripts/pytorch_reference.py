#!/usr/bin/env python3
"""PyTorch reference for the GPU check (docs/gpu-check.md): the balanced scenario's GAN, the four strategies.

Superseded by the `pytorch` backend (`npm run bench -- <scenario> --backend pytorch`; src/backends/pytorch/,
docs/pytorch.md), which builds any scenario's networks, runs on PyTorch 1.13 and 2.x, and fills the same CSV as the
tfjs backends. This script stays only until scripts/gpu-check.sh calls that backend: gpu-check.sh runs its measure
mode (on the GPU machine's PyTorch 2.x; on 1.13 it fails for want of torch.utils.flop_counter) and its `compare`
subcommand, which reads webgpu.json and pytorch.json. Change neither in the meantime.

Measure (on the GPU machine, which has PyTorch 2.11):

    python3 scripts/pytorch_reference.py --batch-sizes 64,4096 --seconds-per-cell 5 --warmup 10 \
        --out "$OUT/pytorch.json" --device cuda            # or --device cpu

Compare with the webgpu side (needs no PyTorch: runs anywhere):

    python3 scripts/pytorch_reference.py compare --webgpu "$OUT/webgpu/webgpu.json" \
        --pytorch "$OUT/pytorch.json" --out "$OUT/gpu-check.md"

What it mirrors, exactly as scenarios/balanced.ts and src/ build it:
- G 100-128-256-512-1024-784, LeakyReLU(0.2) between layers, Tanh out; D 784-512-256-1, LeakyReLU(0.2),
  Sigmoid out; nn.Linear layers (PyTorch's default init, as src/models/mlp.ts imitates), no BatchNorm;
- nn.BCELoss (mean; it clamps log at -100 as src/models/gan.ts does); one Adam per network, lr 2e-4,
  betas (0.5, 0.999), eps 1e-8 (PyTorch's default implementation for the device: foreach on CUDA);
- float32; data as createBatches in src/models/gan.ts: a pool of 4 pre-generated batches, z ~ N(0, 1) of
  [B, 100] and real ~ U(-1, 1) of [B, 784], labels ones/zeros [B, 1], cycled through by the timed steps;
- the four strategies as the docstrings of src/strategies/*.ts write them (retain-graph, detach-d-first,
  g-first, single-forward), with one change to retain-graph, below.

retain-graph (the post's strategy 1) cannot run as written on PyTorch >= 1.5: optimizer_D.step() updates D's
weights in place before g_loss.backward() needs them, and autograd raises "one of the variables needed for
gradient computation has been modified by an inplace operation" (pytorch/pytorch#39141). Our tape
back-propagates g_loss through the forward-time D weights; to compute that same update with every forward and
backward of the original, the reference moves D's step after g_loss.backward():

    d_loss.backward(retain_graph=True)      # D's (and G's, wasted) grads
    stash = D's .grad tensors; D's .grad = None     # moved aside, not copied
    optimizer_G.zero_grad(); g_loss.backward()      # G's grads (and D's, wasted), through the forward-time D
    D's .grad = stash; optimizer_D.step(); optimizer_G.step()

Timing: every step is followed by torch.cuda.synchronize() and timed with time.perf_counter(), so a sample
is the wall time until the GPU has finished the step, Python launch overhead included: the same thing the
webgpu side measures (its step ends with the backend's sync). Warm-up steps are not timed; the strategies are
interleaved in rounds, each round giving every strategy an equal share of the cell's seconds.
TF32 is off for matmuls (torch.backends.cuda.matmul.fp32_precision = 'ieee', or allow_tf32 = False on older
PyTorch), for the GAN steps and for the fp32 peak alike: full float32, like WebGPU's f32 shaders.
FLOPs: torch.utils.flop_counter.FlopCounterMode over one untimed step per cell (matmuls only, a multiply-add
is 2 FLOPs: the convention of src/measure/flops.ts). The float32 peak is measured: a large matmul (8192^3 on
CUDA, 2048^3 on CPU) timed the same way.

Also checks the strategies' update logic: from identical weights and data, in float64 on the CPU, each strategy
trains --equivalence-steps steps at batch 64; retain-graph, g-first and single-forward must agree (the
simultaneous update) and detach-d-first must differ (it is alternating), as src/measure/equivalence.ts finds.

Kernels: torch.profiler's CUDA events over one more untimed step per cell (kernel launches, memcpy and memset
included), set against webgpu's dispatches per step; null on the CPU or if the profiler fails.

Output JSON: {torch, device, fp32PeakFlops, cells: [{strategy, batchSize, meanMs, p50Ms, p99Ms, samples, flops,
kernels}], plus settings, equivalence and environment details}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

STRATEGY_IDS = ["retain-graph", "detach-d-first", "g-first", "single-forward"]

# scenarios/balanced.ts
LATENT = 100
G_HIDDEN = [128, 256, 512, 1024]
DATA = 784
D_HIDDEN = [512, 256]
LEAKY_SLOPE = 0.2
LR, BETAS, EPS = 2e-4, (0.5, 0.999), 1e-8
BATCH_POOL = 4  # src/runner.ts BATCH_POOL
SEED = 1

# ----------------------------------------------------------------------------------------------------------
# The GAN and the four strategies (imports torch lazily, so that `compare` runs where PyTorch is absent)
# ----------------------------------------------------------------------------------------------------------


def build_mlp(nn, widths, activation_factory, output_module):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        layers.append(activation_factory() if i + 2 < len(widths) else output_module)
    return nn.Sequential(*layers)


class Gan:
    """G, D and one Adam each, built from the same seed for every strategy."""

    def __init__(self, torch, device, dtype, seed=SEED):
        nn = torch.nn
        torch.manual_seed(seed)
        leaky = lambda: nn.LeakyReLU(LEAKY_SLOPE)  # noqa: E731
        self.G = build_mlp(nn, [LATENT, *G_HIDDEN, DATA], leaky, nn.Tanh()).to(device=device, dtype=dtype)
        self.D = build_mlp(nn, [DATA, *D_HIDDEN, 1], leaky, nn.Sigmoid()).to(device=device, dtype=dtype)
        self.optimizer_G = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.optimizer_D = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.bce = nn.BCELoss()

    def parameters_flat(self, torch):
        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1) for p in [*self.G.parameters(), *self.D.parameters()]])


def make_batches(torch, batch_size, device, dtype, count=BATCH_POOL, seed=SEED):
    """createBatches (src/models/gan.ts): `count` batches of z ~ N(0,1) and real ~ U(-1,1), shared labels."""
    generator = torch.Generator(device="cpu").manual_seed(seed * 7919)
    valid = torch.ones(batch_size, 1, device=device, dtype=dtype)
    fake = torch.zeros(batch_size, 1, device=device, dtype=dtype)
    batches = []
    for _ in range(count):
        z = torch.randn(batch_size, LATENT, generator=generator, dtype=dtype).to(device)
        real = (torch.rand(batch_size, DATA, generator=generator, dtype=dtype) * 2 - 1).to(device)
        batches.append((z, real, valid, fake))
    return batches


def step_retain_graph(torch, gan, batch):
    """The post's strategy 1 (src/strategies/retain-graph.ts), D's step moved after g_loss.backward()."""
    G, D, bce, optimizer_G, optimizer_D = gan.G, gan.D, gan.bce, gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = G(z)
    pred_gen = D(gen_imgs)
    pred_real = D(real_imgs)
    optimizer_D.zero_grad()
    d_loss = (bce(pred_real, valid) + bce(pred_gen, fake)) / 2
    d_loss.backward(retain_graph=True)  # reaches D's and G's parameters
    # optimizer_D.step() here would modify D's weights that g_loss.backward() needs (pytorch#39141): keep D's
    # gradients from d_loss aside (the tensors themselves, no copy) and step D after the second backward.
    d_params = list(D.parameters())
    d_grads = [p.grad for p in d_params]
    for p in d_params:
        p.grad = None
    g_loss = bce(pred_gen, valid)
    optimizer_G.zero_grad()  # G's gradient from d_loss is thrown away
    g_loss.backward()  # through the same graph, at the forward-time D; reaches G's and D's parameters
    for p, g in zip(d_params, d_grads):
        p.grad = g  # D's gradient from g_loss is thrown away
    optimizer_D.step()
    optimizer_G.step()


def step_detach_d_first(torch, gan, batch):
    """The post's strategy 2 (src/strategies/detach-d-first.ts)."""
    G, D, bce, optimizer_G, optimizer_D = gan.G, gan.D, gan.bce, gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    gen_imgs = G(z)  # G's graph is held from here ...
    pred_gen = D(gen_imgs.detach())
    pred_real = D(real_imgs)
    optimizer_D.zero_grad()
    d_loss = (bce(pred_real, valid) + bce(pred_gen, fake)) / 2
    d_loss.backward()  # reaches D's parameters only
    optimizer_D.step()
    g_loss = bce(D(gen_imgs), valid)  # a fresh D forward, through the updated D
    optimizer_G.zero_grad()
    g_loss.backward()  # ... to here; reaches G's and D's parameters
    optimizer_G.step()  # D's gradient from g_loss is thrown away (next zero_grad)


def step_g_first(torch, gan, batch):
    """The post's strategy 3 (src/strategies/g-first.ts)."""
    G, D, bce, optimizer_G, optimizer_D = gan.G, gan.D, gan.bce, gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake = batch
    optimizer_G.zero_grad()
    gen_imgs = G(z)
    g_loss = bce(D(gen_imgs), valid)
    g_loss.backward()  # reaches G's and D's parameters; the graph is freed
    optimizer_G.step()
    optimizer_D.zero_grad()  # D's gradient from g_loss is thrown away
    real_loss = bce(D(real_imgs), valid)
    fake_loss = bce(D(gen_imgs.detach()), fake)  # a second D forward on the same fake
    d_loss = (real_loss + fake_loss) / 2
    d_loss.backward()
    optimizer_D.step()


def step_single_forward(torch, gan, batch):
    """One forward, two gradient requests (src/strategies/single-forward.ts), with torch.autograd.grad."""
    G, D, bce, optimizer_G, optimizer_D = gan.G, gan.D, gan.bce, gan.optimizer_G, gan.optimizer_D
    z, real_imgs, valid, fake_labels = batch
    fake = G(z)
    pred_fake = D(fake)
    pred_real = D(real_imgs)
    d_loss = (bce(pred_real, valid) + bce(pred_fake, fake_labels)) / 2
    g_loss = bce(pred_fake, valid)
    d_params, g_params = list(D.parameters()), list(G.parameters())
    d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, g_params)
    for p, g in zip(d_params, d_grads):
        p.grad = g
    optimizer_D.step()
    for p, g in zip(g_params, g_grads):
        p.grad = g
    optimizer_G.step()


STEPS = {
    "retain-graph": step_retain_graph,
    "detach-d-first": step_detach_d_first,
    "g-first": step_g_first,
    "single-forward": step_single_forward,
}
# src/strategies/*.ts `order`: the three simultaneous ones compute the same update.
ORDER = {
    "retain-graph": "simultaneous",
    "detach-d-first": "alternating-d-first",
    "g-first": "simultaneous",
    "single-forward": "simultaneous",
}

# ----------------------------------------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------------------------------------


def disable_tf32(torch):
    """Full float32 matmuls; returns how the setting reads back (mixing the old and new APIs is an error)."""
    try:
        return _disable_tf32(torch)
    except Exception as error:  # noqa: BLE001 - recorded; PyTorch's default for CUDA matmuls is already no TF32
        return f"could not set the matmul precision ({type(error).__name__}: {error})"


def _disable_tf32(torch):
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9: the new API only (cuDNN is not used: no convolutions)
        matmul.fp32_precision = "ieee"
        return f"torch.backends.cuda.matmul.fp32_precision = {matmul.fp32_precision!r}"
    matmul.allow_tf32 = False  # older PyTorch: the legacy flag (its default for matmuls is already False)
    return f"torch.backends.cuda.matmul.allow_tf32 = {matmul.allow_tf32}"


def make_sync(torch, device):
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(samples_ms):
    ordered = sorted(samples_ms)
    return {
        "meanMs": statistics.fmean(ordered),
        "p50Ms": statistics.median(ordered),
        "p99Ms": percentile(ordered, 99),
        "minMs": ordered[0],
        "maxMs": ordered[-1],
        "sdMs": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        "samples": len(ordered),
    }


def measure_peak(torch, device, size, repeats):
    """float32 FLOP/s of a size^3 matmul: the best of `repeats` synced runs after 2 warm-up runs."""
    sync = make_sync(torch, device)
    a = torch.randn(size, size, device=device, dtype=torch.float32)
    b = torch.randn(size, size, device=device, dtype=torch.float32)
    for _ in range(2):
        torch.mm(a, b)
    sync()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - start)
    del a, b
    return {"size": size, "bestSeconds": best, "flops": 2 * size**3 / best}


def count_flops(torch, step, gan, batch):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step(torch, gan, batch)
    return int(counter.get_total_flops())


def count_kernel_launches(torch, step, gan, batch, device, log):
    """GPU kernels one step launches (CUDA only; None elsewhere or if the profiler fails): torch.profiler's
    device-side events, memcpy and memset included, to set against webgpu's dispatches per step."""
    if device.type != "cuda":
        return None
    try:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            step(torch, gan, batch)
            torch.cuda.synchronize()
        return sum(1 for event in prof.events() if str(getattr(event, "device_type", "")).endswith("CUDA"))
    except Exception as error:  # noqa: BLE001 - a count, not a measurement the check depends on
        log(f"  kernel count failed: {type(error).__name__}: {error}")
        return None


def run_cells(torch, device, batch_size, strategies, args, log):
    """Every strategy at one batch size: warm-up, one FLOP-counted step, interleaved timed rounds."""
    sync = make_sync(torch, device)
    batches = make_batches(torch, batch_size, device, torch.float32)
    trainees = {sid: Gan(torch, device, torch.float32) for sid in strategies}
    counters = {sid: 0 for sid in strategies}
    cells = {}

    def one_step(sid):
        step = STEPS[sid]
        step(torch, trainees[sid], batches[counters[sid] % len(batches)])
        counters[sid] += 1

    for sid in strategies:
        cells[sid] = {"strategy": sid, "batchSize": batch_size, "order": ORDER[sid], "error": None, "samplesMs": []}
        try:
            for _ in range(args.warmup):
                one_step(sid)
            sync()
            cells[sid]["flops"] = count_flops(torch, STEPS[sid], trainees[sid], batches[counters[sid] % len(batches)])
            counters[sid] += 1
            sync()
            cells[sid]["kernels"] = count_kernel_launches(
                torch, STEPS[sid], trainees[sid], batches[counters[sid] % len(batches)], device, log)
            counters[sid] += 1
            sync()
        except Exception as error:  # noqa: BLE001 - a failing cell is reported, the others go on
            cells[sid]["error"] = f"{type(error).__name__}: {error}"
            log(f"  {sid} b{batch_size} failed in warm-up: {cells[sid]['error']}")

    share = args.seconds_per_cell / args.rounds
    min_per_round = max(1, math.ceil(args.min_samples / args.rounds))
    for _ in range(args.rounds):
        for sid in strategies:
            cell = cells[sid]
            if cell["error"]:
                continue
            try:
                round_start = time.perf_counter()
                taken = 0
                while taken < min_per_round or time.perf_counter() - round_start < share:
                    start = time.perf_counter()
                    one_step(sid)
                    sync()
                    cell["samplesMs"].append((time.perf_counter() - start) * 1000)
                    taken += 1
            except Exception as error:  # noqa: BLE001
                cell["error"] = f"{type(error).__name__}: {error}"
                log(f"  {sid} b{batch_size} failed while timed: {cell['error']}")

    out = []
    for sid in strategies:
        cell = cells[sid]
        row = {"strategy": sid, "batchSize": batch_size, "order": cell["order"], "status": "ok", "error": None}
        row.update({"meanMs": None, "p50Ms": None, "p99Ms": None, "samples": 0, "flops": cell.get("flops"),
                    "kernels": cell.get("kernels")})
        if cell["samplesMs"]:
            row.update(summarize(cell["samplesMs"]))
        if cell["error"]:
            row["status"], row["error"] = "errored", cell["error"]
        row["flopsPerSecond"] = row["flops"] / (row["meanMs"] / 1000) if row["meanMs"] and row["flops"] else None
        row["samplesMs"] = [round(x, 4) for x in cell["samplesMs"]]
        out.append(row)
    del trainees, batches
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return out


def check_equivalence(torch, strategies, steps, batch_size=64, tolerance=1e-9):
    """From identical float64 weights and data on the CPU: each strategy's parameters after `steps` steps
    against retain-graph's (or the first strategy's). The simultaneous strategies must agree to rounding."""
    reference = "retain-graph" if "retain-graph" in strategies else strategies[0]
    cpu = torch.device("cpu")
    batches = make_batches(torch, batch_size, cpu, torch.float64, count=steps)

    def trained(sid):
        gan = Gan(torch, cpu, torch.float64)
        for batch in batches:
            STEPS[sid](torch, gan, batch)
        return gan.parameters_flat(torch)

    reference_params = trained(reference)
    start_params = Gan(torch, cpu, torch.float64).parameters_flat(torch)
    update_scale = float((reference_params - start_params).abs().max())
    results = []
    for sid in strategies:
        try:
            diff = 0.0 if sid == reference else float((trained(sid) - reference_params).abs().max())
        except Exception as error:  # noqa: BLE001 - reported; the timing still runs
            results.append({"strategy": sid, "reference": reference, "order": ORDER[sid], "maxParamDiff": None,
                            "equivalence": f"errored: {type(error).__name__}: {error}", "asExpected": False})
            continue
        if sid == reference:
            verdict = "reference"
        else:
            verdict = "identical" if diff == 0 else ("within-tolerance" if diff <= tolerance else "different")
        expected_same = ORDER[sid] == ORDER[reference]
        ok = (verdict != "different") == expected_same
        results.append({"strategy": sid, "reference": reference, "order": ORDER[sid], "maxParamDiff": diff,
                        "equivalence": verdict, "asExpected": ok})
    return {"dtype": "float64", "device": "cpu", "batchSize": batch_size, "steps": steps, "tolerance": tolerance,
            "maxUpdateOfReference": update_scale, "results": results}


def measure_main(argv):
    parser = argparse.ArgumentParser(description="PyTorch reference timings for the balanced GAN's strategies.")
    parser.add_argument("--batch-sizes", default="64,4096")
    parser.add_argument("--strategies", default=",".join(STRATEGY_IDS))
    parser.add_argument("--seconds-per-cell", type=float, default=5.0, help="timed seconds per strategy and batch")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per cell")
    parser.add_argument("--min-samples", type=int, default=10, help="timed steps per cell at least")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved timing rounds")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--peak-size", type=int, default=None, help="matmul size for the fp32 peak (8192 cuda, 2048 cpu)")
    parser.add_argument("--equivalence-steps", type=int, default=3, help="0 skips the float64 update check")
    parser.add_argument("--out", default=None, help="JSON file (default: print only)")
    args = parser.parse_args(argv)

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STEPS]
    if unknown or not strategies:
        parser.error(f"unknown strategies {unknown} (known: {', '.join(STRATEGY_IDS)})")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    if not batch_sizes or any(b <= 0 for b in batch_sizes):
        parser.error("--batch-sizes: positive integers, comma-separated")
    if args.rounds < 1 or args.warmup < 0 or args.min_samples < 1:
        parser.error("--rounds and --min-samples must be >= 1, --warmup >= 0")

    def log(line):
        print(line, file=sys.stderr, flush=True)

    import torch

    started = time.perf_counter()
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            parser.error("--device cuda but torch.cuda.is_available() is False")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.cuda.set_device(device)
    precision = disable_tf32(torch)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        device_info = {"type": "cuda", "name": props.name, "capability": f"{props.major}.{props.minor}",
                       "memoryBytes": props.total_memory, "multiProcessors": props.multi_processor_count,
                       "cuda": torch.version.cuda}
    else:
        device_info = {"type": "cpu", "name": platform.processor() or platform.machine(),
                       "threads": torch.get_num_threads()}
    log(f"pytorch {torch.__version__} on {device_info['name']}; {precision}")

    peak_size = args.peak_size or (8192 if device.type == "cuda" else 2048)
    peak = measure_peak(torch, device, peak_size, repeats=5 if device.type == "cuda" else 3)
    log(f"fp32 matmul {peak_size}^3: {peak['flops'] / 1e12:.2f} TFLOP/s (best of its runs)")

    equivalence = None
    if args.equivalence_steps > 0:
        try:
            equivalence = check_equivalence(torch, strategies, args.equivalence_steps)
        except Exception as error:  # noqa: BLE001 - e.g. the reference strategy itself fails
            equivalence = {"error": f"{type(error).__name__}: {error}", "results": []}
            log(f"update check failed: {equivalence['error']}")
        for r in equivalence["results"]:
            diff = "n/a" if r["maxParamDiff"] is None else f"{r['maxParamDiff']:.3g}"
            log(f"update check (float64, cpu, {args.equivalence_steps} steps): {r['strategy']} vs {r['reference']}: "
                f"max |diff| {diff} -> {r['equivalence']}{'' if r['asExpected'] else '  UNEXPECTED'}")

    cells = []
    for batch_size in batch_sizes:
        log(f"batch {batch_size}: {args.warmup} warm-up steps, then {args.seconds_per_cell} s per strategy "
            f"in {args.rounds} rounds")
        rows = run_cells(torch, device, batch_size, strategies, args, log)
        for row in rows:
            if row["meanMs"] is not None:
                log(f"  {row['strategy']:<15} b{batch_size:<5} {row['meanMs']:9.3f} ms/step (p50 {row['p50Ms']:.3f}, "
                    f"p99 {row['p99Ms']:.3f}, n={row['samples']})  {row['flops'] / 1e9:.3f} GFLOP/step  "
                    f"{(row['flopsPerSecond'] or 0) / 1e12:.3f} TFLOP/s")
        cells.extend(rows)

    result = {
        "kind": "gan-update-bench gpu-check pytorch",
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device_info,
        "fp32PeakFlops": peak["flops"],
        "fp32Peak": peak,
        "matmulPrecision": precision,
        "settings": {"batchSizes": batch_sizes, "strategies": strategies, "secondsPerCell": args.seconds_per_cell,
                     "warmup": args.warmup, "minSamples": args.min_samples, "rounds": args.rounds,
                     "timing": "time.perf_counter() around each step, ending with torch.cuda.synchronize()",
                     "flops": "torch.utils.flop_counter.FlopCounterMode, one untimed step per cell",
                     "retainGraph": "D's step after g_loss.backward() (pytorch#39141); same passes, tape's update"},
        "equivalence": equivalence,
        "wallSeconds": time.perf_counter() - started,
        "cells": cells,
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        log(f"wrote {args.out} in {result['wallSeconds']:.1f} s")
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "cells"}, indent=2))
    failed = [c for c in cells if c["status"] != "ok"]
    bad_equivalence = equivalence and (equivalence.get("error") or any(not r["asExpected"] for r in equivalence["results"]))
    return 1 if failed or bad_equivalence else 0


# ----------------------------------------------------------------------------------------------------------
# Comparing with the webgpu side (no PyTorch needed)
# ----------------------------------------------------------------------------------------------------------

GOAL_RATIO = 3.0


def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_webgpu(path):
    """webgpu.json written by scripts/gpu-check.ts (or the folder holding it)."""
    if os.path.isdir(path):
        path = os.path.join(path, "webgpu.json")
    return load_json(path)


def fmt_ms(value):
    return "n/a" if value is None else (f"{value:.2f}" if value >= 1 else f"{value:.3f}")


def fmt_rate(value):
    if value is None:
        return "n/a"
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:.3g} {unit}FLOP/s"
    return f"{value:.3g} FLOP/s"


def fmt_flops(value):
    return "n/a" if value is None else f"{value / 1e9:.3f} G"


def pct(value, peak):
    return "n/a" if value is None or not peak else f"{100 * value / peak:.3g} %"


def render_comparison(webgpu_runs, pytorch):
    """Markdown: one row per webgpu run x strategy x batch, against PyTorch's time for the same cell."""
    peak = pytorch.get("fp32PeakFlops")
    device = pytorch.get("device", {})
    torch_cells = {(c["strategy"], c["batchSize"]): c for c in pytorch.get("cells", [])}
    lines = ["# GPU check: tfjs-webgpu against PyTorch, balanced GAN", ""]
    lines.append(f"- GPU (PyTorch): {device.get('name', '?')}; PyTorch {pytorch.get('torch', '?')}, "
                 f"{pytorch.get('matmulPrecision', '')}")
    lines.append(f"- measured float32 peak: {fmt_rate(peak)} "
                 f"(matmul {pytorch.get('fp32Peak', {}).get('size', '?')}^3, TF32 off)")
    for label, run in webgpu_runs:
        flags = run.get("webgpuFlags", {})
        lines.append(f"- webgpu run `{label}`: {run.get('device') or 'backend did not start'}; tfjs {run.get('tfjs')}; "
                     f"flags requested {json.dumps(run.get('flagsRequested', {}))}; "
                     f"WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE={flags.get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')}")
        adapter = run.get("adapter") or {}
        if adapter.get("isNullDevice"):
            lines.append(f"  - **`{label}` ran on Dawn's null device ({' '.join(adapter.get('dawnOptions', []))}): "
                         f"nothing was computed, its times are the host's own overhead per step (JavaScript, tfjs, "
                         f"Dawn encoding), a floor under any GPU's time on this host**")
        elif run.get("isGpu") is False:
            lines.append(f"  - **`{label}` ran on a software (CPU) adapter: its times say nothing about the GPU**")
    lines += ["", f"Goal: webgpu step time <= {GOAL_RATIO:g}x PyTorch's for the same strategy and batch.", ""]
    header = ["run", "strategy", "batch", "webgpu ms", "pytorch ms", "ratio", f"<= {GOAL_RATIO:g}x",
              "kernels/step", "dispatches/step", "pytorch kernels/step", "webgpu GFLOP/step", "pytorch GFLOP/step", "webgpu FLOP/s", "% peak",
              "pytorch FLOP/s", "% peak"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    met = total = 0
    for label, run in webgpu_runs:
        for cell in run.get("cells", []):
            ref = torch_cells.get((cell["strategy"], cell["batchSize"]), {})
            w_ms, p_ms = cell.get("meanMs"), ref.get("meanMs")
            ratio = w_ms / p_ms if w_ms and p_ms else None
            total += 1
            if ratio is not None and ratio <= GOAL_RATIO:
                met += 1
            verdict = "n/a" if ratio is None else ("yes" if ratio <= GOAL_RATIO else "no")
            if cell.get("status") != "ok":
                verdict = f"failed: {(cell.get('error') or '')[:80]}"
            p_rate = ref.get("flopsPerSecond")
            if p_rate is None and ref.get("flops") and p_ms:
                p_rate = ref["flops"] / (p_ms / 1000)
            row = [label, cell["strategy"], str(cell["batchSize"]), fmt_ms(w_ms), fmt_ms(p_ms),
                   "n/a" if ratio is None else f"{ratio:.2f}x", verdict, str(cell.get("kernels") or "n/a"),
                   str(cell.get("dispatches") or "n/a"), str(ref.get("kernels") or "n/a"),
                   fmt_flops(cell.get("flops")), fmt_flops(ref.get("flops")), fmt_rate(cell.get("flopsPerSecond")),
                   pct(cell.get("flopsPerSecond"), peak), fmt_rate(p_rate), pct(p_rate, peak)]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", f"{met} of {total} cells within {GOAL_RATIO:g}x of PyTorch."]
    equivalence = pytorch.get("equivalence")
    if equivalence and equivalence.get("error"):
        lines += ["", f"PyTorch update check failed: {equivalence['error']}"]
    elif equivalence:
        lines += ["", f"PyTorch update check ({equivalence['dtype']}, {equivalence['device']}, batch "
                      f"{equivalence['batchSize']}, {equivalence['steps']} steps; largest update of the reference "
                      f"{equivalence['maxUpdateOfReference']:.3g}):"]
        for r in equivalence["results"]:
            diff = "n/a" if r["maxParamDiff"] is None else f"{r['maxParamDiff']:.3g}"
            lines.append(f"- {r['strategy']} ({r['order']}) vs {r['reference']}: max |diff| {diff}, "
                         f"{r['equivalence']}{'' if r['asExpected'] else ' -- NOT AS EXPECTED'}")
    missing = [c for c in pytorch.get("cells", []) if c.get("status") != "ok"]
    for c in missing:
        lines.append(f"- PyTorch {c['strategy']} b{c['batchSize']} failed: {c.get('error')}")
    lines.append("")
    return "\n".join(lines), met, total


def compare_main(argv):
    parser = argparse.ArgumentParser(prog="pytorch_reference.py compare",
                                     description="Markdown comparison of gpu-check's webgpu.json with pytorch.json.")
    parser.add_argument("--webgpu", action="append", required=True,
                        help="webgpu.json or its folder; LABEL=PATH to name the run (repeatable)")
    parser.add_argument("--pytorch", required=True, help="the JSON written by this script's measure mode")
    parser.add_argument("--out", default=None, help="markdown file to write (also printed)")
    args = parser.parse_args(argv)
    runs = []
    for spec in args.webgpu:
        label, _, path = spec.partition("=") if "=" in spec else ("default", "", spec)
        try:
            runs.append((label, load_webgpu(path)))
        except (OSError, ValueError) as error:
            runs.append((label, {"cells": [], "device": f"no results ({error})"}))
    try:
        pytorch = load_json(args.pytorch)
    except (OSError, ValueError) as error:
        pytorch = {"cells": [], "device": {"name": f"no PyTorch results ({error})"}}
    markdown, met, total = render_comparison(runs, pytorch)
    print(markdown)
    if args.out:
        with open(args.out, "w") as f:
            f.write(markdown)
    # The verdict is in the table; the exit code only says whether there was anything to compare.
    return 0 if total > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        sys.exit(compare_main(sys.argv[2:]))
    sys.exit(measure_main(sys.argv[1:]))
