/**
 * `nn.BatchNorm2d` in training mode, as PyTorch runs it: the forward normalises with the batch's own statistics
 * (mean and biased variance per channel, eps 1e-5) and updates the running statistics on every call (momentum
 * 0.1, the unbiased variance), in place and outside autograd. Here the running statistics are a buffer: a tfjs
 * variable that is not a parameter, so no backward pass differentiates it, no optimizer updates it and the graph's
 * version check ignores it (PyTorch 1.13's native_batch_norm mutates its running statistics without bumping
 * their version). Its new value is an output of the forward kernel, assigned to the buffer (no kernel).
 *
 * One forward kernel and one backward kernel, PyTorch's native_batch_norm and native_batch_norm_backward
 * (src/kernels/batch-norm.ts), where the backend has them; elsewhere (tfjs-node) `batchNormComposed`, tfjs's ops
 * one by one with the same values, which is also what the kernels are tested against.
 */
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_KERNEL, type BatchNormAttrs, type BatchNormGradAttrs } from '../kernels/batch-norm.js';
import { hasKernels, runKernel } from '../kernels/kernel.js';
import { tf, type Tensor, type Variable } from '../tf.js';
import { detach } from '../autograd/detach.js';
import { isRecording } from '../autograd/engine.js';

/** PyTorch's BatchNorm2d defaults. */
export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

/** One BatchNorm2d layer's state: its two parameters and its running statistics ([2, C]: mean, then variance). */
export interface BatchNormState {
  gamma: Variable;
  beta: Variable;
  running: Variable;
}

/** What a training-mode forward returns: the output and the running statistics after this batch. */
export interface BatchNormResult {
  y: Tensor;
  running: Tensor;
}

function registerBatchNormGradient(): void {
  if (tf.getGradient(BATCH_NORM_KERNEL) != null) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_KERNEL,
    inputsToSave: ['x', 'gamma'],
    // The batch statistics (save_mean and save_invstd in PyTorch); neither y nor the running statistics.
    outputsToSave: [false, true, false],
    gradFunc: (dys, saved, attrs) => {
      // Only y carries a gradient: the engine fills the other outputs' with zeros, which nothing reads.
      const dy = (Array.isArray(dys) ? dys[0] : dys) as Tensor;
      const [x, gamma, stats] = saved as [Tensor, Tensor, Tensor];
      if (isRecording()) return batchNormGradientComposed(dy, x, gamma, (attrs as unknown as BatchNormAttrs).epsilon);
      const gradAttrs: BatchNormGradAttrs = { epsilon: (attrs as unknown as BatchNormAttrs).epsilon };
      // One kernel computes all three, as native_batch_norm_backward does; those no pass asks for are freed with
      // the backward pass's scope.
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy, x, gamma, stats }, gradAttrs as unknown as tf.NamedAttrMap) as Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
}
registerBatchNormGradient();

/**
 * native_batch_norm_backward in training mode as differentiable tfjs ops, for a pass with `createGraph` (a
 * gradient penalty through BatchNorm): the batch statistics are recomputed from x, so that a second backward
 * reaches x through them as well (the kernel's saved statistics carry no gradient). PyTorch's
 * batchnorm_double_backward differentiates the same function. With N the elements per channel and x̂ the
 * normalised input: dβ = Σ dy, dγ = Σ dy x̂, dx = γ invstd / N (N dy - dβ - x̂ dγ).
 */
function batchNormGradientComposed(dy: Tensor, x: Tensor, gamma: Tensor, epsilon: number) {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / (x.shape[x.shape.length - 1] ?? 1);
  const { mean, variance } = tf.moments(x, axes);
  const invstd = tf.rsqrt(tf.add(variance, epsilon));
  const normalised = tf.mul(tf.sub(x, mean), invstd);
  const dbeta = tf.sum(dy, axes);
  const dgamma = tf.sum(tf.mul(dy, normalised), axes);
  const dx = tf.mul(tf.div(tf.mul(gamma, invstd), n), tf.sub(tf.sub(tf.mul(dy, n), dbeta), tf.mul(normalised, dgamma)));
  return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
}

/**
 * The training-mode forward on an NHWC input: normalised output and new running statistics. The caller assigns
 * `running` to the buffer.
 */
export function batchNorm2d(x: Tensor, { gamma, beta, running }: { gamma: Tensor; beta: Tensor; running: Tensor }, epsilon = BATCH_NORM_EPSILON, momentum = BATCH_NORM_MOMENTUM): BatchNormResult {
  if (!hasKernels(BATCH_NORM_KERNEL, BATCH_NORM_GRAD_KERNEL)) return batchNormComposed(x, gamma, beta, running, epsilon, momentum);
  const attrs: BatchNormAttrs = { epsilon, momentum };
  const [y, , next] = runKernel(BATCH_NORM_KERNEL, { x, gamma, beta, running }, attrs) as unknown as Tensor[];
  return { y: y!, running: next! };
}

/**
 * The same with tfjs's ops one by one: moments over batch, height and width, `(x - mean) rsqrt(var + eps) gamma +
 * beta`, whose gradient tfjs composes through the moments; the running statistics from the detached moments.
 */
export function batchNormComposed(x: Tensor, gamma: Tensor, beta: Tensor, running: Tensor, epsilon = BATCH_NORM_EPSILON, momentum = BATCH_NORM_MOMENTUM): BatchNormResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
    const n = x.size / (x.shape[x.shape.length - 1] ?? 1);
    const batchStatistics = tf.stack([detach(mean), tf.mul(detach(variance), n / (n - 1))]);
    const next = tf.add(tf.mul(running, 1 - momentum), tf.mul(batchStatistics, momentum));
    return { y, running: next };
  });
}
