/** What an update strategy is, and the context its training step runs in. */
import type { GradientResult, GradientTape } from '../autograd/tape.js';
import type { Tensor, Variable } from '../tf.js';
import type { StrategyId } from './ids.js';

export type NetworkName = 'generator' | 'discriminator';

/** A network as a strategy sees it: a forward pass and its trainable variables. */
export interface Network {
  readonly name: NetworkName;
  readonly variables: readonly Variable[];
  apply(input: Tensor): Tensor;
}

/** One training step's inputs, identical for every strategy. */
export interface Batch {
  /** z, `[batchSize, latentSize]`. */
  noise: Tensor;
  /** Real samples, `[batchSize, dataSize]`. */
  real: Tensor;
  /** All ones, `[batchSize, 1]` (the post's `valid`). */
  realLabels: Tensor;
  /** All zeros, `[batchSize, 1]` (the post's `fake`). */
  fakeLabels: Tensor;
}

/** Everything a strategy's step may use. The strategies differ only in order and gradient requests. */
export interface StepContext {
  generator: Network;
  discriminator: Network;
  /** Every trainable variable of both networks: what PyTorch's plain `loss.backward()` reaches. */
  allVariables: readonly Variable[];
  /**
   * The post's `d_loss`, `(bce(D(real), valid) + bce(D(fake), fake)) / 2`, with binary cross-entropy on D's
   * sigmoid output (PyTorch's `nn.BCELoss`).
   */
  discriminatorLoss(onReal: Tensor, onFake: Tensor, batch: Batch): Tensor;
  /** The post's `g_loss`, `bce(D(G(z)), valid)`. */
  generatorLoss(onFake: Tensor, batch: Batch): Tensor;
  /** A new, empty gradient tape (see src/autograd/tape.ts). */
  newTape(): GradientTape;
  /** PyTorch's `detach()`: same values, no gradient path. */
  detach<T extends Tensor>(x: T): T;
  /**
   * `optimizer.step()` for one network: applies that network's gradients from `result` with its Adam and then
   * discards every gradient in `result`, as the `zero_grad()` calls in the post do. A gradient computed for the
   * other network is thereby wasted; the counts record it.
   */
  step(network: NetworkName, result: GradientResult): void;
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
  /** One training step. Runs inside a tidy scope; every tape it opens it must dispose. */
  step(ctx: StepContext, batch: Batch): void;
}
