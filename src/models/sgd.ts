/**
 * Plain gradient descent, PyTorch's `torch.optim.SGD(params, lr)` without momentum, dampening or weight decay:
 * `param -= lr * grad`. The Dirac-GAN (Mescheder et al. 2018) is defined with it. Same `step(grads)` interface
 * as Adam (src/models/adam.ts); per variable one multiply and one subtract (PyTorch's `add_(grad, alpha=-lr)`
 * is one kernel; tfjs has no multiply-add), the rate a scalar uploaded once, not every step.
 */
import { tf, type Tensor, type Variable } from '../tf.js';

export interface SgdOptions {
  learningRate: number;
}

export interface Sgd {
  /** One optimizer step for every variable of the network that has a gradient in `grads` (the others are skipped). */
  step(grads: ReadonlyMap<Variable, Tensor>): void;
  /** Steps taken so far. */
  readonly steps: number;
  dispose(): void;
}

/** PyTorch's `torch.optim.SGD(variables, lr)`. */
export function createSgd(variables: readonly Variable[], { learningRate }: SgdOptions): Sgd {
  const rate = tf.tidy(() => tf.keep(tf.scalar(learningRate)));
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    step(grads) {
      // PyTorch's SGD skips a parameter whose .grad is None (lazy R1's phase leaves D's output bias without one).
      const stepped = variables.flatMap((variable) => {
        const grad = grads.get(variable);
        return grad ? [{ variable, grad }] : [];
      });
      if (stepped.length === 0) return;
      steps++;
      for (const { variable, grad } of stepped) {
        tf.tidy(() => variable.assign(tf.sub(variable, tf.mul(grad, rate))));
      }
    },
    dispose() {
      rate.dispose();
    },
  };
}
