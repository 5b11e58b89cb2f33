/**
 * One dense layer as one kernel: `_FusedMatMul` computes x·W + b and the activation in a single pass (one GPU
 * dispatch instead of three). TensorFlow.js only runs that kernel under a gradient tape for linear layers,
 * through `customGrad`, which computes every input's gradient eagerly; that would add an input gradient PyTorch
 * never computes (the first layer's, towards data that needs none). So the kernel gets a registered gradient
 * here whose input gradients are lazy, like every built-in kernel's: the tape asks only for what it needs.
 */
import { tf, type Tensor } from '../tf.js';
import type { Activation } from '../scenario/schema.js';

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

/** dL/d(pre-activation) from dL/dy and the layer's output y, for the activations FUSED lists. */
function activationGradient(dy: Tensor, y: Tensor, activation: string, alpha: number): Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'leakyrelu':
      // dy * (y > 0 ? 1 : alpha): y > 0 exactly where the input was > 0 (the slope is positive), as LeakyRelu's
      // own gradient tests x. Two kernels (Step takes alpha as an attribute) where tfjs's LeakyRelu gradient,
      // where(greater(x, 0), dy, mul(dy, alpha)), runs three and uploads two scalars; the values are identical.
      return tf.mul(dy, tf.step(y, alpha));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    default:
      throw new Error(`no gradient for fused activation '${activation}'`);
  }
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
        a: () => tf.matMul(dPre, b, false, true),
        b: () => tf.matMul(a, dPre, true, false),
        bias: () => tf.sum(dPre, [0, 1]),
      };
    },
  });
}
registerFusedMatMulGradient();

/** `activation(x·kernel + bias)` for a `[batch, in]` input, `[in, out]` kernel and `[out]` bias. */
export function dense(x: Tensor, kernel: Tensor, bias: Tensor, activation: Activation): Tensor {
  return tf.tidy(() => {
    const fused = FUSED[activation] ?? 'linear';
    const [batch, inputSize] = x.shape as [number, number];
    const outputSize = kernel.shape[1]!;
    const attrs: FusedMatMulAttrs = { transposeA: false, transposeB: false, activation: fused, leakyreluAlpha: LEAKY_RELU_SLOPE };
    const product = tf.engine().runKernel(
      '_FusedMatMul',
      { a: tf.reshape(x, [1, batch, inputSize]), b: tf.reshape(kernel, [1, inputSize, outputSize]), bias },
      attrs as unknown as tf.NamedAttrMap,
    ) as Tensor;
    const output = tf.reshape(product, [batch, outputSize]);
    return activation === 'tanh' ? tf.tanh(output) : output;
  });
}
