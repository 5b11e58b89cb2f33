/**
 * A trainable parameter as PyTorch's autograd sees one: a leaf that requires a gradient, its `.grad`, and a
 * version counter that every assignment (an optimizer step) bumps, so that a backward pass can tell when a value
 * it saved has been overwritten since.
 */
import type { Tensor, Variable } from '../tf.js';

/** Assignments to any parameter so far: lets a graph cache which buffer belongs to which parameter. */
let assignments = 0;

/** How many parameter assignments have happened in this process (a cache key, not a measurement). */
export function parameterAssignments(): number {
  return assignments;
}

export class Parameter {
  /** PyTorch's `requires_grad`: `backward()` reaches only parameters that require a gradient. */
  requiresGrad = true;
  private currentGrad: Tensor | null = null;
  private currentVersion = 1;

  /**
   * Wraps `variable`; from now on its `assign` bumps the version. The version starts at 1: PyTorch's own layers
   * initialise their weights in place, so a fresh `nn.Linear` weight is at version 1 when first used, and the
   * error messages then give PyTorch's numbers.
   */
  constructor(
    readonly variable: Variable,
    /** How errors and reports name it, e.g. `D/dense1/kernel`. */
    readonly name: string,
  ) {
    const assign = variable.assign.bind(variable);
    variable.assign = (value: Tensor) => {
      assign(value);
      this.currentVersion++;
      assignments++;
    };
  }

  /**
   * PyTorch's `.grad`: the gradient accumulated by backward passes since it was last set to None, or null. It
   * outlives the step that computed it, as PyTorch's does (the next backward adds to it unless `zero_grad()` ran
   * first). Replacing it frees the previous tensor, as dropping PyTorch's last reference to it would; to keep
   * it, take it out first with `takeGrad()`.
   */
  get grad(): Tensor | null {
    return this.currentGrad;
  }

  set grad(value: Tensor | null) {
    if (this.currentGrad && this.currentGrad !== value) this.currentGrad.dispose();
    this.currentGrad = value;
  }

  /** `g = p.grad; p.grad = None` while `g` is still held: returns the gradient and leaves `.grad` empty. */
  takeGrad(): Tensor | null {
    const grad = this.currentGrad;
    this.currentGrad = null;
    return grad;
  }

  /** PyTorch's `_version`: how many times the value has been written. */
  get version(): number {
    return this.currentVersion;
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  get size(): number {
    return this.variable.size;
  }
}
