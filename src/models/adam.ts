/**
 * Adam as PyTorch computes it (`torch.optim.Adam`, no weight decay, no amsgrad), in PyTorch's two
 * implementations, chosen as PyTorch chooses by default:
 * - 'foreach' on GPU backends (PyTorch's default for CUDA tensors): the gradients of a whole network are
 *   concatenated and the update runs as a dozen elementwise kernels on one vector, then is split back into the
 *   variables: 12 + 2 concats + one slice per variable per network, where a kernel per variable per operation
 *   would dispatch 12 per variable, and a dispatch is what costs on a GPU;
 * - 'for-loop' on CPU backends (PyTorch's default for CPU tensors): the same operations variable by variable,
 *   which spares the concatenation copies that cost more than they save where a kernel launch is cheap.
 * The arithmetic per element is identical in both. Where the backend has them (src/kernels/adam.ts), each update
 * is three kernels (the two moments and the parameter) instead of twelve composed tfjs ops.
 */
import { tf, type Tensor, type Variable } from '../tf.js';
import { ADAM_MOMENT_KERNEL, ADAM_UPDATE_KERNEL, type AdamMomentAttrs, type AdamUpdateAttrs } from '../kernels/adam.js';
import { hasKernels, runKernel } from '../kernels/kernel.js';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export type AdamImplementation = 'foreach' | 'for-loop';

export interface Adam {
  readonly implementation: AdamImplementation;
  /** One optimizer step for every variable of the network; `grads` must hold a gradient for each. */
  step(grads: ReadonlyMap<Variable, Tensor>): void;
  /** Steps taken so far. */
  readonly steps: number;
  dispose(): void;
}

interface Moments {
  m: Variable;
  v: Variable;
}

/**
 * The step-dependent scalars: numbers for the kernels' uniforms, or tensors for the composed ops (made once per
 * step, in the step's outer scope, so that every variable's update can use them).
 */
type StepScalars =
  | { fused: true; sqrtBiasCorrection2: number; stepSize: number }
  | { fused: false; sqrtBiasCorrection2: Tensor; stepSize: Tensor };

/** PyTorch's `torch.optim.Adam(variables, lr, betas=(beta1, beta2), eps)`. */
export function createAdam(
  variables: readonly Variable[],
  { learningRate, beta1, beta2, epsilon }: AdamOptions,
  implementation: AdamImplementation = 'for-loop',
): Adam {
  const sizes = variables.map((variable) => variable.size);
  const zeros = (shape: number[]): Moments => ({
    m: tf.variable(tf.zeros(shape), false),
    v: tf.variable(tf.zeros(shape), false),
  });
  // One flat pair of moments for foreach, one pair per variable (in its shape) for for-loop.
  const moments =
    implementation === 'foreach'
      ? [zeros([sizes.reduce((a, b) => a + b, 0)])]
      : variables.map((variable) => zeros(variable.shape));
  // Constant scalars for the composed ops are made once: a JavaScript number in an op is a fresh upload every time.
  const constants = tf.tidy(() => ({
    beta1: tf.keep(tf.scalar(beta1)),
    oneMinusBeta1: tf.keep(tf.scalar(1 - beta1)),
    beta2: tf.keep(tf.scalar(beta2)),
    oneMinusBeta2: tf.keep(tf.scalar(1 - beta2)),
    epsilon: tf.keep(tf.scalar(epsilon)),
  }));
  let steps = 0;

  /** The update of one parameter tensor: returns its new values and assigns the new moments. */
  const update = (value: Tensor, grad: Tensor, { m, v }: Moments, scalars: StepScalars) => {
    // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    // denom = exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps; param.addcdiv_(exp_avg, denom, value=-step_size)
    if (scalars.fused) {
      const first: AdamMomentAttrs = { beta: beta1, squareGradient: false };
      const second: AdamMomentAttrs = { beta: beta2, squareGradient: true };
      const newM = runKernel(ADAM_MOMENT_KERNEL, { moment: m, grad }, first);
      const newV = runKernel(ADAM_MOMENT_KERNEL, { moment: v, grad }, second);
      m.assign(newM);
      v.assign(newV);
      const attrs: AdamUpdateAttrs = { stepSize: scalars.stepSize, sqrtBiasCorrection2: scalars.sqrtBiasCorrection2, epsilon };
      return runKernel(ADAM_UPDATE_KERNEL, { param: value, m: newM, v: newV }, attrs);
    }
    const newM = tf.add(tf.mul(m, constants.beta1), tf.mul(grad, constants.oneMinusBeta1));
    const newV = tf.add(tf.mul(v, constants.beta2), tf.mul(tf.square(grad), constants.oneMinusBeta2));
    const denominator = tf.add(tf.div(tf.sqrt(newV), scalars.sqrtBiasCorrection2), constants.epsilon);
    m.assign(newM);
    v.assign(newV);
    return tf.sub(value, tf.mul(tf.div(newM, denominator), scalars.stepSize));
  };

  return {
    implementation,
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
      tf.tidy(() => {
        const [sqrtBiasCorrection2, stepSize] = [Math.sqrt(1 - beta2 ** steps), learningRate / (1 - beta1 ** steps)];
        const scalars: StepScalars = hasKernels(ADAM_MOMENT_KERNEL, ADAM_UPDATE_KERNEL)
          ? { fused: true, sqrtBiasCorrection2, stepSize }
          : { fused: false, sqrtBiasCorrection2: tf.scalar(sqrtBiasCorrection2), stepSize: tf.scalar(stepSize) };
        const flat = (tensor: Tensor) => tf.reshape(tensor, [-1]);
        if (implementation === 'foreach') {
          const updated = update(
            tf.concat(variables.map(flat)),
            tf.concat(ordered.map(flat)),
            moments[0]!,
            scalars,
          );
          const pieces = tf.split(updated, sizes);
          variables.forEach((variable, i) => variable.assign(tf.reshape(pieces[i]!, variable.shape)));
        } else {
          // A scope per variable frees its temporaries before the next one's (PyTorch updates in place).
          variables.forEach((variable, i) => {
            tf.tidy(() => variable.assign(update(variable, ordered[i]!, moments[i]!, scalars)));
          });
        }
      });
    },
    dispose() {
      tf.dispose([...moments.flatMap(({ m, v }) => [m, v]), ...Object.values(constants)]);
    },
  };
}
