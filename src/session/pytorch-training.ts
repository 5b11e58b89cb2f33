/**
 * What the pytorch session (src/session/pytorch.ts) sends the worker's `train` and `setup` for a quality run, and
 * how it reads the checkpoints back. So that a strategy trains in PyTorch from exactly what it trains from on a
 * tfjs backend, the worker gets the seed's batches as src/quality/data/data.ts draws them (every step's noise and
 * real samples; for MNIST the training digits once and each step's rows), the seed's evaluation noise, and the
 * initial weights the tfjs GAN of that seed starts from (src/models/gan.ts): across backends, only the arithmetic
 * differs.
 */
import { decodeFloat32, encodeArray } from '../backends/pytorch/arrays.js';
import type { InitialWeights, TrainingDataWire, TrainProgress } from '../backends/pytorch/protocol.js';
import { createGan } from '../models/gan.js';
import type { Scenario } from '../scenario/schema.js';
import type { Variable } from '../tf.js';
import type { BatchArrays, Checkpoint, TrainingData } from './session.js';

/**
 * The most base64 characters the batches of one request may take: the request is one JSON line, and V8's strings
 * end at about 512 MiB. MNIST's 2,000 steps take ~60 MB.
 */
export const MAX_DATA_CHARS = 400 * 2 ** 20;

const base64Chars = (values: number) => Math.ceil((values * 4) / 3) * 4;

/**
 * Steps 0 to `steps` - 1 of `data` as the worker reads them: every step's noise and real samples, or, where the
 * real samples are rows of a table (MNIST), the table once and every step's rows; and under WGAN-GP every step's
 * interpolation weights. Throws, naming the sizes, where they would not fit in one request.
 */
export function encodeTrainingData(scenario: Scenario, data: TrainingData, steps: number): TrainingDataWire {
  const rowsPerBatch = scenario.batchSize;
  const latentSize = scenario.generator.latentSize;
  const dataSize = scenario.generator.outputSize;
  const count = steps * rowsPerBatch;
  const withAlpha = steps > 0 && data.batch(0).alpha !== undefined;
  const values = count * latentSize + (data.table ? data.table.values.length + count : count * dataSize) + (withAlpha ? count : 0);
  if (base64Chars(values) > MAX_DATA_CHARS) {
    throw new Error(
      `the pytorch backend is sent a training's batches in one request: ${steps} steps of ${scenario.name} come to ` +
        `${Math.round(base64Chars(values) / 2 ** 20)} MiB, over ${MAX_DATA_CHARS / 2 ** 20} MiB; train fewer steps (--steps)`,
    );
  }
  const z = new Float32Array(count * latentSize);
  const alpha = withAlpha ? new Float32Array(count) : null;
  const common = (step: number, batch: BatchArrays) => {
    z.set(batch.z, step * rowsPerBatch * latentSize);
    if (alpha) {
      if (!batch.alpha) throw new Error(`step ${step}'s batch carries no interpolation weights (alpha) where step 0's did`);
      alpha.set(batch.alpha, step * rowsPerBatch);
    }
  };
  const withAlphaWire = () => (alpha ? { alpha: encodeArray(alpha) } : {});
  if (data.table) {
    const rows = new Int32Array(count);
    for (let step = 0; step < steps; step++) {
      common(step, data.batch(step));
      rows.set(data.table.rows(step), step * rowsPerBatch);
    }
    return { steps, z: encodeArray(z), table: encodeArray(data.table.values), rows: encodeArray(rows), ...withAlphaWire() };
  }
  const real = new Float32Array(count * dataSize);
  for (let step = 0; step < steps; step++) {
    const batch = data.batch(step);
    common(step, batch);
    real.set(batch.real, step * rowsPerBatch * dataSize);
  }
  return { steps, z: encodeArray(z), real: encodeArray(real), ...withAlphaWire() };
}

/**
 * The values the tfjs GAN of `scenario` starts from (its seed's `nn.Linear` initialisation, or `initialValue`), in
 * the harness's layout, built on the active tfjs backend (the seeded initialisers draw in JavaScript, the same on
 * every backend).
 */
export async function harnessInitialWeights(scenario: Scenario): Promise<InitialWeights> {
  const gan = createGan(scenario);
  const read = (variables: readonly Variable[]) => Promise.all(variables.map(async (variable) => encodeArray((await variable.data()) as Float32Array)));
  try {
    return { generator: await read(gan.generator.variables), discriminator: await read(gan.discriminator.variables) };
  } finally {
    gan.dispose();
  }
}

/** A checkpoint line as the checkpoint it carries. */
export function toCheckpoint(progress: Extract<TrainProgress, { phase: 'checkpoint' }>): Checkpoint {
  const checkpoint: Checkpoint = { step: progress.step, samples: decodeFloat32(progress.samples, `checkpoint ${progress.step}'s samples`) };
  if (progress.parameters) {
    const decode = (arrays: string[], network: string) => arrays.map((text, i) => decodeFloat32(text, `checkpoint ${progress.step}'s ${network} parameter ${i}`));
    checkpoint.parameters = {
      generator: decode(progress.parameters.generator, 'generator'),
      discriminator: decode(progress.parameters.discriminator, 'discriminator'),
    };
  }
  return checkpoint;
}
