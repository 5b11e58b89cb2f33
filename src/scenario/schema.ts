/**
 * What a scenario file declares, as a zod schema: `z.input<typeof scenarioSchema>` is what a user writes,
 * `Scenario` (the output) is the resolved value with every default filled in.
 */
import { z } from 'zod';
import { BACKEND_IDS } from '../backends/backend.js';
import { STRATEGY_IDS } from '../strategies/ids.js';

const positiveInt = z.number().int().positive();
const width = positiveInt.max(1 << 16);

/** Hidden-layer activations the models implement (PyTorch names in comments). */
export const ACTIVATIONS = ['leakyRelu', 'relu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

const activation = z.enum(ACTIVATIONS);

const generatorSchema = z.strictObject({
  /** Size of the noise vector z (PyTorch-GAN's `latent_dim`). */
  latentSize: positiveInt.max(1 << 16),
  /** Widths of the hidden layers, input side first. */
  hidden: z.array(width).max(64),
  activation: activation.default('leakyRelu'),
  /** Width of the output layer; must equal the product of `data.shape`. */
  outputSize: width,
  outputActivation: activation.default('tanh'),
});

const discriminatorSchema = z.strictObject({
  /** Widths of the hidden layers, input side first; the output layer is one unit with a sigmoid. */
  hidden: z.array(width).max(64),
  activation: activation.default('leakyRelu'),
});

const optimizerSchema = z.strictObject({
  name: z.literal('adam').default('adam'),
  learningRate: z.number().positive().default(2e-4),
  beta1: z.number().min(0).lt(1).default(0.5),
  beta2: z.number().min(0).lt(1).default(0.999),
  /** PyTorch's default; TensorFlow.js's own default (1e-7) differs, so it is always set explicitly. */
  epsilon: z.number().positive().default(1e-8),
});

const measureSchema = z.strictObject({
  /** Untimed steps before the clock starts: Adam's slots, kernel caches, shader compilation. */
  warmupSteps: z.number().int().min(1).default(3),
  /** The least number of timed steps per strategy. */
  minSamples: positiveInt.default(20),
  /** Timed milliseconds per strategy to aim for; measurement stops at minSamples and this time, whichever is later. */
  minTimeMs: z.number().nonnegative().default(2000),
  /** Round-robin rounds: each strategy gets minTimeMs / rounds per round, so noise hits all of them alike. */
  rounds: positiveInt.max(1000).default(5),
  /**
   * Steps each strategy trains from identical weights for the update-equivalence check (cpu backend); 0 skips
   * the check (large batches are slow on the cpu backend).
   */
  equivalenceSteps: z.number().int().min(0).max(50).default(3),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    description: z.string().min(1),
    generator: generatorSchema,
    discriminator: discriminatorSchema,
    data: z.strictObject({
      /** Shape of one real sample, e.g. [28, 28] for MNIST; the models see it flattened. */
      shape: z.array(positiveInt).min(1).max(4),
    }),
    batchSize: positiveInt.max(1 << 16),
    optimizer: optimizerSchema.default({
      name: 'adam',
      learningRate: 2e-4,
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-8,
    }),
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
  })
  .superRefine((scenario, ctx) => {
    const dataSize = scenario.data.shape.reduce((a, b) => a * b, 1);
    if (scenario.generator.outputSize !== dataSize) {
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
  });

/** What a scenario file is written as (defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario with every default resolved. */
export type Scenario = z.output<typeof scenarioSchema>;

/**
 * Types a scenario file, as vitest's `defineConfig` does: it returns its argument unchanged and exists so that
 * `export default defineScenario({...})` is checked by the editor. Validation happens when the file is loaded.
 */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
