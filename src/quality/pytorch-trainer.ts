/**
 * The quality run's training on the pytorch backend: a QualityTrainer (src/quality/trainer.ts) that sends the
 * training to the Python worker's `train` operation (docs/pytorch.md) and turns the checkpoint lines it streams back
 * into checkpoints. So that a strategy trains in PyTorch from exactly what it trains from on a tfjs backend, the
 * worker gets the seed's batches as src/quality/data.ts draws them (every step's noise and real samples; for MNIST
 * the training digits once and each step's rows), the seed's evaluation noise, and the initial weights the tfjs
 * GAN of that seed starts from (src/models/gan.ts): across backends, only the arithmetic differs.
 */
import { decodeFloat32, encodeArray } from '../backends/pytorch/arrays.js';
import type { PytorchWorker } from '../backends/pytorch/client.js';
import type { InitialWeights, TrainingDataWire, TrainParams, TrainProgress } from '../backends/pytorch/protocol.js';
import { createGan } from '../models/gan.js';
import type { Scenario } from '../scenario/schema.js';
import type { Variable } from '../tf.js';
import type { TrainingData } from './data.js';
import type { Checkpoint, QualityTrainer } from './trainer.js';

/**
 * The most base64 characters the batches of one request may take: the request is one JSON line, and V8's strings
 * end at about 512 MiB. MNIST's 2,000 steps take ~60 MB.
 */
export const MAX_DATA_CHARS = 400 * 2 ** 20;

const base64Chars = (values: number) => Math.ceil((values * 4) / 3) * 4;

/**
 * Steps 0 to `steps` - 1 of `data` as the worker reads them: every step's noise and real samples, or, where the
 * real samples are rows of a table (MNIST), the table once and every step's rows. Throws, naming the sizes, where
 * they would not fit in one request.
 */
export function encodeTrainingData(scenario: Scenario, data: TrainingData, steps: number): TrainingDataWire {
  const rowsPerBatch = scenario.batchSize;
  const latentSize = scenario.generator.latentSize;
  const dataSize = scenario.generator.outputSize;
  const count = steps * rowsPerBatch;
  const values = count * latentSize + (data.table ? data.table.values.length + count : count * dataSize);
  if (base64Chars(values) > MAX_DATA_CHARS) {
    throw new Error(
      `the pytorch backend is sent a training's batches in one request: ${steps} steps of ${scenario.name} come to ` +
        `${Math.round(base64Chars(values) / 2 ** 20)} MiB, over ${MAX_DATA_CHARS / 2 ** 20} MiB; train fewer steps (--steps)`,
    );
  }
  const z = new Float32Array(count * latentSize);
  if (data.table) {
    const rows = new Int32Array(count);
    for (let step = 0; step < steps; step++) {
      z.set(data.batch(step).z, step * rowsPerBatch * latentSize);
      rows.set(data.table.rows(step), step * rowsPerBatch);
    }
    return { steps, z: encodeArray(z), table: encodeArray(data.table.values), rows: encodeArray(rows) };
  }
  const real = new Float32Array(count * dataSize);
  for (let step = 0; step < steps; step++) {
    const batch = data.batch(step);
    z.set(batch.z, step * rowsPerBatch * latentSize);
    real.set(batch.real, step * rowsPerBatch * dataSize);
  }
  return { steps, z: encodeArray(z), real: encodeArray(real) };
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

function toCheckpoint(progress: Extract<TrainProgress, { phase: 'checkpoint' }>): Checkpoint {
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

/**
 * A trainer through `worker`. The worker trains on while TypeScript evaluates a checkpoint (the checkpoints are
 * handed to `onCheckpoint` in order, each awaited before the next); a training that fails keeps the checkpoints
 * it reached, evaluated, and then rejects with the worker's error.
 */
export function createPytorchTrainer(worker: PytorchWorker): QualityTrainer {
  return {
    async train(request, onCheckpoint) {
      const { scenario, strategy, steps, checkpoints, data, evaluationNoise, withParameters } = request;
      const params: TrainParams = {
        scenario,
        strategy,
        steps,
        checkpoints,
        data: encodeTrainingData(scenario, data, steps),
        evaluationNoise: encodeArray(evaluationNoise),
        withParameters,
        weights: await harnessInitialWeights(scenario),
      };
      let evaluated: Promise<void> = Promise.resolve();
      let failure: { error: unknown } | null = null;
      const answered = worker.request('train', params, {
        onProgress: (line) => {
          const progress = line as TrainProgress;
          if (progress.phase !== 'checkpoint') return;
          evaluated = evaluated
            .then(async () => {
              if (!failure) await onCheckpoint(toCheckpoint(progress));
            })
            .catch((error: unknown) => {
              failure ??= { error };
            });
        },
      });
      let result: Awaited<typeof answered>;
      try {
        result = await answered;
      } finally {
        await evaluated;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (result.diverged) throw new Error(`diverged at step ${result.diverged.step}: ${result.diverged.detail}`);
    },
  };
}
