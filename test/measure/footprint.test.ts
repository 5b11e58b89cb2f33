import { describe, expect, it } from 'vitest';
import { backendCapacity } from '../../src/backends/capacity.js';
import { estimateFootprint, footprintProblem, type Capacity } from '../../src/measure/footprint.js';

/** G 2-3-4 (25 parameters) and D 4-5-1 (31 parameters) at batch 2: the tiny fixture. */
const tiny = {
  generator: { latentSize: 2, hidden: [3], outputSize: 4 },
  discriminator: { hidden: [5] },
  batchSize: 2,
} as const;

/** The scenario: G with two hidden layers of 65536 at batch 65536. */
const huge = {
  ...tiny,
  generator: { ...tiny.generator, latentSize: 100, hidden: [65536, 65536], outputSize: 784 },
  discriminator: { ...tiny.discriminator, hidden: [256] },
  batchSize: 65536,
} as const;

const GiB = 2 ** 30;

describe('estimateFootprint', () => {
  it('adds up parameters, Adam moments, one set of gradients, saved activations and the batches, in float32 bytes', () => {
    const footprint = estimateFootprint(tiny, { gans: 4, batches: 4, adam: 'for-loop' });
    expect(footprint).toEqual({
      parameters: 4 * 56 * 4, // four GANs of 25 + 31 parameters
      adamMoments: 2 * 4 * 56 * 4,
      gradients: 56 * 4,
      activations: 2 * ((2 + 3 + 4) + 3 * (4 + 5 + 1)) * 4, // batch x (G's widths + three D forwards)
      batches: (4 * 2 * (2 + 4) + 2 * 2) * 4, // four batches of noise and real samples, plus two label columns
      total: 896 + 1792 + 224 + 312 + 208,
      largestTensor: 4 * 5 * 4,
      largestTensorName: "D's layer 1 weights (4 x 5)",
    });
  });

  it("counts a whole network as one tensor under foreach Adam, which concatenates it", () => {
    const footprint = estimateFootprint(tiny, { gans: 1, batches: 1, adam: 'foreach' });
    expect(footprint.largestTensor).toBe(31 * 4);
    expect(footprint.largestTensorName).toBe("D's parameters concatenated by foreach Adam");
  });
});

describe('footprintProblem', () => {
  const capacity = (overrides: Partial<Capacity>): Capacity => ({
    backend: 'cpu',
    totalBytes: 16 * GiB,
    totalSource: 'free system memory',
    tensorBytes: null,
    tensorSource: '',
    ...overrides,
  });

  it('lets a scenario through that fits', () => {
    expect(footprintProblem(estimateFootprint(tiny, { gans: 4, batches: 4, adam: 'for-loop' }), capacity({}))).toBeNull();
  });

  it('says how much a scenario needs, and of what, when it is more than the backend holds', () => {
    const footprint = estimateFootprint(huge, { gans: 4, batches: 4, adam: 'for-loop' });
    // G: 100 x 65536 + 65536 x 65536 + 65536 x 784 weights and 65536 + 65536 + 784 biases.
    const generatorParameters = 100 * 65536 + 65536 * 65536 + 65536 * 784 + 65536 * 2 + 784;
    expect(footprint.parameters).toBe(4 * (generatorParameters + 784 * 256 + 256 + 256 + 1) * 4);
    // 69.65e9 B of parameters (64.9 GiB), twice that in moments; activations 65536 x (131956 + 3 x 1041) floats.
    expect(footprintProblem(footprint, capacity({}))).toBe(
      'needs about 245 GiB (parameters 64.9 GiB, Adam moments 130 GiB, gradients 16.2 GiB, activations 33.0 GiB, ' +
        'batches 885 MiB), more than the 16.0 GiB of free system memory cpu can use',
    );
  });

  it('names the tensor that is too big for one buffer', () => {
    const footprint = estimateFootprint(huge, { gans: 1, batches: 1, adam: 'foreach' });
    const webgpu = capacity({ backend: 'webgpu', totalBytes: null, tensorBytes: 2 * GiB, tensorSource: "the device's maxBufferSize" });
    expect(footprintProblem(footprint, webgpu)).toBe(
      "needs a tensor of about 16.2 GiB (G's parameters concatenated by foreach Adam), more than webgpu allows in one tensor (2.00 GiB, the device's maxBufferSize)",
    );
  });
});

describe('backendCapacity', () => {
  it('reads free memory for cpu, the 4 GiB WebAssembly ceiling for wasm, and the device limits for webgpu', () => {
    expect(backendCapacity('cpu', { freeMemory: 8 * GiB })).toMatchObject({ totalBytes: 8 * GiB, tensorBytes: 16 * GiB });
    expect(backendCapacity('wasm', { freeMemory: 8 * GiB })).toMatchObject({ totalBytes: 4 * GiB, totalSource: '32-bit WebAssembly memory' });
    expect(backendCapacity('wasm', { freeMemory: GiB })).toMatchObject({ totalBytes: GiB, totalSource: 'free system memory' });
    const limits = { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB };
    expect(backendCapacity('webgpu', { gpuLimits: limits, softwareGpu: true, freeMemory: 8 * GiB })).toMatchObject({
      totalBytes: 8 * GiB,
      tensorBytes: 2 * GiB,
      tensorSource: "the device's maxStorageBufferBindingSize",
    });
    expect(backendCapacity('webgpu', { gpuLimits: limits, softwareGpu: false, totalMemory: 128 * GiB })).toMatchObject({ totalBytes: 128 * GiB });
  });
});
