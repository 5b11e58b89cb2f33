/**
 * What a scenario file declares, as a zod schema: `z.input<typeof scenarioSchema>` is what a user writes,
 * `Scenario` (the output) is the resolved value with every default filled in.
 */
import { z } from 'zod';
import { BACKEND_IDS } from './backend-ids.js';
import { STRATEGY_IDS } from '../strategies/ids.js';
import { DATA_SOURCES, METRIC_IDS, METRICS_BY_SOURCE } from './metric-ids.js';
import { NO_REGULARIZER, regularizerProblems, regularizerSchema } from './regularizer.js';
import { CONV_LAYERS, convOutputSide } from './shapes.js';
import { worldSizeProblem } from './world-size.js';

const positiveInt = z.number().int().positive();
const width = positiveInt.max(1 << 16);

/** Hidden-layer activations the models implement (PyTorch names in comments). */
export const ACTIVATIONS = ['leakyRelu', 'relu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

const activation = z.enum(ACTIVATIONS);

/** What every layer of a network has besides its widths: a bias or not, and how its weights start. */
const layerOptions = {
  /** Whether every layer adds a bias (PyTorch's `nn.Linear(..., bias=True)`, the default). */
  bias: z.boolean().default(true),
  /**
   * Every weight (and bias) starts at this value instead of PyTorch's `nn.Linear` initialisation (uniform in
   * +-1/sqrt(fan_in), seeded): the Dirac-GAN starts from theta = psi = 1. Unset by default.
   */
  initialValue: z.number().finite().optional(),
};

const mlpGeneratorSchema = z.strictObject({
  /** A multi-layer perceptron (the default): `kind` may be left out. */
  kind: z.literal('mlp').optional(),
  /** Size of the noise vector z (PyTorch-GAN's `latent_dim`). */
  latentSize: positiveInt.max(1 << 16),
  /** Widths of the hidden layers, input side first. */
  hidden: z.array(width).max(64),
  activation: activation.default('leakyRelu'),
  /** Width of the output layer; must equal the product of `data.shape`. */
  outputSize: width,
  outputActivation: activation.default('tanh'),
  ...layerOptions,
});

const mlpDiscriminatorSchema = z.strictObject({
  /** A multi-layer perceptron (the default): `kind` may be left out. */
  kind: z.literal('mlp').optional(),
  /** Widths of the hidden layers, input side first; the output layer is one unit with a sigmoid. */
  hidden: z.array(width).max(64),
  activation: activation.default('leakyRelu'),
  ...layerOptions,
});

/** How a convolutional network's weights start (src/models/conv-net.ts). */
export const NETWORK_INITS = ['pytorch', 'dcgan'] as const;
export type NetworkInit = (typeof NETWORK_INITS)[number];

/**
 * One layer of a convolutional network, in PyTorch's terms: `nn.Conv2d` or `nn.ConvTranspose2d` (`filters` output
 * channels, a square kernel, PyTorch's `stride` and `padding`; no dilation, groups or output_padding), optionally
 * followed by `nn.BatchNorm2d(filters)` in training mode, then an activation (`leakyRelu` is `nn.LeakyReLU(0.2, inplace=True)`;
 * `linear`, the default, adds none).
 */
const convLayerSchema = z.strictObject({
  layer: z.enum(CONV_LAYERS),
  filters: positiveInt.max(1 << 14),
  kernelSize: positiveInt.max(64),
  stride: positiveInt.max(64).default(1),
  padding: z.number().int().min(0).max(64).default(0),
  /** PyTorch's default is true; DCGAN's layers have none (BatchNorm's bias takes its place). */
  bias: z.boolean().default(true),
  batchNorm: z.boolean().default(false),
  activation: activation.default('linear'),
});
export type ConvLayerSpec = z.output<typeof convLayerSchema>;

const convLayers = z.array(convLayerSchema).min(1).max(64);
/**
 * 'pytorch' (the default): PyTorch's own initialisation (conv weights and biases kaiming_uniform(a=sqrt(5)),
 * uniform in ±1/sqrt(fan_in); BatchNorm weight 1, bias 0). 'dcgan': pytorch/examples dcgan's `weights_init`
 * (conv weights N(0, 0.02), BatchNorm weight N(1, 0.02) and bias 0). Seeded either way.
 */
const init = z.enum(NETWORK_INITS).default('pytorch');

const convGeneratorSchema = z.strictObject({
  /** A convolutional generator: z enters as [latentSize, 1, 1] (DCGAN's `nz x 1 x 1`). */
  kind: z.literal('conv'),
  latentSize: positiveInt.max(1 << 16),
  /** Its layers, input side first; the last one's output ([channels, height, width]) must equal data.shape. */
  layers: convLayers,
  init,
});

const convDiscriminatorSchema = z.strictObject({
  /** A convolutional discriminator: its input is a sample of data.shape ([channels, height, width]). */
  kind: z.literal('conv'),
  /** Its layers, input side first; the last one must output one unit per sample ([1, 1, 1]) through a sigmoid. */
  layers: convLayers,
  init,
});

/** G: an MLP (`kind` left out or 'mlp') or a list of convolutional layers (`kind: 'conv'`). */
const generatorSchema = z.discriminatedUnion('kind', [mlpGeneratorSchema, convGeneratorSchema]);
/** D: an MLP (`kind` left out or 'mlp') or a list of convolutional layers (`kind: 'conv'`). */
const discriminatorSchema = z.discriminatedUnion('kind', [mlpDiscriminatorSchema, convDiscriminatorSchema]);

/**
 * D's own learning rate, where it differs from G's (`learningRate`). Unset by default: both use `learningRate`.
 * The Dirac-GAN paper's D loss is `real + fake`, the strategies' `(real + fake) / 2`: with plain gradient
 * descent, the sum at rate r is the mean at 2r, bit for bit (2 is a power of two), so the paper's row is the
 * mean at D rate 0.4.
 */
const discriminatorLearningRate = z.number().positive().optional();

const adamSchema = z.strictObject({
  /** `torch.optim.Adam` (src/models/adam.ts), the default. */
  name: z.literal('adam').default('adam'),
  learningRate: z.number().positive().default(2e-4),
  discriminatorLearningRate,
  beta1: z.number().min(0).lt(1).default(0.5),
  beta2: z.number().min(0).lt(1).default(0.999),
  /** PyTorch's default; TensorFlow.js's own default (1e-7) differs, so it is always set explicitly. */
  epsilon: z.number().positive().default(1e-8),
});

const sgdSchema = z.strictObject({
  /** `torch.optim.SGD` without momentum or weight decay: plain gradient descent (src/models/sgd.ts). */
  name: z.literal('sgd'),
  learningRate: z.number().positive(),
  discriminatorLearningRate,
});

/** The optimizer both networks use: Adam (the default) or plain gradient descent, chosen by `name`. */
const optimizerSchema = z.discriminatedUnion('name', [adamSchema, sgdSchema]);

const lossSchema = z.strictObject({
  /**
   * G's loss. 'non-saturating' (the default, the post's): `BCE(D(G(z)), 1)`, G maximises log D(G(z)).
   * 'minimax' (Goodfellow et al. 2014's original, the Dirac-GAN paper's): G minimises log(1 - D(G(z))),
   * computed as `-BCE(D(G(z)), 0)`. D's loss is the post's BCE either way.
   */
  generator: z.enum(['non-saturating', 'minimax']).default('non-saturating'),
});

const metric = z.enum(METRIC_IDS);

const qualitySchema = z.strictObject({
  /** Training steps per strategy and seed. */
  steps: positiveInt.max(10_000_000),
  /**
   * Independent trainings per strategy. Seed i (0-based) starts G and D from the scenario's `seed + 2i` and has
   * its own data order and evaluation noise; every strategy gets the same ones for the same seed.
   */
  seeds: positiveInt.max(1000).default(5),
  /** Steps between checkpoints; the initial generator (step 0) and the last step are evaluated too. */
  evaluateEvery: positiveInt,
  /** Generated samples each checkpoint is evaluated on (PacGAN's 2,500 by default). */
  samples: positiveInt.max(1_000_000).default(2500),
  /** What counts as a good generator: the first checkpoint where `metric` is at or beyond `value`. */
  threshold: z.strictObject({
    metric,
    value: z.number().finite(),
    /** 'above': reached when the value is >= `value` (higher is better); 'below': when <= `value`. */
    direction: z.enum(['above', 'below']),
  }),
  /** The metrics computed at every checkpoint; default: every metric `data.source` supports. */
  metrics: z.array(metric).min(1).optional(),
  /**
   * mnist only: the classifier the digit metrics run through (src/quality/classifier/classifier-config.ts); default
   * `MNIST_CLASSIFIER`, two convolutions, ~98% held-out accuracy. A small one makes a quick CI check.
   */
  classifier: z
    .strictObject({
      /** Convolutions in order ('valid', ReLU, 2x2 max pooling after each). */
      conv: z.array(z.strictObject({ filters: positiveInt.max(1024), kernelSize: positiveInt.max(13) })).max(2),
      /** Hidden dense widths (ReLU) before the 10 logits. */
      dense: z.array(width).max(4),
      epochs: positiveInt.max(100),
      batchSize: positiveInt.max(4096),
      /** Adam's rate in the first epoch. */
      learningRate: z.number().positive(),
      /** The rate is multiplied by this after each epoch. */
      learningRateDecay: z.number().positive().max(1).default(1),
      /** Seeds the initialisers and the batch order. */
      seed: z.number().int().nonnegative().default(1),
    })
    .optional(),
});

const measureSchema = z.strictObject({
  /** Untimed steps before the clock starts: Adam's slots, kernel caches, shader compilation. */
  warmupSteps: z.number().int().min(1).max(100_000).default(3),
  /** The least number of timed steps per strategy; at most a million (1e15 would time for years and overflow the samples' array). */
  minSamples: positiveInt.max(1_000_000).default(20),
  /** Timed milliseconds per strategy to aim for; measurement stops at minSamples and this time, whichever is later. */
  minTimeMs: z.number().nonnegative().max(86_400_000).default(2000),
  /** Round-robin rounds: each strategy gets minTimeMs / rounds per round, so noise hits all of them alike. */
  rounds: positiveInt.max(1000).default(5),
  /**
   * Steps each strategy trains from identical weights for the update-equivalence check (cpu backend); 0 skips
   * the check (large batches are slow on the cpu backend).
   */
  equivalenceSteps: z.number().int().min(0).max(50).default(3),
});

const scenarioShape = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  description: z.string().min(1),
  generator: generatorSchema,
  discriminator: discriminatorSchema,
  data: z.strictObject({
    /**
     * Shape of one real sample, e.g. [28, 28] for MNIST; an MLP sees it flattened. A convolutional network's data
     * is [channels, height, width], as PyTorch writes it (tfjs computes NHWC inside).
     */
    shape: z.array(positiveInt).min(1).max(4),
    /**
     * Where real samples come from (src/quality/data/data.ts): 'uniform' (the default: seeded uniform noise in
     * [-1, 1], enough for timing a step, nothing to learn); 'ring' (PacGAN's 8 Gaussians, means on the unit
     * circle, std 0.01; shape [2]); 'grid' (PacGAN's 25 Gaussians at {-4,-2,0,2,4}^2, std 0.05; shape [2]);
     * 'mnist' (the `mnist` package's digits scaled to [-1, 1], a tenth of each class held out for
     * evaluation; 784 values); 'dirac' (the Dirac-GAN: real data at 0 and G's input the constant 1; shape
     * [1], latentSize 1).
     */
    source: z.enum(DATA_SOURCES).default('uniform'),
  }),
  batchSize: positiveInt.max(1 << 16),
  optimizer: optimizerSchema.default({
    name: 'adam',
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    epsilon: 1e-8,
  }),
  loss: lossSchema.default({ generator: 'non-saturating' }),
  seed: z.number().int().nonnegative().default(42),
  measure: measureSchema.default({
    warmupSteps: 3,
    minSamples: 20,
    minTimeMs: 2000,
    rounds: 5,
    equivalenceSteps: 3,
  }),
  strategies: z.array(z.enum(STRATEGY_IDS)).min(1).default([...STRATEGY_IDS]),
  backend: z.enum(BACKEND_IDS).default('auto'),
  /**
   * Data-parallel ranks (issue 18; `--world-size` overrides it): above 1 the pytorch backend also runs every
   * strategy under torch.distributed on this many ranks, each on its shard of `batchSize` (the global batch).
   */
  worldSize: positiveInt.max(1024).default(1),
  /**
   * D's gradient penalty (issue 23; `--regularizer` overrides its kind): none (the default), R1, lazy R1, WGAN-GP
   * (src/scenario/regularizer.ts).
   */
  regularizer: regularizerSchema.default(NO_REGULARIZER),
  /** How `npm run quality` trains and evaluates this scenario; optional, and `npm run bench` ignores it. */
  quality: qualitySchema.optional(),
});

export const scenarioSchema = scenarioShape
  .superRefine((scenario, ctx) => {
    const dataSize = scenario.data.shape.reduce((a, b) => a * b, 1);
    if (scenario.generator.kind !== 'conv' && scenario.generator.outputSize !== dataSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['generator', 'outputSize'],
        message:
          `must equal the product of data.shape ` +
          `(${scenario.data.shape.length > 1 ? `${scenario.data.shape.join('x')} = ` : ''}${dataSize}), ` +
          `not ${scenario.generator.outputSize}`,
      });
    }
    if (new Set(scenario.strategies).size !== scenario.strategies.length) {
      ctx.addIssue({ code: 'custom', path: ['strategies'], message: 'lists a strategy twice' });
    }
    const shards = worldSizeProblem(scenario.batchSize, scenario.worldSize);
    if (shards) ctx.addIssue({ code: 'custom', path: ['worldSize'], message: shards });
    checkConvolutions(scenario, ctx);
    for (const { path, message } of regularizerProblems(scenario, scenario.regularizer.kind)) ctx.addIssue({ code: 'custom', path, message });
    checkDataSource(scenario, ctx);
    checkQuality(scenario, ctx);
  })
  .transform((scenario): Scenario => {
    // A convolutional G's output size is data.shape's (checked above): resolved like an MLP's, for what reads it.
    const { generator } = scenario;
    if (generator.kind !== 'conv') return scenario as Scenario;
    return { ...scenario, generator: { ...generator, outputSize: scenario.data.shape.reduce((a, b) => a * b, 1) } };
  });

type RawScenario = z.output<typeof scenarioShape>;

const shapeWords = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * A convolutional network's shapes, layer by layer (PyTorch's output-size formulas): every layer must have an
 * output; G's last output must be data.shape and D's one unit per sample through a sigmoid; a BatchNorm needs more
 * than one value per channel (PyTorch's own check); a convolutional network's data is [channels, height, width].
 */
function checkConvolutions(scenario: RawScenario, ctx: z.RefinementCtx): void {
  const { generator, discriminator, data, batchSize } = scenario;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const walk = (network: 'generator' | 'discriminator', input: [number, number, number], layers: readonly ConvLayerSpec[]): number[] | null => {
    let [channels, height, width] = input;
    for (const [i, layer] of layers.entries()) {
      const outHeight = convOutputSide(layer.layer, height, layer.kernelSize, layer.stride, layer.padding);
      const outWidth = convOutputSide(layer.layer, width, layer.kernelSize, layer.stride, layer.padding);
      if (outHeight < 1 || outWidth < 1) {
        issue([network, 'layers', i], `a ${layer.kernelSize}x${layer.kernelSize} ${layer.layer} (stride ${layer.stride}, padding ${layer.padding}) on a ${height}x${width} input has no output`);
        return null;
      }
      [channels, height, width] = [layer.filters, outHeight, outWidth];
      if (layer.batchNorm && batchSize * height * width < 2) {
        issue([network, 'layers', i, 'batchNorm'], `needs more than 1 value per channel when training (batch ${batchSize} x ${height}x${width})`);
      }
    }
    return [channels, height, width];
  };
  const isImage = data.shape.length === 3;
  if ((generator.kind === 'conv' || discriminator.kind === 'conv') && !isImage) {
    issue(['data', 'shape'], `must be [channels, height, width] for a convolutional network, not ${shapeWords(data.shape)}`);
    return;
  }
  if (generator.kind === 'conv') {
    const output = walk('generator', [generator.latentSize, 1, 1], generator.layers);
    if (output && output.some((side, i) => side !== data.shape[i])) {
      issue(['generator', 'layers'], `G's output is ${shapeWords(output)} ([channels, height, width]); it must equal data.shape ${shapeWords(data.shape)}`);
    }
  }
  if (discriminator.kind === 'conv') {
    const output = walk('discriminator', data.shape as [number, number, number], discriminator.layers);
    if (output && output.some((side) => side !== 1)) {
      issue(['discriminator', 'layers'], `D must end in one unit per sample ([1, 1, 1]); its output is ${shapeWords(output)}`);
    }
  }
}

/** The shapes a data source fixes: 2-D points, 28x28 digits, the Dirac-GAN's scalars. */
function checkDataSource(scenario: RawScenario, ctx: z.RefinementCtx): void {
  const { source, shape } = scenario.data;
  const size = shape.reduce((a, b) => a * b, 1);
  const need = (ok: boolean, path: (string | number)[], message: string) => {
    if (!ok) ctx.addIssue({ code: 'custom', path, message });
  };
  if (source === 'ring' || source === 'grid') need(shape.length === 1 && size === 2, ['data', 'shape'], `must be [2] for the ${source} source`);
  if (source === 'mnist') need(size === 784, ['data', 'shape'], 'must hold 784 values (e.g. [28, 28]) for the mnist source');
  if (source === 'dirac') {
    need(shape.length === 1 && size === 1, ['data', 'shape'], 'must be [1] for the dirac source');
    need(scenario.generator.latentSize === 1, ['generator', 'latentSize'], "must be 1 for the dirac source (G's input is the constant 1)");
  }
}

/** The metrics of a quality section must be ones its data source supports, the threshold's among them. */
function checkQuality(scenario: RawScenario, ctx: z.RefinementCtx): void {
  const quality = scenario.quality;
  if (!quality) return;
  const supported = METRICS_BY_SOURCE[scenario.data.source];
  if (supported.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['data', 'source'],
      message: `'${scenario.data.source}' has no quality metric: a quality section needs one of ${DATA_SOURCES.filter((s) => METRICS_BY_SOURCE[s].length > 0).join(', ')}`,
    });
    return;
  }
  const metrics = quality.metrics ?? supported;
  quality.metrics?.forEach((id, i) => {
    if (!supported.includes(id)) {
      ctx.addIssue({ code: 'custom', path: ['quality', 'metrics', i], message: `'${id}' is not a metric of the ${scenario.data.source} source (${supported.join(', ')})` });
    }
  });
  if (!metrics.includes(quality.threshold.metric)) {
    ctx.addIssue({ code: 'custom', path: ['quality', 'threshold', 'metric'], message: `'${quality.threshold.metric}' is not among the metrics computed (${metrics.join(', ')})` });
  }
  if (quality.classifier && scenario.data.source !== 'mnist') {
    ctx.addIssue({ code: 'custom', path: ['quality', 'classifier'], message: 'is for the mnist source only' });
  }
  if (quality.evaluateEvery > quality.steps) {
    ctx.addIssue({ code: 'custom', path: ['quality', 'evaluateEvery'], message: `must be at most steps (${quality.steps})` });
  }
}

/** What a scenario file is written as (defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** An MLP generator, resolved. */
export type MlpGenerator = z.output<typeof mlpGeneratorSchema>;
/** An MLP discriminator, resolved. */
export type MlpDiscriminator = z.output<typeof mlpDiscriminatorSchema>;
/** A convolutional generator, resolved: `outputSize` is data.shape's product, as an MLP's must be. */
export type ConvGenerator = z.output<typeof convGeneratorSchema> & { outputSize: number };
/** A validated scenario with every default resolved. */
export type Scenario = Omit<RawScenario, 'generator'> & { generator: MlpGenerator | ConvGenerator };

/**
 * Types a scenario file, as vitest's `defineConfig` does: it returns its argument unchanged and exists so that
 * `export default defineScenario({...})` is checked by the editor. Validation happens when the file is loaded.
 */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
