/**
 * The GAN losses: PyTorch's `nn.BCELoss` on the discriminator's sigmoid output, and the post's d_loss and g_loss.
 */
import { tf, type Tensor } from '../tf.js';
import type { Batch } from '../strategies/strategy.js';

/** PyTorch clamps each log term at -100 so that a saturated sigmoid gives a finite loss. */
const LOG_CLAMP = -100;
/** PyTorch's floor under p(1 - p) in BCELoss's gradient. */
const GRADIENT_EPSILON = 1e-12;

/**
 * PyTorch's `nn.BCELoss()` (mean reduction): the value `-mean(t log p + (1 - t) log(1 - p))` with each log
 * clamped at -100, and PyTorch's own gradient, `(p - t) / max(p (1 - p), 1e-12) / N`, which is one fused
 * formula where differentiating the value op by op would dispatch three times as many kernels. `target` is a
 * constant (labels need no gradient).
 */
export function binaryCrossEntropy(prediction: Tensor, target: Tensor): Tensor {
  const loss = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [p, save] = args as [Tensor, tf.GradSaveFunc];
    save([p]);
    const value = tf.tidy(() => {
      const logP = tf.maximum(tf.log(p), LOG_CLAMP);
      const logNotP = tf.maximum(tf.log(tf.sub(1, p)), LOG_CLAMP);
      return tf.neg(tf.mean(tf.add(tf.mul(target, logP), tf.mul(tf.sub(1, target), logNotP))));
    });
    const gradFunc = (dy: Tensor, saved: Tensor[]) =>
      tf.tidy(() => {
        const [p] = saved as [Tensor];
        const denominator = tf.maximum(tf.mul(tf.sub(1, p), p), GRADIENT_EPSILON);
        return tf.mul(tf.div(tf.sub(p, target), denominator), tf.div(dy, p.size));
      });
    return { value, gradFunc };
  });
  return loss(prediction);
}

/** The post's `d_loss`: `(bce(D(real), valid) + bce(D(fake), fake)) / 2`. */
export function discriminatorLoss(onReal: Tensor, onFake: Tensor, { realLabels, fakeLabels }: Batch): Tensor {
  return tf.tidy(() => tf.div(tf.add(binaryCrossEntropy(onReal, realLabels), binaryCrossEntropy(onFake, fakeLabels)), 2));
}

/** The post's `g_loss`: `bce(D(G(z)), valid)`. */
export function generatorLoss(onFake: Tensor, { realLabels }: Batch): Tensor {
  return binaryCrossEntropy(onFake, realLabels);
}
