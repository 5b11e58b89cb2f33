import { describe, expect, it } from 'vitest';
import { decodeFloat32, encodeArray } from '../../src/backends/pytorch/arrays.js';
import { createTrainingData } from '../../src/quality/data/data.js';
import { MNIST_PIXELS } from '../../src/quality/data/mnist-data.js';
import { encodeTrainingData, MAX_DATA_CHARS } from '../../src/session/pytorch-training.js';
import { loadScenario } from '../../src/scenario/load.js';

const int32 = (text: string) => {
  const bytes = Buffer.from(text, 'base64');
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

describe("the pytorch trainer's batches on the wire", () => {
  it('round-trips float32 values bit for bit, -0, subnormals and NaN included', () => {
    const values = new Float32Array([0, -0, 1.5, -2.25e-40, Number.NaN, 3.4028234663852886e38, 1e-45]);
    const back = decodeFloat32(encodeArray(values), 'values');
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(values.buffer));
    expect(() => decodeFloat32(Buffer.from([1, 2, 3]).toString('base64'), 'samples')).toThrow(/samples: 3 bytes is not a whole number of float32 values/);
  });

  it("sends a mixture's steps as every batch's noise and samples, in step order", async () => {
    const scenario = await loadScenario('scenarios/quality/ci/ring.ts');
    const data = createTrainingData(scenario, 1);
    const wire = encodeTrainingData(scenario, data, 3);
    expect(wire.steps).toBe(3);
    if (!('real' in wire)) throw new Error('a ring is sent as values');
    const z = decodeFloat32(wire.z, 'z');
    const real = decodeFloat32(wire.real, 'real');
    expect(z).toHaveLength(3 * 64 * 2);
    for (let step = 0; step < 3; step++) {
      const batch = data.batch(step);
      expect(z.subarray(step * 128, (step + 1) * 128)).toEqual(batch.z);
      expect(real.subarray(step * 128, (step + 1) * 128)).toEqual(batch.real);
    }
  });

  it("sends MNIST's training digits once and each step's rows, which are exactly the step's real digits", async () => {
    const scenario = await loadScenario('scenarios/quality/ci/mnist.ts');
    const data = createTrainingData(scenario, 0);
    // 600 steps of 16 cross the end of the first epoch (9,003 digits): the second epoch's order starts mid-batch.
    const steps = 600;
    const wire = encodeTrainingData(scenario, data, steps);
    if (!('table' in wire)) throw new Error('MNIST is sent as a table');
    const table = decodeFloat32(wire.table, 'table');
    const rows = int32(wire.rows);
    expect(table).toHaveLength(9003 * MNIST_PIXELS);
    expect(rows).toHaveLength(steps * 16);
    expect(new Set(rows.subarray(0, 9003)).size).toBe(9003); // the first epoch is a permutation
    const z = decodeFloat32(wire.z, 'z');
    for (const step of [0, 562, 563, 599]) {
      const batch = data.batch(step);
      const gathered = new Float32Array(16 * MNIST_PIXELS);
      for (let i = 0; i < 16; i++) gathered.set(table.subarray(rows[step * 16 + i]! * MNIST_PIXELS, (rows[step * 16 + i]! + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
      expect(gathered).toEqual(batch.real);
      expect(z.subarray(step * 16 * 16, (step + 1) * 16 * 16)).toEqual(batch.z);
    }
  });

  it('refuses, naming the sizes, a training whose batches would not fit in one request', async () => {
    const scenario = await loadScenario('scenarios/quality/ci/ring.ts');
    const steps = Math.ceil(MAX_DATA_CHARS / (((64 * 4 * 4) / 3) * 4)) + 10; // just over the limit
    expect(() => encodeTrainingData(scenario, createTrainingData(scenario, 0), steps)).toThrow(
      new RegExp(`${steps} steps of ci-ring come to 40\\d MiB, over 400 MiB; train fewer steps \\(--steps\\)`),
    );
  });
});
