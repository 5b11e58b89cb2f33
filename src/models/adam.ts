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
  /** One optimizer step for every variable of the network that has a gradient in `grads` (the others are skipped). */
  step(grads: ReadonlyMap<Variable, Tensor>): void;
  /** Steps taken so far (that stepped at least one variable). */
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
  /** Each variable's steps (PyTorch's per-parameter `state['step']`): a variable without a gradient is not stepped. */
  const parameterSteps = variables.map(() => 0);

  /**
   * The update of one parameter tensor: its new values and moments. `assign`, where given, stores the new moments
   * as soon as they exist, before the update is computed: the old moments are freed there (PyTorch updates them in
   * place), not held to the end of the update; without it the caller stores them.
   */
  const update = (value: Tensor, grad: Tensor, { m, v }: { m: Tensor; v: Tensor }, scalars: StepScalars, assign?: (m: Tensor, v: Tensor) => void) => {
    // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    // denom = exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps; param.addcdiv_(exp_avg, denom, value=-step_size)
    if (scalars.fused) {
      const first: AdamMomentAttrs = { beta: beta1, squareGradient: false };
      const second: AdamMomentAttrs = { beta: beta2, squareGradient: true };
      const newM = runKernel(ADAM_MOMENT_KERNEL, { moment: m, grad }, first);
      const newV = runKernel(ADAM_MOMENT_KERNEL, { moment: v, grad }, second);
      assign?.(newM, newV);
      const attrs: AdamUpdateAttrs = { stepSize: scalars.stepSize, sqrtBiasCorrection2: scalars.sqrtBiasCorrection2, epsilon };
      return { value: runKernel(ADAM_UPDATE_KERNEL, { param: value, m: newM, v: newV }, attrs), m: newM, v: newV };
    }
    const newM = tf.add(tf.mul(m, constants.beta1), tf.mul(grad, constants.oneMinusBeta1));
    const newV = tf.add(tf.mul(v, constants.beta2), tf.mul(tf.square(grad), constants.oneMinusBeta2));
    assign?.(newM, newV);
    const denominator = tf.add(tf.div(tf.sqrt(newV), scalars.sqrtBiasCorrection2), constants.epsilon);
    return { value: tf.sub(value, tf.mul(tf.div(newM, denominator), scalars.stepSize)), m: newM, v: newV };
  };
  /** The bias corrections of a parameter's `step`-th step, made once per optimizer step in its outer scope. */
  const scalarCache = new Map<number, StepScalars>();
  const scalarsAt = (step: number): StepScalars => {
    const cached = scalarCache.get(step);
    if (cached) return cached;
    const [sqrtBiasCorrection2, stepSize] = [Math.sqrt(1 - beta2 ** step), learningRate / (1 - beta1 ** step)];
    const scalars: StepScalars = hasKernels(ADAM_MOMENT_KERNEL, ADAM_UPDATE_KERNEL)
      ? { fused: true, sqrtBiasCorrection2, stepSize }
      : { fused: false, sqrtBiasCorrection2: tf.scalar(sqrtBiasCorrection2), stepSize: tf.scalar(stepSize) };
    scalarCache.set(step, scalars);
    return scalars;
  };
  const flat = (tensor: Tensor) => tf.reshape(tensor, [-1]);
  /** Where each variable's elements start in foreach's flat moments. */
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));

  /**
   * foreach over the variables `indices` (consecutive in the flat moments, all at step `step`): one update of their
   * concatenation. With every variable it is the whole flat vector; otherwise the moments' slice.
   */
  const foreachRun = (indices: readonly number[], grads: readonly Tensor[], step: number) => {
    const [m, v] = [moments[0]!.m, moments[0]!.v];
    const whole = indices.length === variables.length;
    const start = offsets[indices[0]!]!;
    const length = indices.reduce((total, i) => total + sizes[i]!, 0);
    const run = indices.map((i) => variables[i]!);
    // The whole vector's moments are stored as soon as they exist; a run's are reassembled by the caller.
    const assignWhole = (newM: Tensor, newV: Tensor) => {
      m.assign(newM);
      v.assign(newV);
    };
    const updated = update(
      tf.concat(run.map(flat)),
      tf.concat(indices.map((i) => flat(grads[i]!))),
      whole ? { m, v } : { m: tf.slice(m, start, length), v: tf.slice(v, start, length) },
      scalarsAt(step),
      whole ? assignWhole : undefined,
    );
    const pieces = tf.split(updated.value, indices.map((i) => sizes[i]!));
    run.forEach((variable, j) => variable.assign(tf.reshape(pieces[j]!, variable.shape)));
    return { start, length, m: updated.m, v: updated.v };
  };

  return {
    implementation,
    get steps() {
      return steps;
    },
    step(grads) {
      // PyTorch's Adam skips a parameter whose .grad is None (no update, no moment decay) and counts steps per
      // parameter: lazy R1's phase leaves D's output bias without a gradient (the penalty does not depend on it).
      const ordered = variables.map((variable) => grads.get(variable));
      const stepped = variables.flatMap((_, i) => (ordered[i] ? [i] : []));
      if (stepped.length === 0) return;
      steps++;
      for (const i of stepped) parameterSteps[i]!++;
      scalarCache.clear();
      tf.tidy(() => {
        for (const i of stepped) scalarsAt(parameterSteps[i]!); // in this scope, before the per-variable scopes
        if (implementation === 'foreach') {
          // Runs of consecutive variables with a gradient at one step count: the whole vector where every variable
          // has a gradient and all are at the same step (every step but after a skip); the moments' slices otherwise.
          const runs: number[][] = [];
          for (const i of stepped) {
            const run = runs.at(-1);
            const previous = run?.at(-1);
            if (run && previous === i - 1 && parameterSteps[previous] === parameterSteps[i]) run.push(i);
            else runs.push([i]);
          }
          const done = runs.map((run) => foreachRun(run, ordered as Tensor[], parameterSteps[run[0]!]!));
          if (done.length === 1 && done[0]!.length === sizes.reduce((a, b) => a + b, 0)) return; // stored by foreachRun
          // Reassemble the flat moments: the updated runs, the skipped variables' moments as they were.
          for (const key of ['m', 'v'] as const) {
            const whole = moments[0]![key];
            const parts: Tensor[] = [];
            let at = 0;
            for (const run of done) {
              if (run.start > at) parts.push(tf.slice(whole, at, run.start - at));
              parts.push(run[key]);
              at = run.start + run.length;
            }
            if (at < whole.size) parts.push(tf.slice(whole, at, whole.size - at));
            whole.assign(tf.concat(parts));
          }
        } else {
          // A scope per variable frees its temporaries before the next one's (PyTorch updates in place).
          for (const i of stepped) {
            tf.tidy(() => {
              const store = (m: Tensor, v: Tensor) => {
                moments[i]!.m.assign(m);
                moments[i]!.v.assign(v);
              };
              variables[i]!.assign(update(variables[i]!, ordered[i]!, moments[i]!, scalarsAt(parameterSteps[i]!), store).value);
            });
          }
        }
      });
    },
    dispose() {
      tf.dispose([...moments.flatMap(({ m, v }) => [m, v]), ...Object.values(constants)]);
    },
  };
}
