import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConvNet, convShapes, pytorchFanIn } from '../../src/models/conv-net.js';
import { dcgan } from '../../src/models/dcgan.js';
import { convOutputSide, macsPerSample, parameterCount } from '../../src/scenario/shapes.js';
import { scenarioLayers } from '../../src/results/cell.js';
import { parseScenario } from '../../src/scenario/load.js';
import { tf } from '../../src/tf.js';

/** PyTorch's formulas (torch.nn.Conv2d / ConvTranspose2d docs, dilation 1, output_padding 0), written out. */
const pytorchConv = (input: number, k: number, s: number, p: number) => Math.floor((input + 2 * p - k) / s) + 1;
const pytorchConvTranspose = (input: number, k: number, s: number, p: number) => (input - 1) * s - 2 * p + k;

describe('convolution output shapes', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const cases: Array<[number, number, number, number]> = [
    [64, 4, 2, 1],
    [28, 4, 2, 1],
    [7, 7, 1, 0],
    [4, 4, 1, 0],
    [5, 3, 2, 1],
    [9, 3, 3, 0],
    [6, 5, 1, 2],
  ];

  it.each(cases)('tf.conv2d on %i with kernel %i, stride %i, padding %i has PyTorch nn.Conv2d\'s output size', (input, k, s, p) => {
    expect(convOutputSide('conv2d', input, k, s, p)).toBe(pytorchConv(input, k, s, p));
    const y = tf.conv2d(tf.zeros([1, input, input, 2]) as tf.Tensor4D, tf.zeros([k, k, 2, 3]) as tf.Tensor4D, s, p);
    expect(y.shape).toEqual([1, pytorchConv(input, k, s, p), pytorchConv(input, k, s, p), 3]);
    y.dispose();
  });

  it.each(cases)('tf.conv2dTranspose on %i with kernel %i, stride %i, padding %i inverts it at PyTorch nn.ConvTranspose2d\'s size', (input, k, s, p) => {
    const out = pytorchConvTranspose(input, k, s, p);
    expect(convOutputSide('convTranspose2d', input, k, s, p)).toBe(out);
    if (out < 1) return;
    // tfjs takes the output shape and checks it against the input: the convolution of `out` must give `input` back.
    expect(pytorchConv(out, k, s, p)).toBe(input);
    const y = tf.conv2dTranspose(tf.ones([1, input, input, 2]) as tf.Tensor4D, tf.ones([k, k, 3, 2]) as tf.Tensor4D, [1, out, out, 3], s, p);
    expect(y.shape).toEqual([1, out, out, 3]);
    y.dispose();
  });
});

describe('DCGAN as scenario layers', () => {
  it("gives pytorch/examples dcgan/main.py's shapes at 64x64: G 100x1x1 up to 3x64x64, D back down to 1x1x1", () => {
    const { generator, discriminator } = dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 3, imageSize: 64 });
    const layers = generator.layers.map((layer) => ({ stride: 1, padding: 0, bias: true, batchNorm: false, activation: 'linear' as const, ...layer }));
    const g = convShapes([100, 1, 1], layers);
    expect(g.map((shape) => [shape.outChannels, shape.outHeight])).toEqual([
      [512, 4],
      [256, 8],
      [128, 16],
      [64, 32],
      [3, 64],
    ]);
    const d = convShapes(
      [3, 64, 64],
      discriminator.layers.map((layer) => ({ stride: 1, padding: 0, bias: true, batchNorm: false, activation: 'linear' as const, ...layer })),
    );
    expect(d.map((shape) => [shape.outChannels, shape.outHeight])).toEqual([
      [64, 32],
      [128, 16],
      [256, 8],
      [512, 4],
      [1, 1],
    ]);
    expect(discriminator.layers.map((layer) => [layer.batchNorm, layer.activation])).toEqual([
      [false, 'leakyRelu'],
      [true, 'leakyRelu'],
      [true, 'leakyRelu'],
      [true, 'leakyRelu'],
      [false, 'sigmoid'],
    ]);
  });

  it("counts main.py's parameters (G 3,576,704, D 2,765,568, as PyTorch's numel sums) and multiply-adds per sample", () => {
    const scenario = parseScenario(
      { name: 'd', description: 'd', ...dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 3, imageSize: 64 }), data: { shape: [3, 64, 64] }, batchSize: 2 },
      'd',
    );
    const layers = scenarioLayers(scenario);
    expect([parameterCount(layers.generator), parameterCount(layers.discriminator)]).toEqual([3_576_704, 2_765_568]);
    // G: 1·100·512·16 + 16·512·256·16 + 64·256·128·16 + 256·128·64·16 + 1024·64·3·16; D: the mirror, ending in 512·16.
    expect(macsPerSample(layers.generator)).toBe(819_200 + 3 * 33_554_432 + 3_145_728);
    expect(macsPerSample(layers.discriminator)).toBe(3_145_728 + 3 * 33_554_432 + 8_192);
  });

  it('gives the MNIST variant 28x28x1 images through 7x7 and 14x14', () => {
    const scenario = parseScenario(
      { name: 'd', description: 'd', ...dcgan({ nz: 100, ngf: 64, ndf: 64, channels: 1, imageSize: 28 }), data: { shape: [1, 28, 28] }, batchSize: 2 },
      'd',
    );
    const { generator, discriminator } = scenarioLayers(scenario);
    expect(generator.map((shape) => ('outHeight' in shape ? [shape.outChannels, shape.outHeight] : null))).toEqual([
      [256, 7],
      [128, 14],
      [1, 28],
    ]);
    expect(discriminator.map((shape) => ('outHeight' in shape ? [shape.outChannels, shape.outHeight] : null))).toEqual([
      [64, 14],
      [128, 7],
      [1, 1],
    ]);
  });
});

describe('createConvNet', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  const layers = [
    { layer: 'convTranspose2d' as const, filters: 6, kernelSize: 4, stride: 1, padding: 0, bias: true, batchNorm: true, activation: 'relu' as const },
    { layer: 'conv2d' as const, filters: 5, kernelSize: 3, stride: 1, padding: 1, bias: true, batchNorm: false, activation: 'tanh' as const },
  ];

  it("orders and names the parameters as PyTorch's nn.Sequential lists them, running statistics apart", () => {
    const net = createConvNet({ name: 'G', inputShape: [8, 1, 1], layers, init: 'pytorch', seed: 1 });
    expect(net.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['G/conv0/kernel', [4, 4, 6, 8]], // tfjs's transposed filter: [k, k, out, in]
      ['G/conv0/bias', [6]],
      ['G/bn0/gamma', [6]],
      ['G/bn0/beta', [6]],
      ['G/conv1/kernel', [3, 3, 6, 5]],
      ['G/conv1/bias', [5]],
    ]);
    expect(net.buffers.map((buffer) => [buffer.shape, buffer.trainable])).toEqual([[[2, 6], false]]);
    net.dispose();
  });

  it("initialises as PyTorch does: uniform in ±1/sqrt(fan_in), a transposed convolution's fan-in from its output channels", async () => {
    const net = createConvNet({ name: 'G', inputShape: [8, 1, 1], layers, init: 'pytorch', seed: 1 });
    const shapes = net.layers;
    expect(shapes.map(pytorchFanIn)).toEqual([6 * 16, 6 * 9]); // ConvTranspose2d(8, 6): fan-in 6·4·4; Conv2d(6, 5): 6·3·3
    const [kernel0, bias0, gamma, beta, kernel1] = await Promise.all(net.variables.map((v) => v.data()));
    const within = (values: ArrayLike<number>, bound: number) => Array.from(values).every((v) => Math.abs(v) <= bound);
    expect(within(kernel0!, 1 / Math.sqrt(96)) && within(bias0!, 1 / Math.sqrt(96)) && within(kernel1!, 1 / Math.sqrt(54))).toBe(true);
    expect(Math.max(...Array.from(kernel0!).map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(96));
    expect([Array.from(gamma!), Array.from(beta!)]).toEqual([[1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]);
    expect(Array.from(await net.buffers[0]!.data())).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(net.parameters.map((p) => p.version)).toEqual([1, 1, 1, 1, 1, 1]);
    net.dispose();
  });

  it("initialises as DCGAN's weights_init does, seeded: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), written twice", async () => {
    const wide = [{ ...layers[0]!, filters: 64 }, layers[1]!];
    const net = createConvNet({ name: 'G', inputShape: [8, 1, 1], layers: wide, init: 'dcgan', seed: 1 });
    const [kernel, , gamma, beta] = await Promise.all(net.variables.map(async (v) => Array.from(await v.data())));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    expect(Math.abs(mean(kernel!))).toBeLessThan(0.002);
    expect(std(kernel!)).toBeGreaterThan(0.017);
    expect(std(kernel!)).toBeLessThan(0.023);
    expect(Math.abs(mean(gamma!) - 1)).toBeLessThan(0.01);
    expect(beta).toEqual(new Array(64).fill(0));
    // PyTorch: the module's own init, then weights_init's in-place write: conv weights and BatchNorm's at version 2;
    // a conv bias, which weights_init leaves alone, at 1.
    expect(net.parameters.map((p) => [p.name, p.version])).toEqual([
      ['G/conv0/kernel', 2],
      ['G/conv0/bias', 1],
      ['G/bn0/gamma', 2],
      ['G/bn0/beta', 2],
      ['G/conv1/kernel', 2],
      ['G/conv1/bias', 1],
    ]);
    const again = createConvNet({ name: 'G', inputShape: [8, 1, 1], layers: wide, init: 'dcgan', seed: 1 });
    expect(Array.from(await again.variables[0]!.data())).toEqual(kernel);
    net.dispose();
    again.dispose();
  });

  it('takes a flat or an NHWC input and gives NHWC images, or one unit per sample flattened', () => {
    const net = createConvNet({ name: 'G', inputShape: [8, 1, 1], layers, init: 'pytorch', seed: 1 });
    const flat = net.apply(tf.ones([3, 8]));
    expect(flat.shape).toEqual([3, 4, 4, 5]);
    const d = createConvNet({
      name: 'D',
      inputShape: [5, 4, 4],
      layers: [{ ...layers[1]!, filters: 1, kernelSize: 4, padding: 0, activation: 'sigmoid' }],
      init: 'pytorch',
      seed: 2,
      flattenOutput: true,
    });
    const out = d.apply(flat);
    expect(out.shape).toEqual([3, 1]);
    expect(net.batchNormUpdates).toBe(1);
    tf.dispose([flat, out]);
    net.dispose();
    d.dispose();
  });
});
