import { describe, expect, it } from 'vitest';
import { dcgan } from '../../src/models/dcgan.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { ConvGenerator, ScenarioInput } from '../../src/scenario/schema.js';
import tinyConv from '../fixtures/tiny-conv.js';

const base = tinyConv as ScenarioInput;
type GeneratorInput = Extract<ScenarioInput['generator'], { kind: 'conv' }>;
type DiscriminatorInput = Extract<ScenarioInput['discriminator'], { kind: 'conv' }>;
const generator = base.generator as GeneratorInput;
const discriminator = base.discriminator as DiscriminatorInput;

/** The message parseScenario throws for this scenario (or '' if it parses). */
function errorOf(input: unknown): string {
  try {
    parseScenario(input, 'scenarios/x.ts');
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('convolutional networks in the scenario schema', () => {
  it("resolves the layers' defaults (stride 1, padding 0, a bias, no BatchNorm, no activation, PyTorch's init) and G's output size", () => {
    const scenario = parseScenario(
      { ...base, generator: { kind: 'conv', latentSize: 2, layers: [{ layer: 'convTranspose2d', filters: 1, kernelSize: 4, activation: 'tanh' }] } },
      'x',
    );
    const g = scenario.generator as ConvGenerator;
    expect(g.layers[0]).toEqual({ layer: 'convTranspose2d', filters: 1, kernelSize: 4, stride: 1, padding: 0, bias: true, batchNorm: false, activation: 'tanh' });
    expect(g.init).toBe('pytorch');
    expect(g.outputSize).toBe(16);
  });

  it("accepts pytorch/examples' DCGAN at 64x64 and the MNIST variant", () => {
    expect(errorOf({ name: 'd', description: 'd', ...dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 3, imageSize: 64 }), data: { shape: [3, 64, 64] }, batchSize: 2 })).toBe('');
    expect(errorOf({ name: 'd', description: 'd', ...dcgan({ nz: 100, ngf: 8, ndf: 8, channels: 1, imageSize: 28 }), data: { shape: [1, 28, 28] }, batchSize: 2 })).toBe('');
  });

  it("refuses a G whose output is not data.shape, naming G's layers and both shapes", () => {
    expect(errorOf({ ...base, data: { shape: [1, 8, 8] } })).toMatch(
      /G's output is \[1, 4, 4\] \(\[channels, height, width\]\); it must equal data\.shape \[1, 8, 8\][\s\S]*at generator\.layers/,
    );
  });

  it('refuses a D that does not end in one unit per sample, or not in a sigmoid, naming the field', () => {
    const wide = { ...discriminator, layers: [discriminator.layers[0]!, { ...discriminator.layers[1]!, filters: 2 }] };
    expect(errorOf({ ...base, discriminator: wide })).toMatch(/D must end in one unit per sample \(\[1, 1, 1\]\); its output is \[2, 1, 1\][\s\S]*at discriminator\.layers/);
    const linear = { ...discriminator, layers: [discriminator.layers[0]!, { ...discriminator.layers[1]!, activation: 'linear' as const }] };
    expect(errorOf({ ...base, discriminator: linear })).toMatch(/must be 'sigmoid'[\s\S]*at discriminator\.layers\[1\]\.activation/);
  });

  it('refuses a layer with no output, naming the layer', () => {
    const tooBig = { ...discriminator, layers: [{ ...discriminator.layers[0]!, kernelSize: 8 }, discriminator.layers[1]!] };
    expect(errorOf({ ...base, discriminator: tooBig })).toMatch(/a 8x8 conv2d \(stride 2, padding 0\) on a 4x4 input has no output[\s\S]*at discriminator\.layers\[0\]/);
  });

  it('refuses data that is not [channels, height, width] for a convolutional network', () => {
    expect(errorOf({ ...base, data: { shape: [16] } })).toMatch(/must be \[channels, height, width\] for a convolutional network, not \[16\][\s\S]*at data\.shape/);
  });

  it('refuses BatchNorm over a single value per channel (batch 1 at 1x1), as PyTorch does in training mode', () => {
    const g = { ...generator, layers: [{ layer: 'convTranspose2d' as const, filters: 2, kernelSize: 1, batchNorm: true }, { layer: 'convTranspose2d' as const, filters: 1, kernelSize: 4 }] };
    expect(errorOf({ ...base, batchSize: 1, generator: g })).toMatch(/needs more than 1 value per channel when training \(batch 1 x 1x1\)[\s\S]*at generator\.layers\[0\]\.batchNorm/);
  });

  it("names a layer's bad field, and an unknown network kind", () => {
    const bad = { ...discriminator, layers: [{ ...discriminator.layers[0]!, stride: 0 }, discriminator.layers[1]!] };
    expect(errorOf({ ...base, discriminator: bad })).toMatch(/at discriminator\.layers\[0\]\.stride/);
    expect(errorOf({ ...base, generator: { ...generator, kind: 'rnn' } })).toMatch(/at generator\.kind/);
    expect(errorOf({ ...base, generator: { ...generator, layers: [{ ...generator.layers[0]!, layer: 'conv3d' }] } })).toMatch(/at generator\.layers\[0\]\.layer/);
  });

  it('lets an MLP D take a convolutional G\'s images, and a convolutional D an MLP G\'s flat samples', () => {
    expect(errorOf({ ...base, discriminator: { hidden: [5] } })).toBe('');
    expect(errorOf({ ...base, generator: { latentSize: 2, hidden: [3], outputSize: 16 } })).toBe('');
  });
});
