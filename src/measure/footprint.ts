/**
 * The memory a scenario needs, estimated from its shapes before any of its tensors exist, and whether a backend
 * can hold it: a scenario too big for the machine fails its own cells with "needs about N GiB (...)" instead of
 * stopping the run with a RangeError halfway through building its models. Pure: the capacity is passed in
 * (src/backends/capacity.ts reads it from the backend).
 */
import type { AdamImplementation } from '../models/adam.js';
import { parameterCount, type DenseShape } from '../models/mlp.js';
import { networkShapes } from '../models/network-shapes.js';
import { inputElements, isConvShape, outputElements, weightElements, type LayerShape } from '../scenario/shapes.js';
import { formatBytes } from '../format.js';
import type { Scenario } from '../scenario/schema.js';

const FLOAT32_BYTES = 4;

/** What the estimate reads of an MLP scenario. */
export interface MlpFootprintScenario {
  generator: { kind?: 'mlp'; latentSize: number; outputSize: number; hidden: readonly number[] };
  discriminator: { kind?: 'mlp'; hidden: readonly number[] };
  batchSize: number;
}

/** What the estimate reads of a scenario (a Scenario is one): an MLP's widths, or a convolutional network's layers. */
export type FootprintScenario = MlpFootprintScenario | Pick<Scenario, 'generator' | 'discriminator' | 'batchSize' | 'data'>;

const isMlpScenario = (scenario: FootprintScenario): scenario is MlpFootprintScenario =>
  scenario.generator.kind !== 'conv' && scenario.discriminator.kind !== 'conv';

export interface FootprintOptions {
  /** GANs alive at once: the runner builds one per strategy and keeps them all; the equivalence check one at a time. */
  gans: number;
  /** Pre-generated batches (noise and real samples). */
  batches: number;
  /** 'foreach' Adam concatenates a network's parameters into one tensor: the largest tensor then is a whole network. */
  adam: AdamImplementation;
}

/** Estimated bytes, by what holds them. */
export interface Footprint {
  /** Every GAN's weights and biases. */
  parameters: number;
  /** Adam's two moments (exp_avg, exp_avg_sq) per parameter, for every GAN. */
  adamMoments: number;
  /** One gradient per parameter: only one step runs at a time. */
  gradients: number;
  /**
   * What a step's graph saves for backward at the scenario's batch size: each layer's input and output (the dense
   * layer's gradient needs its input, the activation's gradient its output) for G's forward and up to three D
   * forwards (D on real samples, and D on fake ones twice in detach-d-first and g-first).
   */
  activations: number;
  /** The pool of batches: noise `batch x latentSize`, real samples `batch x outputSize`, and the two label columns. */
  batches: number;
  total: number;
  /** The largest single tensor, which must fit in one buffer of the backend. */
  largestTensor: number;
  /** What that tensor is, for the message. */
  largestTensorName: string;
}

function layersOf(widths: readonly number[]): DenseShape[] {
  return widths.slice(1).map((outputSize, i) => ({ inputSize: widths[i]!, outputSize }));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The footprint from its parts and the candidates for the largest tensor (name, elements). */
function footprintOf(parts: Omit<Footprint, 'total' | 'largestTensor' | 'largestTensorName'>, candidates: ReadonlyArray<[string, number]>): Footprint {
  const [largestTensorName, largestElements] = candidates.reduce((largest, candidate) => (candidate[1] > largest[1] ? candidate : largest));
  const { parameters, adamMoments, gradients, activations, batches } = parts;
  return {
    ...parts,
    total: parameters + adamMoments + gradients + activations + batches,
    largestTensor: largestElements * FLOAT32_BYTES,
    largestTensorName,
  };
}

/** The estimate for a scenario with `gans` GANs alive and `batches` batches. */
export function estimateFootprint(scenario: FootprintScenario, options: FootprintOptions): Footprint {
  if (!isMlpScenario(scenario)) return estimateLayersFootprint(scenario as Pick<Scenario, 'generator' | 'discriminator' | 'batchSize' | 'data'>, options);
  const { gans, batches, adam } = options;
  const { generator: g, discriminator: d, batchSize } = scenario;
  const generatorWidths = [g.latentSize, ...g.hidden, g.outputSize];
  const discriminatorWidths = [g.outputSize, ...d.hidden, 1];
  const generatorParameters = parameterCount(layersOf(generatorWidths));
  const discriminatorParameters = parameterCount(layersOf(discriminatorWidths));
  const parametersPerGan = generatorParameters + discriminatorParameters;

  const parameters = gans * parametersPerGan * FLOAT32_BYTES;
  const adamMoments = 2 * parameters;
  const gradients = parametersPerGan * FLOAT32_BYTES;
  const activations = batchSize * (sum(generatorWidths) + 3 * sum(discriminatorWidths)) * FLOAT32_BYTES;
  const batchBytes = (batches * batchSize * (g.latentSize + g.outputSize) + 2 * batchSize) * FLOAT32_BYTES;

  const candidates: Array<[string, number]> = [
    ...layersOf(generatorWidths).map((layer, i): [string, number] => [`G's layer ${i + 1} weights (${layer.inputSize} x ${layer.outputSize})`, layer.inputSize * layer.outputSize]),
    ...layersOf(discriminatorWidths).map((layer, i): [string, number] => [`D's layer ${i + 1} weights (${layer.inputSize} x ${layer.outputSize})`, layer.inputSize * layer.outputSize]),
    [`one layer's activations (batch ${batchSize} x ${Math.max(...generatorWidths, ...discriminatorWidths)})`, batchSize * Math.max(...generatorWidths, ...discriminatorWidths)],
  ];
  if (adam === 'foreach') {
    candidates.push(
      ["G's parameters concatenated by foreach Adam", generatorParameters],
      ["D's parameters concatenated by foreach Adam", discriminatorParameters],
    );
  }
  return footprintOf({ parameters, adamMoments, gradients, activations, batches: batchBytes }, candidates);
}

/**
 * The same estimate from layer shapes, for a scenario with a convolutional network: a convolution's saved
 * activations are its output up to three times (the convolution's, BatchNorm's, the activation's) besides its
 * input; BatchNorm's running statistics count with the parameters.
 */
function estimateLayersFootprint(scenario: Pick<Scenario, 'generator' | 'discriminator' | 'batchSize' | 'data'>, { gans, batches, adam }: FootprintOptions): Footprint {
  const { batchSize } = scenario;
  const layers = networkShapes(scenario);
  const saved = (shapes: readonly LayerShape[]) =>
    (shapes[0] ? inputElements(shapes[0]) : 0) + sum(shapes.map((shape) => outputElements(shape) * (isConvShape(shape) ? 3 : 1)));
  const runningStatistics = (shapes: readonly LayerShape[]) => sum(shapes.map((shape) => (isConvShape(shape) && shape.batchNorm ? 2 * shape.outChannels : 0)));
  const generatorParameters = parameterCount(layers.generator);
  const discriminatorParameters = parameterCount(layers.discriminator);
  const parametersPerGan = generatorParameters + discriminatorParameters;
  const parameters = gans * (parametersPerGan + runningStatistics(layers.generator) + runningStatistics(layers.discriminator)) * FLOAT32_BYTES;
  const adamMoments = 2 * gans * parametersPerGan * FLOAT32_BYTES;
  const gradients = parametersPerGan * FLOAT32_BYTES;
  const activations = batchSize * (saved(layers.generator) + 3 * saved(layers.discriminator)) * FLOAT32_BYTES;
  const { latentSize, outputSize } = scenario.generator;
  const batchBytes = (batches * batchSize * (latentSize + outputSize) + 2 * batchSize) * FLOAT32_BYTES;
  const widest = Math.max(...[...layers.generator, ...layers.discriminator].flatMap((shape) => [inputElements(shape), outputElements(shape)]));
  const candidates: Array<[string, number]> = [
    ...layers.generator.map((shape, i): [string, number] => [`G's layer ${i + 1} weights`, weightElements(shape)]),
    ...layers.discriminator.map((shape, i): [string, number] => [`D's layer ${i + 1} weights`, weightElements(shape)]),
    [`one layer's activations (batch ${batchSize} x ${widest})`, batchSize * widest],
    ...(adam === 'foreach'
      ? ([
          ["G's parameters concatenated by foreach Adam", generatorParameters],
          ["D's parameters concatenated by foreach Adam", discriminatorParameters],
        ] as Array<[string, number]>)
      : []),
  ];
  return footprintOf({ parameters, adamMoments, gradients, activations, batches: batchBytes }, candidates);
}

/** What a backend can hold, as far as it is known; null where it is not. */
export interface Capacity {
  /** The backend, for the message: "cpu". */
  backend: string;
  /** Bytes it can hold in all, and what that figure is ("free system memory"). */
  totalBytes: number | null;
  totalSource: string;
  /** Bytes one tensor may take, and what sets that limit ("the device's maxBufferSize"). */
  tensorBytes: number | null;
  tensorSource: string;
}

/**
 * Why the scenario will not fit, as the message its cells carry, or null when it fits as far as is known:
 * "needs about 206 GiB (parameters 68.7 GiB, Adam moments 137 GiB, ...), more than the 22.8 GiB of free system
 * memory cpu can use".
 */
export function footprintProblem(footprint: Footprint, capacity: Capacity): string | null {
  if (capacity.totalBytes !== null && footprint.total > capacity.totalBytes) {
    const parts = [
      `parameters ${formatBytes(footprint.parameters)}`,
      `Adam moments ${formatBytes(footprint.adamMoments)}`,
      `gradients ${formatBytes(footprint.gradients)}`,
      `activations ${formatBytes(footprint.activations)}`,
      `batches ${formatBytes(footprint.batches)}`,
    ];
    return (
      `needs about ${formatBytes(footprint.total)} (${parts.join(', ')}), ` +
      `more than the ${formatBytes(capacity.totalBytes)} of ${capacity.totalSource} ${capacity.backend} can use`
    );
  }
  if (capacity.tensorBytes !== null && footprint.largestTensor > capacity.tensorBytes) {
    return (
      `needs a tensor of about ${formatBytes(footprint.largestTensor)} (${footprint.largestTensorName}), ` +
      `more than ${capacity.backend} allows in one tensor (${formatBytes(capacity.tensorBytes)}, ${capacity.tensorSource})`
    );
  }
  return null;
}
