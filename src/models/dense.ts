/**
 * One dense layer as one kernel: `_FusedMatMul` computes x·W + b and the activation in a single pass (one GPU
 * dispatch instead of three). TensorFlow.js only runs that kernel under a gradient tape for linear layers,
 * through `customGrad`, which computes every input's gradient eagerly; that would add an input gradient PyTorch
 * never computes (the first layer's, towards data that needs none). So the kernel gets a registered gradient
 * here whose input gradients are lazy, like every built-in kernel's: the tape asks only for what it needs.
 */
import { tf, type Tensor } from '../tf.js';
import type { Activation } from '../scenario/schema.js';
import { ACTIVATION_GRAD_KERNEL, type ActivationGradAttrs, type GradActivation } from '../kernels/activation-grad.js';
import { BATCH_SUM_KERNEL } from '../kernels/batch-sum.js';
import { hasKernels, runKernel } from '../kernels/kernel.js';

const LEAKY_RELU_SLOPE = 0.2;

/** The fused kernel's activation names; tanh has no fused form and runs as its own kernel after it. */
const FUSED: Partial<Record<Activation, string>> = {
  linear: 'linear',
  relu: 'relu',
  leakyRelu: 'leakyrelu',
  sigmoid: 'sigmoid',
};

interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation: string;
  leakyreluAlpha: number;
}

/**
 * dL/d(pre-activation) from dL/dy and the layer's output y: one kernel, as in PyTorch, where the backend has it
 * (src/kernels/activation-grad.ts); elsewhere composed from tfjs ops with the same values.
 */
function activationGradient(dy: Tensor, y: Tensor, activation: string, alpha: number): Tensor {
  if (activation === 'linear') return dy;
  if (hasKernels(ACTIVATION_GRAD_KERNEL)) {
    const attrs: ActivationGradAttrs = { activation: activation as GradActivation, alpha };
    return runKernel(ACTIVATION_GRAD_KERNEL, { dy, y }, attrs);
  }
  switch (activation) {
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'leakyrelu':
      // dy * (y > 0 ? 1 : alpha): y > 0 exactly where the input was > 0 (the slope is positive), as LeakyRelu's
      // own gradient tests x. Two kernels (Step takes alpha as an attribute) where tfjs's LeakyRelu gradient,
      // where(greater(x, 0), dy, mul(dy, alpha)), runs three and uploads two scalars; the values are identical.
      return tf.mul(dy, tf.step(y, alpha));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh':
      return tf.mul(tf.sub(1, tf.square(y)), dy);
    default:
      throw new Error(`no gradient for fused activation '${activation}'`);
  }
}

/**
 * tanh, which the fused kernel lacks, as its own kernel after it; its gradient is the one activation-gradient
 * kernel where the backend has it (tfjs's Tanh gradient composes three kernels and uploads a scalar).
 */
function tanh(x: Tensor): Tensor {
  if (!hasKernels(ACTIVATION_GRAD_KERNEL)) return tf.tanh(x);
  const withGradient = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [Tensor, tf.GradSaveFunc];
    const y = tf.tanh(input);
    save([y]);
    return { value: y, gradFunc: (dy: Tensor, [saved]: Tensor[]) => activationGradient(dy, saved!, 'tanh', 0) };
  });
  return withGradient(x);
}

/**
 * dL/dx = dL/d(pre)·Wᵀ, the input gradient's product: one BatchMatMul with transposeB, as PyTorch's `mm` on a
 * transposed view. On wasm that form is fast only through src/kernels/wasm-transposed-matmul.ts.
 * src/measure/calibration-workloads.ts times this very function.
 */
export function inputGradientProduct(dPre: Tensor, kernel: Tensor): Tensor {
  return tf.matMul(dPre, kernel, false, true);
}

/** dL/dW = xᵀ·dL/d(pre), the weight gradient's product: one BatchMatMul with transposeA (see inputGradientProduct). */
export function weightGradientProduct(input: Tensor, dPre: Tensor): Tensor {
  return tf.matMul(input, dPre, true, false);
}

function registerFusedMatMulGradient(): void {
  if (tf.getGradient('_FusedMatMul') != null) return;
  tf.registerGradient({
    kernelName: '_FusedMatMul',
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved as [Tensor, Tensor, Tensor];
      const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as FusedMatMulAttrs;
      if (transposeA || transposeB) throw new Error('the dense layer never transposes');
      const dPre = activationGradient(dy as Tensor, y, activation, leakyreluAlpha);
      return {
        a: () => inputGradientProduct(dPre, b),
        b: () => weightGradientProduct(a, dPre),
        // grad.sum(0): one kernel where the backend has it (src/kernels/batch-sum.ts), tfjs's Sum elsewhere.
        bias: () =>
          hasKernels(BATCH_SUM_KERNEL)
            ? runKernel(BATCH_SUM_KERNEL, { x: tf.reshape(dPre, dPre.shape.slice(-2)) })
            : tf.sum(dPre, [0, 1]),
      };
    },
  });
}
registerFusedMatMulGradient();

/**
 * `activation(x·kernel + bias)` for a `[batch, in]` input, `[in, out]` kernel and `[out]` bias, or
 * `activation(x·kernel)` with a null bias (the kernel then has no bias input, so no bias gradient is asked for).
 */
export function dense(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: Activation): Tensor {
  return tf.tidy(() => {
    const fused = FUSED[activation] ?? 'linear';
    const [batch, inputSize] = x.shape as [number, number];
    const outputSize = kernel.shape[1]!;
    const attrs: FusedMatMulAttrs = { transposeA: false, transposeB: false, activation: fused, leakyreluAlpha: LEAKY_RELU_SLOPE };
    const product = tf.engine().runKernel(
      '_FusedMatMul',
      {
        a: tf.reshape(x, [1, batch, inputSize]),
        b: tf.reshape(kernel, [1, inputSize, outputSize]),
        ...(bias ? { bias } : {}),
      },
      attrs as unknown as tf.NamedAttrMap,
    ) as Tensor;
    const output = tf.reshape(product, [batch, outputSize]);
    return activation === 'tanh' ? tanh(output) : output;
  });
}
