"""Training to a result (`npm run quality`, docs/quality.md; the `train` op): the scenario's GAN from the one builder
(gan.Gan), fed the batches the harness sent (src/session/pytorch.ts), G's samples streamed back at every
checkpoint. The metrics are TypeScript's. Training stops at the first non-finite loss (checked after every step) or
non-finite parameters or samples (checked at every checkpoint)."""

from __future__ import annotations

import time
from typing import Any, List, Mapping, Optional

import torch

from .arrays import decode_array, encode_array
from .divergence import Diverged, all_finite, diverged_at, failed_step_divergence, loss_problem, parameters_problem
from .gan import Batch, Gan, Labels, make_labels, with_alpha
from .models import harness_parameters
from .protocol import Emit, Json
from .strategies import STEPS, STRATEGY_IDS

HEARTBEAT_S = 10.0  # a progress line at least this often while training, so that no silence limit is reached


class TrainingStream:
    """One seed's batches as the harness sent them: every step's noise z, and the real samples as every step's values
    (`real`) or, for data drawn from a fixed table (MNIST's training digits), the table once (`table`) and every
    step's rows (`rows`, int32); under WGAN-GP each sample's interpolation weight (`alpha`), which the batch carries
    as [batchSize, 1] (gan.with_alpha). Batch `step` is rows [step * batchSize, (step + 1) * batchSize) of each: the
    very numbers the tfjs trainer feeds."""

    def __init__(self, data: Mapping[str, Any], scenario: Mapping[str, Any], device: torch.device, labels: Labels) -> None:
        self.batch_size = batch_size = int(scenario["batchSize"])
        latent = int(scenario["generator"]["latentSize"])
        size = int(scenario["generator"]["outputSize"])
        self.steps = steps = int(data["steps"])
        self.labels = labels

        def matrix(key: str, dtype: torch.dtype, columns: int, rows: int) -> torch.Tensor:
            values = decode_array(data[key], dtype, f"data.{key}")
            if values.numel() != rows * columns:
                raise ValueError(f"data.{key}: {values.numel()} values, expected {rows} x {columns}")
            return values.reshape(rows, columns)

        self.z = matrix("z", torch.float32, latent, steps * batch_size).to(device)
        self.real: Optional[torch.Tensor] = None
        self.table: Optional[torch.Tensor] = None
        self.rows: Optional[torch.Tensor] = None
        if "real" in data:
            self.real = matrix("real", torch.float32, size, steps * batch_size).to(device)
        elif "table" in data and "rows" in data:
            table = decode_array(data["table"], torch.float32, "data.table")
            if table.numel() % size != 0:
                raise ValueError(f"data.table: {table.numel()} values is not a whole number of rows of {size}")
            self.table = table.reshape(-1, size).to(device)
            rows = matrix("rows", torch.int32, 1, steps * batch_size).reshape(-1)
            self.rows = rows.to(device=device, dtype=torch.long)
            if self.rows.numel() and (int(self.rows.min()) < 0 or int(self.rows.max()) >= self.table.shape[0]):
                raise ValueError(f"data.rows: a row outside the table's {self.table.shape[0]}")
        else:
            raise ValueError("data: needs `real`, or `table` and `rows`")
        self.alpha: Optional[torch.Tensor] = None
        if "alpha" in data:
            self.alpha = matrix("alpha", torch.float32, 1, steps * batch_size).to(device)

    def batch(self, step: int) -> Batch:
        start, end = step * self.batch_size, (step + 1) * self.batch_size
        if self.real is not None:
            real = self.real[start:end]
        else:
            assert self.table is not None and self.rows is not None
            real = self.table.index_select(0, self.rows[start:end])
        valid, fake = self.labels
        if self.alpha is not None:
            return with_alpha((self.z[start:end], real, valid, fake), self.alpha[start:end])
        return self.z[start:end], real, valid, fake


def train(params: Mapping[str, Any], device: torch.device, emit: Emit, request_id: Any) -> Json:
    """Trains `strategy` on the scenario's GAN (the harness's initial `weights` where sent, else from the scenario's
    seed) for `steps` steps on the batches sent (`data`). At each step of `checkpoints` (0: before the first step) a
    progress line carries G(evaluationNoise), `samples` (base64 float32, [count, outputSize]), and with
    `withParameters` every parameter in the harness's layout. Between checkpoints a progress line at least every
    HEARTBEAT_S seconds. A failing step fails the request; the checkpoints already sent stand. A divergence stops the
    training: the answer says where ({steps: steps taken, checkpoints: checkpoints sent, diverged}), and a
    checkpoint whose parameters or samples are not finite is not sent."""
    scenario = params["scenario"]
    strategy = params["strategy"]
    if strategy not in STEPS:
        raise ValueError(f"unknown strategy '{strategy}' (known: {', '.join(STRATEGY_IDS)})")
    steps = int(params["steps"])
    checkpoints = sorted({int(step) for step in params["checkpoints"]})
    outside = [step for step in checkpoints if step < 0 or step > steps]
    if outside:
        raise ValueError(f"checkpoints {outside} are outside 0..{steps}")
    labels = make_labels(int(scenario["batchSize"]), device)
    stream = TrainingStream(params["data"], scenario, device, labels)
    if stream.steps < steps:
        raise ValueError(f"data holds {stream.steps} steps' batches, {steps} asked for")
    gan = Gan(scenario, device, torch.float32, labels, params.get("weights"))
    latent = int(scenario["generator"]["latentSize"])
    noise = decode_array(params["evaluationNoise"], torch.float32, "evaluationNoise")
    if noise.numel() == 0 or noise.numel() % latent != 0:
        raise ValueError(f"evaluationNoise: {noise.numel()} values is not a whole number of rows of {latent}")
    noise = noise.reshape(-1, latent).to(device)
    with_parameters = bool(params.get("withParameters"))
    step_of = STEPS[strategy]
    wanted = set(checkpoints)
    sent: List[int] = []

    def checkpoint(step: int) -> Optional[Diverged]:
        problem = parameters_problem(gan.G, gan.D)
        if problem is not None:
            return diverged_at(step, problem)
        with torch.no_grad():
            samples = gan.G(noise)
        if not all_finite([samples]):
            return diverged_at(step, "generator samples are not finite")
        progress: Json = {"phase": "checkpoint", "step": step, "samples": encode_array(samples)}
        if with_parameters:
            progress["parameters"] = {"generator": harness_parameters(gan.G),
                                      "discriminator": harness_parameters(gan.D)}
        emit({"id": request_id, "progress": progress})
        sent.append(step)
        return None

    def answer(diverged: Optional[Diverged]) -> Json:
        return {"steps": gan.steps, "checkpoints": len(sent), "diverged": diverged}

    last_line = time.perf_counter()
    for step in range(steps):
        if step in wanted:
            diverged = checkpoint(step)
            if diverged is not None:
                return answer(diverged)
            last_line = time.perf_counter()
        try:
            d_loss, g_loss = step_of(gan, stream.batch(step))
        except Exception as error:
            refused = failed_step_divergence(gan.steps, gan.G, gan.D, stream.batch(step), error)
            if refused is None:
                raise
            return answer(refused)
        gan.steps += 1
        diverged = diverged_at(gan.steps, loss_problem([("d_loss", d_loss), ("g_loss", g_loss)]))
        if diverged is not None:
            return answer(diverged)
        if time.perf_counter() - last_line > HEARTBEAT_S:
            emit({"id": request_id, "progress": {"phase": "train", "step": step + 1}})
            last_line = time.perf_counter()
    if steps in wanted:
        return answer(checkpoint(steps))
    return answer(None)
