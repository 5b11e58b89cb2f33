/**
 * A persistent gradient tape for TensorFlow.js: the missing `retain_graph`.
 *
 * `tf.grads` and `tf.variableGrads` record a fresh forward for every loss and free it after one backward pass.
 * PyTorch records the forward once and, with `retain_graph=True`, back-propagates through it several times.
 * `GradientTape` does the latter: `record()` switches the engine's own recording on (the same tape nodes and
 * saved tensors `tf.grads` uses), `gradients()` back-propagates from one loss to chosen variables as often as
 * asked, and `dispose()` frees the saved tensors, which is when the graph's memory is released.
 */
import { tf, type Tensor, type Variable } from '../tf.js';
import { backpropagate, nodesFromXsToY } from './backprop.js';
import { engineInternals, type TapeNode } from './engine.js';

/** Gradients from one backward pass. */
export interface GradientResult {
  /** The gradient of each requested variable that the loss reaches (unreached ones are absent, as in PyTorch). */
  readonly grads: ReadonlyMap<Variable, Tensor>;
  /** Ids of every tensor a gradient was computed for: variables, activations, inputs. */
  readonly reached: ReadonlySet<number>;
}

export class GradientTape {
  private readonly nodes: TapeNode[] = [];
  private disposed = false;

  /**
   * Runs `forward` with the engine recording onto this tape and returns its result. Intermediate tensors are
   * freed as in `tf.tidy`; what the backward pass needs is kept in the nodes' saved tensors. May be called
   * again to extend the graph (e.g. a fresh discriminator pass on a tensor this tape produced earlier).
   */
  record<T extends tf.TensorContainer>(forward: () => T): T {
    this.assertLive('record');
    const state = engineInternals().state;
    const outerTape = state.activeTape;
    const outerDepth = state.gradientDepth;
    state.activeTape = this.nodes;
    state.gradientDepth = outerDepth + 1;
    try {
      return tf.tidy(forward);
    } finally {
      state.activeTape = outerTape;
      state.gradientDepth = outerDepth;
    }
  }

  /**
   * Back-propagates from `loss` to `variables` through the recorded graph, which stays usable afterwards
   * (PyTorch's `backward(retain_graph=True)`; call `dispose()` for the plain `backward()`).
   */
  gradients(loss: Tensor, variables: readonly Variable[]): GradientResult {
    this.assertLive('gradients');
    if (loss.size !== 1) throw new Error(`the loss must be a scalar, got shape [${loss.shape}]`);
    const filtered = nodesFromXsToY(this.nodes, variables, loss);
    const reached = new Set<number>();
    // tidy keeps what it returns: the requested variables' gradients, keyed by position.
    const values = tf.tidy(() => {
      const accumulated = new Map<number, Tensor>([[loss.id, tf.onesLike(loss)]]);
      backpropagate(accumulated, filtered);
      for (const id of accumulated.keys()) reached.add(id);
      const kept: Record<string, Tensor> = {};
      variables.forEach((variable, i) => {
        const grad = accumulated.get(variable.id);
        if (grad) kept[i] = grad;
      });
      return kept;
    }) as Record<string, Tensor>;
    const grads = new Map<Variable, Tensor>();
    variables.forEach((variable, i) => {
      const grad = values[i];
      if (grad) grads.set(variable, grad);
    });
    reached.delete(loss.id);
    return { grads, reached };
  }

  /** Bytes of the distinct tensor buffers this tape keeps alive for backward passes. */
  savedBytes(): number {
    const seen = new Set<object>();
    let bytes = 0;
    for (const node of this.nodes) {
      for (const tensor of node.saved ?? []) {
        if (seen.has(tensor.dataId)) continue;
        seen.add(tensor.dataId);
        bytes += tensor.size * bytesPerElement(tensor.dtype);
      }
    }
    return bytes;
  }

  /** How many kernels the tape has recorded. */
  get size(): number {
    return this.nodes.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the saved tensors: the graph can no longer be back-propagated. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const node of this.nodes) {
      for (const tensor of node.saved ?? []) tensor.dispose();
    }
    this.nodes.length = 0;
  }

  private assertLive(operation: string): void {
    if (this.disposed) {
      throw new Error(`GradientTape.${operation}() after dispose(): the graph was freed (retain it to reuse it)`);
    }
  }
}

function bytesPerElement(dtype: string): number {
  return dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'bool' ? 1 : 8;
}
