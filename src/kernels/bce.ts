/**
 * PyTorch's `nn.BCELoss` as the kernels PyTorch itself launches: `binary_cross_entropy` (the clamped per-element
 * loss; the mean is a separate reduction, as in PyTorch) and `binary_cross_entropy_backward` (its gradient,
 * already divided by the element count for the mean). Written op by op, tfjs takes about eighteen kernels and
 * five scalar uploads per loss, forward and backward.
 */
import { assertSameShape, flatProgram, allocateOutput, readValues, registerKernel, runKernel, runProgram } from './kernel.js';
import { tf } from '../tf.js';

/** Kernel names, as they appear in profiles and kernel counts. */
export const BCE_KERNEL = 'GanBinaryCrossEntropy';
export const BCE_GRAD_KERNEL = 'GanBinaryCrossEntropyGrad';

/** PyTorch clamps each log term at -100 so that a saturated sigmoid gives a finite loss. */
export const LOG_CLAMP = -100;
/** PyTorch's floor under p(1 - p) in BCELoss's gradient. */
export const GRADIENT_EPSILON = 1e-12;

/** Attributes of BCE_GRAD_KERNEL: the element count that the mean divides by. */
export interface BceGradAttrs {
  count: number;
}

type BceInputs = { p: tf.TensorInfo; t: tf.TensorInfo };
type BceGradInputs = BceInputs & { dy: tf.TensorInfo };

/** The clamped per-element loss, `-(t max(log p, -100) + (1 - t) max(log(1 - p), -100))`. */
function bceElement(p: number, t: number): number {
  return -(t * Math.max(Math.log(p), LOG_CLAMP) + (1 - t) * Math.max(Math.log(1 - p), LOG_CLAMP));
}

/** PyTorch's gradient for one element: `dy (p - t) / max(p (1 - p), 1e-12) / count`. */
function bceGradElement(dy: number, p: number, t: number, count: number): number {
  return (((p - t) / Math.max((1 - p) * p, GRADIENT_EPSILON)) * dy) / count;
}

// WGSL leaves log(0) undefined (no guaranteed -inf), so the clamp tests the argument as well.
const CLAMPED_LOG = (x: string) => `select(max(log(${x}), ${LOG_CLAMP.toFixed(1)}), ${LOG_CLAMP.toFixed(1)}, ${x} <= 0.0)`;

registerKernel(BCE_KERNEL, {
  loop: ({ inputs, backend }) => {
    const { p, t } = inputs as BceInputs;
    assertSameShape(BCE_KERNEL, p, t);
    const { info, values: out } = allocateOutput(backend, p.shape); // before reading: see allocateOutput
    const [pv, tv] = [readValues(backend, p), readValues(backend, t)];
    for (let i = 0; i < out.length; i++) out[i] = bceElement(pv[i]!, tv[i]!);
    return info;
  },
  webgpu: ({ inputs, backend }) => {
    const { p, t } = inputs as BceInputs;
    assertSameShape(BCE_KERNEL, p, t);
    const program = flatProgram('gan_bce', p.shape, ['P', 'T'], {}, `
          let p = getPByOutputIndex(index);
          let t = getTByOutputIndex(index);
          setOutputAtIndex(index, -(t * ${CLAMPED_LOG('p')} + (1.0 - t) * ${CLAMPED_LOG('(1.0 - p)')}));`);
    return runProgram(backend, program, [p, t]);
  },
});

registerKernel(BCE_GRAD_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { dy, p, t } = inputs as BceGradInputs;
    assertSameShape(BCE_GRAD_KERNEL, p, t);
    const { count } = attrs as unknown as BceGradAttrs;
    const { info, values: out } = allocateOutput(backend, p.shape); // before reading: see allocateOutput
    const dyValue = readValues(backend, dy)[0]!;
    const [pv, tv] = [readValues(backend, p), readValues(backend, t)];
    for (let i = 0; i < out.length; i++) out[i] = bceGradElement(dyValue, pv[i]!, tv[i]!, count);
    return info;
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { dy, p, t } = inputs as BceGradInputs;
    assertSameShape(BCE_GRAD_KERNEL, p, t);
    const { count } = attrs as unknown as BceGradAttrs;
    const program = flatProgram('gan_bce_grad', p.shape, ['Dy', 'P', 'T'], { epsilon: 'f32', count: 'f32' }, `
          let dy = getDyByOutputIndex(index);
          let p = getPByOutputIndex(index);
          let t = getTByOutputIndex(index);
          setOutputAtIndex(index, ((p - t) / max((1.0 - p) * p, uniforms.epsilon)) * dy / uniforms.count);`);
    return runProgram(backend, program, [dy, p, t], { epsilon: GRADIENT_EPSILON, count });
  },
});

/**
 * The gradient kernel's own gradient, for a double backward through the loss (`create_graph`): PyTorch's
 * `binary_cross_entropy_double_backward` for p, `(p^2 - 2pt + t) / ((p + eps)^2 (1 - p + eps)^2) dy g / N`, and
 * `binary_cross_entropy_double_backward_grad_output` for dy, the sum of `g (p - t) / max(p (1 - p), eps) / N`
 * (the mean's reduction), i.e. this kernel on g with dy 1. Labels need no gradient: none for t.
 */
if (tf.getGradient(BCE_GRAD_KERNEL) == null) {
  tf.registerGradient({
    kernelName: BCE_GRAD_KERNEL,
    inputsToSave: ['dy', 'p', 't'],
    gradFunc: (g, saved, attrs) => {
      const [dy, p, t] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const gradient = g as tf.Tensor;
      const { count } = attrs as unknown as BceGradAttrs;
      return {
        dy: () => tf.reshape(tf.sum(runKernel(BCE_GRAD_KERNEL, { dy: tf.onesLike(dy), p, t: t }, { count } satisfies BceGradAttrs).mul(gradient)), dy.shape),
        p: () => {
          const numerator = tf.add(tf.sub(tf.square(p), tf.mul(tf.mul(p, t), 2)), t);
          const denominator = tf.mul(tf.square(tf.add(p, GRADIENT_EPSILON)), tf.square(tf.add(tf.sub(1, p), GRADIENT_EPSILON)));
          return tf.div(tf.mul(tf.div(numerator, denominator), tf.mul(gradient, dy)), count);
        },
      };
    },
  });
}
