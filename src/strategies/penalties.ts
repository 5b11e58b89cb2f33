/**
 * The gradient penalties of current GAN recipes, as step helpers a strategy's D step can add to its loss. Each
 * differentiates D (R1 its logit, WGAN-GP its critic's score) for its input with `createGraph`, so that the
 * penalty's own backward (a double backward) reaches D's parameters. The scenario's regularizer
 * (src/strategies/regularization.ts) calls them.
 */
import { tf, type Tensor } from '../tf.js';
import type { StepContext } from './strategy.js';

/**
 * R1 (Mescheder et al. 2018), GAN_stability's `compute_grad2` averaged over the batch, for `real` marked with
 * `requiresGrad_` before D ran on it. GAN_stability's D outputs logits (its loss is BCE with logits), so `d_out` is
 * D's logit: here the pre-sigmoid tensor of the forward that produced `realOutput` (the context's `logitOf`), whose
 * sigmoid the step's D loss reads:
 *
 *     grad_dout = autograd.grad(outputs=d_out.sum(), inputs=x_in, create_graph=True, retain_graph=True)[0]
 *     r1 = grad_dout.pow(2).reshape(batch_size, -1).sum(1).mean()
 *
 * A step adds `gamma / 2 * r1` to D's loss and back-propagates the sum once.
 */
export function r1Penalty({ grad, logitOf }: Pick<StepContext, 'grad' | 'logitOf'>, realOutput: Tensor, real: Tensor): Tensor {
  const [gradient] = grad(tf.sum(logitOf(realOutput)), [real], { createGraph: true, retainGraph: true });
  const batchSize = real.shape[0]!;
  return tf.mean(tf.sum(tf.reshape(tf.square(gradient!), [batchSize, -1]), 1));
}

/**
 * WGAN-GP's penalty (Gulrajani et al. 2017), PyTorch-GAN's `compute_gradient_penalty` (wgan_gp.py), with the
 * interpolation weights `alpha` ([batch, 1, ...], broadcast over a sample) handed in rather than drawn:
 *
 *     interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
 *     d_interpolates = D(interpolates)
 *     gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=ones,
 *                               create_graph=True, retain_graph=True, only_inputs=True)[0]
 *     gradients = gradients.view(gradients.size(0), -1)
 *     gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
 *
 * `real` and `fake` are constants there (`real_imgs.data`, `fake_imgs.data`): pass detached samples.
 */
export function gradientPenalty(
  { grad, requiresGrad_, discriminator }: Pick<StepContext, 'grad' | 'requiresGrad_' | 'discriminator'>,
  real: Tensor,
  fake: Tensor,
  alpha: Tensor,
): Tensor {
  const interpolates = requiresGrad_(tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)));
  const dInterpolates = discriminator(interpolates);
  // PyTorch-GAN's `Tensor(batch, 1).fill_(1.0)`, a constant: tfjs's onesLike would be recorded as a function of D's
  // output (its gradient zeros), and the penalty's backward would go on through D's forward for nothing.
  const ones = tf.ones(dInterpolates.shape);
  const [gradient] = grad(dInterpolates, [interpolates], { gradOutputs: ones, createGraph: true, retainGraph: true });
  const batchSize = real.shape[0]!;
  const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(gradient!, [batchSize, -1])), 1));
  return tf.mean(tf.square(tf.sub(norms, 1)));
}
