/** The GAN every strategy trains: generator, discriminator, their optimizers, the loss and the data. */
import { tf, type Tensor, type Variable } from '../tf.js';
import type { Scenario } from '../scenario/schema.js';
import type { Batch } from '../strategies/strategy.js';
import { createAdam, type Adam, type AdamImplementation } from './adam.js';
import { createMlp, type Mlp } from './mlp.js';
import { createSgd, type Sgd } from './sgd.js';

/** What updates one network from its gradients: Adam or plain gradient descent, as the scenario says. */
export type NetworkOptimizer = Adam | Sgd;

/** G's loss (the scenario's `loss.generator`): the post's non-saturating BCE, or the original minimax one. */
export type GeneratorLoss = Scenario['loss']['generator'];

export interface Gan {
  generator: Mlp;
  discriminator: Mlp;
  generatorOptimizer: NetworkOptimizer;
  discriminatorOptimizer: NetworkOptimizer;
  /** Which G loss the step context's `adversarialLoss` gives G's loss term (src/strategies/context.ts). */
  generatorLoss: GeneratorLoss;
  dispose(): void;
}

/**
 * Builds both networks from the scenario, initialised from its seed (or at their `initialValue`), each with its
 * own optimizer: Adam (src/models/adam.ts, 'foreach' on GPU backends and 'for-loop' on CPU backends, as PyTorch
 * defaults) or SGD (src/models/sgd.ts); D at `discriminatorLearningRate` where the scenario sets one.
 */
export function createGan(scenario: Scenario, adamImplementation: AdamImplementation = 'for-loop'): Gan {
  const { generator: g, discriminator: d, optimizer, seed } = scenario;
  const generator = createMlp({
    name: 'G',
    widths: [g.latentSize, ...g.hidden, g.outputSize],
    activation: g.activation,
    outputActivation: g.outputActivation,
    seed,
    bias: g.bias,
    initialValue: g.initialValue,
  });
  const discriminator = createMlp({
    name: 'D',
    widths: [g.outputSize, ...d.hidden, 1],
    activation: d.activation,
    outputActivation: 'sigmoid',
    seed: seed + 1,
    bias: d.bias,
    initialValue: d.initialValue,
  });
  const optimizerFor = (variables: readonly Variable[], learningRate: number): NetworkOptimizer =>
    optimizer.name === 'sgd'
      ? createSgd(variables, { learningRate })
      : createAdam(variables, { ...optimizer, learningRate }, adamImplementation);
  const generatorOptimizer = optimizerFor(generator.variables, optimizer.learningRate);
  const discriminatorOptimizer = optimizerFor(discriminator.variables, optimizer.discriminatorLearningRate ?? optimizer.learningRate);
  return {
    generator,
    discriminator,
    generatorOptimizer,
    discriminatorOptimizer,
    generatorLoss: scenario.loss.generator,
    dispose() {
      generatorOptimizer.dispose();
      discriminatorOptimizer.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}

/**
 * `count` batches of seeded noise and synthetic real samples (uniform in [-1, 1], the range of the
 * generator's tanh): what is timed is the training step, so the data's values do not matter, only their
 * shapes, and every strategy gets the same ones. The caller disposes them.
 */
export function createBatches(scenario: Scenario, count: number): Batch[] {
  const { batchSize, generator, seed } = scenario;
  const valid = tf.ones([batchSize, 1]);
  const fake = tf.zeros([batchSize, 1]);
  return Array.from({ length: count }, (_, i) => ({
    z: tf.randomNormal([batchSize, generator.latentSize], 0, 1, 'float32', seed * 7919 + 2 * i),
    realImgs: tf.randomUniform([batchSize, generator.outputSize], -1, 1, 'float32', seed * 7919 + 2 * i + 1),
    valid,
    fake,
  }));
}

/** Disposes batches made by createBatches (their label tensors are shared). */
export function disposeBatches(batches: readonly Batch[]): void {
  const tensors = new Set<Tensor>();
  for (const batch of batches) for (const tensor of Object.values(batch)) tensors.add(tensor);
  for (const tensor of tensors) tensor.dispose();
}
