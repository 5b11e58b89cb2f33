/**
 * The GAN loss: PyTorch's `nn.BCELoss` on the discriminator's sigmoid output (the post's `adversarial_loss`).
 */
import { tf, type Tensor } from '../tf.js';
import { BCE_GRAD_KERNEL, BCE_KERNEL, GRADIENT_EPSILON, LOG_CLAMP, type BceGradAttrs } from '../kernels/bce.js';
import { hasKernels, runKernel } from '../kernels/kernel.js';

/**
 * PyTorch's `nn.BCELoss()` (mean reduction): the value `-mean(t log p + (1 - t) log(1 - p))` with each log
 * clamped at -100, and PyTorch's own gradient, `(p - t) / max(p (1 - p), 1e-12) / N`, not the gradient of the
 * value's formula. `target` is a constant (labels need no gradient). Where the backend has them, the value and
 * the gradient are one kernel each, as in PyTorch (src/kernels/bce.ts), plus the mean's reduction;
 * elsewhere they are written op by op with the same results.
 */
export function binaryCrossEntropy(prediction: Tensor, target: Tensor): Tensor {
  const fused = hasKernels(BCE_KERNEL, BCE_GRAD_KERNEL);
  const loss = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [p, save] = args as [Tensor, tf.GradSaveFunc];
    // PyTorch's binary_cross_entropy saves its input and its target: the graph holds the label batch too.
    save([p, target]);
    const value = tf.tidy(() => tf.mean(fused ? runKernel(BCE_KERNEL, { p, t: target }) : bceOpByOp(p, target)));
    const gradFunc = (dy: Tensor, saved: Tensor[]) =>
      tf.tidy(() => {
        const [p, t] = saved as [Tensor, Tensor];
        if (fused) {
          const attrs: BceGradAttrs = { count: p.size };
          return runKernel(BCE_GRAD_KERNEL, { dy, p, t }, attrs);
        }
        const denominator = tf.maximum(tf.mul(tf.sub(1, p), p), GRADIENT_EPSILON);
        return tf.mul(tf.div(tf.sub(p, t), denominator), tf.div(dy, p.size));
      });
    return { value, gradFunc };
  });
  return loss(prediction);
}

/** The per-element loss op by op, for backends without the BCE kernels. */
function bceOpByOp(p: Tensor, t: Tensor): Tensor {
  const logP = tf.maximum(tf.log(p), LOG_CLAMP);
  const logNotP = tf.maximum(tf.log(tf.sub(1, p)), LOG_CLAMP);
  return tf.neg(tf.add(tf.mul(t, logP), tf.mul(tf.sub(1, t), logNotP)));
}
