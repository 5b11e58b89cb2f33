/**
 * Runs training steps: each step gets a fresh autograd graph that records all its forwards, a StepContext bound
 * to it and one tidy scope; at its end the graph is freed. What `.grad` holds at the end outlives the step, as in
 * PyTorch; a gradient nothing holds any more is freed, as PyTorch's garbage collection would (a step that throws
 * drops every gradient). Optionally observed for counting (src/measure/counts.ts).
 */
import { detach } from '../autograd/detach.js';
import { Graph, type BackwardResult } from '../autograd/graph.js';
import type { GradInput } from '../autograd/leaf.js';
import { Parameter } from '../autograd/parameter.js';
import type { Gan, GanNetwork, NetworkOptimizer } from './gan.js';
import { logitOf } from './logit.js';
import { binaryCrossEntropy } from './loss.js';
import { tf, type Tensor, type Variable } from '../tf.js';
import { isAsPrinted } from '../strategies/ids.js';
import { asPrintedRefusal, createRegularization } from '../strategies/regularization.js';
import type { Batch, Network, NetworkName, Optimizer, StepContext, Strategy } from '../strategies/strategy.js';

/** Hooks called as a step runs. Timed steps run with no observer; a separate step is run observed. */
export interface StepObserver {
  forward(network: NetworkName, input: Tensor, output: Tensor): void;
  /**
   * After each backward or grad call: what was requested and what it computed. `into` says where the gradients
   * went: `.grad` (a backward call) or the caller (a grad call).
   */
  backward(requested: readonly GradInput[], result: BackwardResult, into: 'grad' | 'caller'): void;
  /** A backward pass added `contribution` to a `.grad` that held `previous`, making `sum`. */
  accumulated(previous: Tensor, contribution: Tensor, sum: Tensor): void;
  /** An optimizer step consumed these `.grad` tensors, while the step's graph held `heldBytes` of saved tensors. */
  optimizerStep(network: NetworkName, consumed: readonly Tensor[], heldBytes: number): void;
}

/** One training step of a strategy on a GAN. */
export type StepRunner = (strategy: Strategy, batch: Batch) => void;

/**
 * A step runner for `gan`. `customize` lets tests change what the context offers (e.g. a `detach` that does
 * nothing, to show what the real one is for).
 */
export function createStepRunner(
  gan: Gan,
  observer?: StepObserver,
  customize?: (ctx: StepContext) => StepContext,
): StepRunner {
  const parameters = [...gan.generator.parameters, ...gan.discriminator.parameters];
  return (strategy, batch) => {
    // The post's listings as printed call no regularizer hook: under one they would run their plain step.
    if (isAsPrinted(strategy.id) && gan.regularizer.kind !== 'none') throw new Error(asPrintedRefusal(gan.regularizer.kind));
    const graph = new Graph(parameters);
    const gradsBefore = heldGrads(parameters);
    try {
      // The scope frees the step's tensors except those it returns: the gradients `.grad` holds at the end.
      tf.tidy(() => {
        const ctx = createStepContext(gan, graph, batch, observer);
        graph.record(() => strategy.step(customize ? customize(ctx) : ctx, batch));
        return heldGrads(parameters);
      });
      const held = new Set(heldGrads(parameters));
      for (const grad of gradsBefore) if (!held.has(grad)) grad.dispose(); // taken out and never put back
    } catch (error) {
      for (const parameter of parameters) parameter.grad = null;
      tf.dispose(gradsBefore);
      throw error;
    } finally {
      graph.dispose();
    }
  };
}

function heldGrads(parameters: readonly Parameter[]): Tensor[] {
  return parameters.flatMap((parameter) => (parameter.grad ? [parameter.grad] : []));
}

function createStepContext(gan: Gan, graph: Graph, batch: Batch, observer?: StepObserver): StepContext {
  const generatorLoss = generatorLossTracker(gan, batch);
  const network = (name: NetworkName, mlp: GanNetwork): Network =>
    Object.assign(
      (input: Tensor) => {
        const output = mlp.apply(input);
        generatorLoss.forward(name, input, output);
        observer?.forward(name, input, output);
        return output;
      },
      {
        network: name,
        parameters: mlp.parameters,
        requiresGrad_(requiresGrad: boolean) {
          for (const parameter of mlp.parameters) parameter.requiresGrad = requiresGrad;
        },
      },
    );

  const optimizer = (name: NetworkName, mlp: GanNetwork, adam: NetworkOptimizer): Optimizer => ({
    zeroGrad() {
      for (const parameter of mlp.parameters) parameter.grad = null;
    },
    step() {
      const grads = new Map<Variable, Tensor>();
      for (const parameter of mlp.parameters) if (parameter.grad) grads.set(parameter.variable, parameter.grad);
      observer?.optimizerStep(name, [...grads.values()], graph.heldBytes());
      graph.noGrad(() => adam.step(grads));
    },
  });

  const ctx: Omit<StepContext, 'regularizer'> = {
    generator: network('generator', gan.generator),
    discriminator: network('discriminator', gan.discriminator),
    optimizerG: optimizer('generator', gan.generator, gan.generatorOptimizer),
    optimizerD: optimizer('discriminator', gan.discriminator, gan.discriminatorOptimizer),
    adversarialLoss: generatorLoss.adversarialLoss,
    detach: generatorLoss.detach,
    backward(loss, options) {
      if (!observer) {
        graph.backward(loss, options);
        return;
      }
      const gradOf = (input: GradInput) => (input instanceof Parameter ? input.grad : graph.gradOf(input));
      const before = new Map<GradInput, Tensor | null>(graph.parameters.map((parameter) => [parameter, parameter.grad]));
      for (const leaf of graph.dataLeafTensors()) before.set(leaf, graph.gradOf(leaf));
      const result = graph.backward(loss, options);
      observer.backward([...before.keys()].filter((input) => !(input instanceof Parameter) || input.requiresGrad), result, 'grad');
      for (const [input, contribution] of result.gradients) {
        const previous = before.get(input);
        if (previous) observer.accumulated(previous, contribution, gradOf(input)!);
      }
    },
    grad(outputs, inputs, options) {
      const result = graph.grad(outputs, inputs, options);
      observer?.backward(inputs, result, 'caller');
      return inputs.map((input) => result.gradients.get(input)!);
    },
    requiresGrad_(x) {
      return graph.requiresGrad_(x);
    },
    gradOf(x) {
      return graph.gradOf(x);
    },
    logitOf,
  };
  const withoutPenalty = ctx as StepContext;
  return Object.assign(withoutPenalty, { regularizer: createRegularization(withoutPenalty, gan.regularizer, gan.lazyInterval) });
}

/**
 * The scenario's G loss, without touching the strategies: they all write `g_loss = adversarial_loss(D(fake),
 * valid)`, so G's loss term is recognised as D's prediction on generated samples (G's output or a detach of it)
 * against the batch's `valid` label. With the non-saturating loss (the post's) `adversarialLoss` is plain BCE and
 * nothing is tracked; with 'minimax' that term becomes `-BCE(prediction, fake)`, i.e. G minimises
 * log(1 - D(G(z))) (Goodfellow et al.'s original), while every D loss term stays BCE.
 */
function generatorLossTracker(gan: Gan, batch: Batch) {
  if (gan.generatorLoss === 'non-saturating') {
    return { forward() {}, adversarialLoss: binaryCrossEntropy, detach };
  }
  /** G's outputs in this step and detaches of them. */
  const generated = new Set<Tensor>();
  /** D's outputs on those. */
  const predictionsOnGenerated = new Set<Tensor>();
  return {
    forward(network: NetworkName, input: Tensor, output: Tensor) {
      if (network === 'generator') generated.add(output);
      else if (generated.has(input)) predictionsOnGenerated.add(output);
    },
    adversarialLoss(prediction: Tensor, target: Tensor): Tensor {
      if (target === batch.valid && predictionsOnGenerated.has(prediction)) {
        return tf.neg(binaryCrossEntropy(prediction, batch.fake));
      }
      return binaryCrossEntropy(prediction, target);
    },
    detach<T extends Tensor>(x: T): T {
      const detached = detach(x);
      if (generated.has(x)) generated.add(detached);
      return detached;
    },
  };
}
