/** What an update strategy is, and the PyTorch-shaped context its training step runs in. */
import type { AutogradErrorKind } from '../autograd/errors.js';
import type { BackwardOptions, GradOptions } from '../autograd/graph.js';
import type { GradInput } from '../autograd/leaf.js';
import type { Parameter } from '../autograd/parameter.js';
import type { Tensor } from '../tf.js';
import type { StrategyId } from './ids.js';

export type NetworkName = 'generator' | 'discriminator';

/** A network as a strategy calls it, like a PyTorch module: `generator(z)`, `generator.parameters`. */
export interface Network {
  (input: Tensor): Tensor;
  readonly network: NetworkName;
  /** PyTorch's `parameters()`: the leaves whose `.grad` backward passes fill and the optimizer reads. */
  readonly parameters: readonly Parameter[];
  /** PyTorch's `requires_grad_()`: whether backward passes compute its parameters' gradients from now on. */
  requiresGrad_(requiresGrad: boolean): void;
}

/** `torch.optim.Adam` as a strategy uses it. */
export interface Optimizer {
  /** `zero_grad(set_to_none=True)`: drops every parameter's `.grad` (PyTorch 2's default). */
  zeroGrad(): void;
  /** `step()`: updates every parameter from its `.grad`, under `torch.no_grad()`. */
  step(): void;
}

/** One training step's inputs, identical for every strategy, named as in the post. */
export interface Batch {
  /** Noise, `[batchSize, latentSize]`. */
  z: Tensor;
  /** Real samples, `[batchSize, dataSize]` (the post's `real_imgs`). */
  realImgs: Tensor;
  /** All ones, `[batchSize, 1]`: the label of real samples. */
  valid: Tensor;
  /** All zeros, `[batchSize, 1]`: the label of generated samples. */
  fake: Tensor;
  /**
   * WGAN-GP's interpolation weights, one per sample (`[batchSize, 1]`, `[batchSize, 1, 1, 1]` for images), drawn
   * with the batch where the regularizer is WGAN-GP, so that no framework's own generator decides them.
   */
  alpha?: Tensor;
}

/**
 * Everything a strategy's step may use, named after the post's PyTorch: one autograd graph records every forward
 * of the step; `backward`, `grad` and `detach` are PyTorch's; the optimizers read `.grad`.
 */
export interface StepContext {
  generator: Network;
  discriminator: Network;
  optimizerG: Optimizer;
  optimizerD: Optimizer;
  /** The post's `adversarial_loss`: `nn.BCELoss()` on D's sigmoid output. */
  adversarialLoss(prediction: Tensor, target: Tensor): Tensor;
  /**
   * `loss.backward(retain_graph=..., create_graph=...)`: accumulates into `.grad` of every parameter (and data
   * tensor marked with `requiresGrad_`) the loss reaches.
   */
  backward(loss: Tensor, options?: BackwardOptions): void;
  /**
   * `torch.autograd.grad(outputs, inputs, grad_outputs=..., retain_graph=..., create_graph=...)`: the gradients,
   * in the inputs' order; inputs are parameters or tensors that require grad.
   */
  grad(outputs: Tensor | readonly Tensor[], inputs: readonly GradInput[], options?: GradOptions): Tensor[];
  /** `x.requires_grad_()` on a data tensor (R1's real samples, WGAN-GP's interpolates): returns `x`. */
  requiresGrad_<T extends Tensor>(x: T): T;
  /** `x.grad` of a data tensor marked with `requiresGrad_` in this step: what backward calls accumulated, or null. */
  gradOf(x: Tensor): Tensor | null;
  /**
   * D's logit for its output `x`: the pre-sigmoid tensor of the forward that produced `x` (the output itself for a
   * linear D), which a D that keeps it puts on its output in the worker (`logit_of(x)`); R1 differentiates it
   * (src/models/logit.ts). Throws where D keeps none (its regularizer is not R1).
   */
  logitOf(x: Tensor): Tensor;
  /** `tensor.detach()`: the same values with no gradient path. */
  detach<T extends Tensor>(x: T): T;
  /** The scenario's gradient penalty on D's step (src/strategies/regularization.ts); without one, each hook does nothing. */
  regularizer: Regularization;
}

/**
 * Where a strategy's D step meets the scenario's gradient penalty, at the same three places in every strategy
 * (src/strategies/regularization.ts says what each regularizer does there).
 */
export interface Regularization {
  /** Before D's forward on the real samples: R1's `real_imgs.requires_grad_()`; otherwise the samples as they are. */
  real(realImgs: Tensor): Tensor;
  /** D's loss with the penalty, from D's output on `real`: R1's `d_loss + gamma / 2 * r1`; otherwise `dLoss`. */
  penalize(dLoss: Tensor, predReal: Tensor, real: Tensor): Tensor;
  /** After D's optimizer step: lazy R1's own phase, every `every` steps; otherwise nothing. */
  lazyPhase(realImgs: Tensor): void;
  /**
   * WGAN-GP (either kind): D's steps are `nCritic` critic steps, and a strategy with a WGAN-GP loop runs that loop
   * instead of its BCE step; a strategy without one reaches `real` and gets its cell's one-line refusal.
   */
  readonly critic: boolean;
  /** WGAN-GP's `nCritic` critic steps, PyTorch-GAN's, on the batch's z, real samples and alpha; D's loss of the last. */
  criticSteps(batch: Batch): Tensor;
}

/**
 * When each network's gradient is taken:
 * - simultaneous: both at the step's starting weights (and G's fake samples from the starting G);
 * - alternating-d-first: D steps first; G's gradient is taken through the updated D;
 * - alternating-g-first: G steps first; D's gradient is taken on samples of the updated G.
 */
export type UpdateOrder = 'simultaneous' | 'alternating-d-first' | 'alternating-g-first';

export interface Strategy {
  id: StrategyId;
  /** Short human title. */
  title: string;
  /** Where the code comes from (the post's numbering, a tutorial, an API). */
  source: string;
  /** One paragraph: what it does, against the post's PyTorch code. */
  description: string;
  /** The update it computes, checked by the equivalence measurement. */
  order: UpdateOrder;
  /**
   * For the post's code as printed: the error PyTorch raises when it runs, which this strategy raises too, and
   * where. Such a strategy is reported with its error instead of numbers.
   */
  raises?: { kind: AutogradErrorKind; at: string };
  /** One training step, line for line the PyTorch of its doc comment. */
  step(ctx: StepContext, batch: Batch): void;
}
