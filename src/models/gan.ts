/** The GAN every strategy trains: generator, discriminator, their optimizers, the loss and the data. */
import { tf, type Tensor, type Variable } from '../tf.js';
import { isR1, isWassersteinGp, type RegularizerConfig } from '../scenario/regularizer.js';
import type { Scenario } from '../scenario/schema.js';
import type { LazyInterval } from '../strategies/regularization.js';
import type { Batch } from '../strategies/strategy.js';
import { createAdam, type Adam, type AdamImplementation } from './adam.js';
import { createConvNet, type ConvNet } from './conv-net.js';
import { createMlp, type Mlp } from './mlp.js';
import { createSgd, type Sgd } from './sgd.js';

/** G or D: an MLP (src/models/mlp.ts) or a convolutional network (src/models/conv-net.ts). */
export type GanNetwork = Mlp | ConvNet;

/** What updates one network from its gradients: Adam or plain gradient descent, as the scenario says. */
export type NetworkOptimizer = Adam | Sgd;

/** G's loss (the scenario's `loss.generator`): the post's non-saturating BCE, or the original minimax one. */
export type GeneratorLoss = Scenario['loss']['generator'];

export interface Gan {
  generator: GanNetwork;
  discriminator: GanNetwork;
  generatorOptimizer: NetworkOptimizer;
  discriminatorOptimizer: NetworkOptimizer;
  /** Which G loss the step context's `adversarialLoss` gives G's loss term (src/models/step-runner.ts). */
  generatorLoss: GeneratorLoss;
  /** D's gradient penalty, as the step context's `regularizer` applies it (src/strategies/regularization.ts). */
  regularizer: RegularizerConfig;
  /** Where lazy R1 is in its interval: counts the steps this GAN took. */
  lazyInterval: LazyInterval;
  dispose(): void;
}

/**
 * Builds both networks from the scenario, initialised from its seed (or at their `initialValue`), each with its
 * own optimizer: Adam (src/models/adam.ts, 'foreach' on GPU backends and 'for-loop' on CPU backends, as PyTorch
 * defaults) or SGD (src/models/sgd.ts); D at `discriminatorLearningRate` where the scenario sets one. Either
 * network may be an MLP or convolutional; G is seeded from the seed, D from seed + 1.
 */
export function createGan(scenario: Scenario, adamImplementation: AdamImplementation = 'for-loop'): Gan {
  const { generator: g, discriminator: d, optimizer, seed, data } = scenario;
  const image = data.shape as readonly number[] as [number, number, number];
  const generator: GanNetwork =
    g.kind === 'conv'
      ? createConvNet({ name: 'G', inputShape: [g.latentSize, 1, 1], layers: g.layers, init: g.init, seed })
      : createMlp({
          name: 'G',
          widths: [g.latentSize, ...g.hidden, g.outputSize],
          activation: g.activation,
          outputActivation: g.outputActivation,
          seed,
          bias: g.bias,
          initialValue: g.initialValue,
        });
  // R1 differentiates D's logit: D keeps it (src/models/logit.ts), and an MLP D's output layer then runs unfused.
  const keepLogit = isR1(scenario.regularizer.kind);
  let discriminator: GanNetwork;
  if (d.kind === 'conv') {
    discriminator = createConvNet({ name: 'D', inputShape: image, layers: d.layers, init: d.init, seed: seed + 1, flattenOutput: true, keepLogit });
  } else {
    const mlp = createMlp({
      name: 'D',
      widths: [g.outputSize, ...d.hidden, 1],
      activation: d.activation,
      // WGAN-GP's critic outputs a score (PyTorch-GAN's wgan_gp.py: no sigmoid).
      outputActivation: isWassersteinGp(scenario.regularizer.kind) ? 'linear' : 'sigmoid',
      seed: seed + 1,
      bias: d.bias,
      initialValue: d.initialValue,
      keepLogit,
    });
    // A convolutional G's images reach an MLP D flattened (NHWC order; the values are the same set).
    discriminator = g.kind === 'conv' ? { ...mlp, apply: (x) => mlp.apply(x.rank > 2 ? tf.reshape(x, [x.shape[0]!, -1]) : x) } : mlp;
  }
  const optimizerFor = (variables: readonly Variable[], learningRate: number): NetworkOptimizer =>
    optimizer.name === 'sgd'
      ? createSgd(variables, { learningRate })
      : createAdam(variables, { ...optimizer, learningRate }, adamImplementation);
  const generatorOptimizer = optimizerFor(generator.variables, optimizer.learningRate);
  const discriminatorOptimizer = createDiscriminatorOptimizer(scenario, discriminator.variables, adamImplementation);
  return {
    generator,
    discriminator,
    generatorOptimizer,
    discriminatorOptimizer,
    generatorLoss: scenario.loss.generator,
    regularizer: scenario.regularizer,
    lazyInterval: { steps: 0 },
    dispose() {
      generatorOptimizer.dispose();
      discriminatorOptimizer.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}

/**
 * D's optimizer, at `discriminatorLearningRate` where set. Under lazy R1 its rate is multiplied by
 * every / (every + 1) and Adam's betas raised to that power, as StyleGAN2-ADA's `training_loop.py` does for a
 * lazily regularized network (`mb_ratio = reg_interval / (reg_interval + 1)`), so that the extra phase every
 * `every` steps keeps the optimizer's average step as it was.
 */
function createDiscriminatorOptimizer(scenario: Scenario, variables: readonly Variable[], adamImplementation: AdamImplementation): NetworkOptimizer {
  const { optimizer, regularizer } = scenario;
  const ratio = regularizer.kind === 'r1-lazy' ? regularizer.every / (regularizer.every + 1) : 1;
  const learningRate = (optimizer.discriminatorLearningRate ?? optimizer.learningRate) * ratio;
  if (optimizer.name === 'sgd') return createSgd(variables, { learningRate });
  return createAdam(variables, { ...optimizer, learningRate, beta1: optimizer.beta1 ** ratio, beta2: optimizer.beta2 ** ratio }, adamImplementation);
}

/**
 * `count` batches of seeded noise and synthetic real samples (uniform in [-1, 1], the range of the
 * generator's tanh; images for a convolutional D): what is timed is the training step, so the data's values do not matter, only their
 * shapes, and every strategy gets the same ones; under WGAN-GP each batch carries its interpolation weights
 * (`alpha`, uniform in [0, 1)). The caller disposes them.
 */
export function createBatches(scenario: Scenario, count: number): Batch[] {
  const { batchSize, generator, discriminator, seed, data } = scenario;
  const valid = tf.ones([batchSize, 1]);
  const fake = tf.zeros([batchSize, 1]);
  // A convolutional D takes images, NHWC: data.shape [C, H, W] as [batch, H, W, C]; an MLP D flat samples.
  const [channels, height, width] = data.shape;
  const realShape = discriminator.kind === 'conv' ? [batchSize, height!, width!, channels!] : [batchSize, generator.outputSize];
  // WGAN-GP's interpolation weights, one per sample, broadcast over it; only where the regularizer needs them.
  const alphaShape = realShape.map((size, axis) => (axis === 0 ? size : 1));
  const wasserstein = isWassersteinGp(scenario.regularizer.kind);
  return Array.from({ length: count }, (_, i) => ({
    z: tf.randomNormal([batchSize, generator.latentSize], 0, 1, 'float32', seed * 7919 + 2 * i),
    realImgs: tf.randomUniform(realShape, -1, 1, 'float32', seed * 7919 + 2 * i + 1),
    valid,
    fake,
    ...(wasserstein ? { alpha: tf.randomUniform(alphaShape, 0, 1, 'float32', seed * 7919 + 1_000_003 + i) } : {}),
  }));
}

/** Disposes batches made by createBatches (their label tensors are shared). */
export function disposeBatches(batches: readonly Batch[]): void {
  const tensors = new Set<Tensor>();
  for (const batch of batches) for (const tensor of Object.values(batch)) tensors.add(tensor);
  for (const tensor of tensors) tensor.dispose();
}
