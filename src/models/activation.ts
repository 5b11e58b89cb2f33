/**
 * An activation as its own layer (after a convolution or a BatchNorm, where nothing fuses it): tfjs's own forward
 * kernel (Relu, LeakyRelu, Sigmoid, Tanh), and for its backward the one activation-gradient kernel PyTorch also
 * launches (src/kernels/activation-grad.ts: `threshold_backward`, `leaky_relu_backward`, ...) where the backend
 * has it, read from the output: what PyTorch saves for Sigmoid, Tanh and the in-place ReLU and LeakyReLU that
 * DCGAN and PyTorch-GAN use (the worker builds them in place too), so the graph holds what PyTorch's holds.
 * tfjs's own gradients compose two or three kernels and upload scalars (LeakyRelu's: greater, where, mul).
 * Elsewhere (tfjs-node) tfjs's gradients run.
 */
import { ACTIVATION_GRAD_KERNEL, type ActivationGradAttrs, type GradActivation } from '../kernels/activation-grad.js';
import { hasKernels, runKernel } from '../kernels/kernel.js';
import type { Activation } from '../scenario/schema.js';
import { tf, type Tensor } from '../tf.js';

/** nn.LeakyReLU's slope in every network here (PyTorch-GAN's and DCGAN's 0.2). */
export const LEAKY_RELU_SLOPE = 0.2;

const FORWARD: Record<Exclude<Activation, 'linear'>, { forward: (x: Tensor) => Tensor; gradient: GradActivation }> = {
  relu: { forward: (x) => tf.relu(x), gradient: 'relu' },
  leakyRelu: { forward: (x) => tf.leakyRelu(x, LEAKY_RELU_SLOPE), gradient: 'leakyrelu' },
  sigmoid: { forward: (x) => tf.sigmoid(x), gradient: 'sigmoid' },
  tanh: { forward: (x) => tf.tanh(x), gradient: 'tanh' },
};

/** `activation(x)`; 'linear' returns x itself (no kernel, as PyTorch adds no module). */
export function activate(x: Tensor, activation: Activation): Tensor {
  if (activation === 'linear') return x;
  const { forward, gradient } = FORWARD[activation];
  if (!hasKernels(ACTIVATION_GRAD_KERNEL)) return forward(x);
  const withGradient = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [Tensor, tf.GradSaveFunc];
    const y = forward(input);
    save([y]);
    const attrs: ActivationGradAttrs = { activation: gradient, alpha: LEAKY_RELU_SLOPE };
    return { value: y, gradFunc: (dy: Tensor, [saved]: Tensor[]) => runKernel(ACTIVATION_GRAD_KERNEL, { dy, y: saved! }, attrs) };
  });
  return withGradient(x);
}
