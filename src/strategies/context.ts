/** Builds the StepContext strategies run in, optionally observed for counting (see src/measure/counts.ts). */
import { detach } from '../autograd/detach.js';
import { GradientTape, type GradientResult } from '../autograd/tape.js';
import type { Gan } from '../models/gan.js';
import { discriminatorLoss, generatorLoss } from '../models/loss.js';
import type { Mlp } from '../models/mlp.js';
import type { Tensor, Variable } from '../tf.js';
import type { Network, NetworkName, StepContext } from './strategy.js';

/** Hooks called as a step runs. Timed steps run with no observer; a separate step is run observed. */
export interface StepObserver {
  forward(network: NetworkName, input: Tensor, output: Tensor): void;
  backward(requested: readonly Variable[], result: GradientResult): void;
  /** `liveTapes` are the graphs still held while this optimizer step runs. */
  optimizerStep(network: NetworkName, result: GradientResult, liveTapes: ReadonlySet<GradientTape>): void;
}

export function createStepContext(gan: Gan, observer?: StepObserver): StepContext {
  const liveTapes = new Set<GradientTape>();
  const stepped = new WeakSet<GradientResult>();

  class ContextTape extends GradientTape {
    override gradients(loss: Tensor, variables: readonly Variable[]): GradientResult {
      const result = super.gradients(loss, variables);
      observer?.backward(variables, result);
      return result;
    }
    override dispose(): void {
      liveTapes.delete(this);
      super.dispose();
    }
  }

  const network = (name: NetworkName, mlp: Mlp): Network => ({
    name,
    variables: mlp.variables,
    apply: observer
      ? (input) => {
          const output = mlp.apply(input);
          observer.forward(name, input, output);
          return output;
        }
      : (input) => mlp.apply(input),
  });

  return {
    generator: network('generator', gan.generator),
    discriminator: network('discriminator', gan.discriminator),
    allVariables: [...gan.generator.variables, ...gan.discriminator.variables],
    discriminatorLoss,
    generatorLoss,
    detach,
    newTape() {
      const tape = new ContextTape();
      liveTapes.add(tape);
      return tape;
    },
    step(name, result) {
      if (stepped.has(result)) throw new Error('these gradients were already used by an optimizer step');
      stepped.add(result);
      observer?.optimizerStep(name, result, liveTapes);
      const optimizer = name === 'generator' ? gan.generatorOptimizer : gan.discriminatorOptimizer;
      optimizer.step(result.grads);
      for (const grad of result.grads.values()) grad.dispose();
    },
  };
}
