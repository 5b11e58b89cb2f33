import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { pytorchCapacity, pytorchMisfit } from '../../src/session/pytorch-footprint.js';
import tiny from '../fixtures/tiny.js';

const GiB = 2 ** 30;
const cpu = { type: 'cpu' as const, index: null, name: 'AMD EPYC' };
const cuda = { type: 'cuda' as const, index: 0, name: 'H100', memoryBytes: 80 * GiB };
const huge = parseScenario({ ...tiny, name: 'huge', generator: { ...tiny.generator, hidden: [65536, 65536] } }, 'huge.ts');
const tinyScenario = parseScenario(tiny, 'tiny.ts');

describe('the pytorch backend checks a scenario against its memory before the worker builds it', () => {
  it("refuses a generator of two 65536-wide layers on a machine with 22 GiB free (seven strategies), naming what it needs", () => {
    expect(pytorchMisfit(huge, 7, cpu, 22 * GiB)).toMatch(/^needs about 352 GiB \(parameters 112 GiB, Adam moments 224 GiB, .*\), more than the 22\.0 GiB of free system memory pytorch can use$/);
  });

  it('lets the tiny scenario through', () => {
    expect(pytorchMisfit(tinyScenario, 5, cpu, 1 * GiB)).toBeNull();
  });

  it("checks a CUDA worker against the GPU's memory, and the float64 equivalence check against the machine's", () => {
    expect(pytorchCapacity(cuda, 4 * GiB)).toMatchObject({ totalBytes: 80 * GiB, totalSource: "the GPU's memory (H100)" });
    // One 16 GiB-weight GAN fits 80 GiB of GPU as one strategy; its float64 check (64 GiB and more) does not fit 4 GiB free.
    const wide = parseScenario({ ...tiny, name: 'wide', generator: { ...tiny.generator, hidden: [32768, 32768] } }, 'wide.ts');
    expect(pytorchMisfit(wide, 1, cuda, 4 * GiB)).toMatch(/^the equivalence check in float64 needs about .* free system memory pytorch can use$/);
    expect(pytorchMisfit({ ...wide, measure: { ...wide.measure, equivalenceSteps: 0 } }, 1, cuda, 4 * GiB)).toBeNull();
  });
});
