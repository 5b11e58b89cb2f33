/**
 * Adam as PyTorch computes it, over all of a network's parameters at once (PyTorch's default `foreach`
 * implementation on CUDA): the gradients are concatenated into one vector, the moment updates and the step run
 * as a dozen elementwise kernels on that vector, and the new values are split back into the variables. The
 * arithmetic per element is the same as one tensor at a time; what changes is the kernel count: 12 + 2 concats
 * + one slice per variable per network, where `tf.train.adam` dispatches 14 kernels per variable (a dispatch is
 * what costs on a GPU backend).
 */
import { tf, type Tensor, type Variable } from '../tf.js';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface MultiTensorAdam {
  /** One optimizer step for every variable that has a gradient in `grads` (all of them, here). */
  step(grads: ReadonlyMap<Variable, Tensor>): void;
  /** Steps taken so far. */
  readonly steps: number;
  dispose(): void;
}

/** PyTorch's `torch.optim.Adam(params, lr, betas=(beta1, beta2), eps)`, without weight decay or amsgrad. */
export function createAdam(variables: readonly Variable[], { learningRate, beta1, beta2, epsilon }: AdamOptions): MultiTensorAdam {
  const sizes = variables.map((variable) => variable.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const firstMoment = tf.variable(tf.zeros([total]), false);
  const secondMoment = tf.variable(tf.zeros([total]), false);
  // Constant scalars are made once: a JavaScript number in an op is a fresh upload every time.
  const constants = tf.tidy(() => ({
    beta1: tf.keep(tf.scalar(beta1)),
    oneMinusBeta1: tf.keep(tf.scalar(1 - beta1)),
    beta2: tf.keep(tf.scalar(beta2)),
    oneMinusBeta2: tf.keep(tf.scalar(1 - beta2)),
    epsilon: tf.keep(tf.scalar(epsilon)),
  }));
  let steps = 0;

  return {
    get steps() {
      return steps;
    },
    step(grads) {
      const ordered = variables.map((variable) => {
        const grad = grads.get(variable);
        if (!grad) throw new Error(`Adam: no gradient for ${variable.name}`);
        return grad;
      });
      steps++;
      const biasCorrection1 = 1 - beta1 ** steps;
      const biasCorrection2 = 1 - beta2 ** steps;
      tf.tidy(() => {
        const grad = tf.concat(ordered.map((g) => tf.reshape(g, [-1])));
        const value = tf.concat(variables.map((v) => tf.reshape(v, [-1])));
        // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
        const m = tf.add(tf.mul(firstMoment, constants.beta1), tf.mul(grad, constants.oneMinusBeta1));
        const v = tf.add(tf.mul(secondMoment, constants.beta2), tf.mul(tf.square(grad), constants.oneMinusBeta2));
        // denom = exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps; param.addcdiv_(exp_avg, denom, -lr / bias_correction1)
        const denominator = tf.add(tf.div(tf.sqrt(v), tf.scalar(Math.sqrt(biasCorrection2))), constants.epsilon);
        const updated = tf.sub(value, tf.mul(tf.div(m, denominator), tf.scalar(learningRate / biasCorrection1)));
        firstMoment.assign(m);
        secondMoment.assign(v);
        const pieces = tf.split(updated, sizes);
        variables.forEach((variable, i) => variable.assign(tf.reshape(pieces[i]!, variable.shape)));
      });
    },
    dispose() {
      tf.dispose([firstMoment, secondMoment, ...Object.values(constants)]);
    },
  };
}
