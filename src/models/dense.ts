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
import { hasKernels, registerKernel, runKernel } from '../kernels/kernel.js';
import { activate, LEAKY_RELU_SLOPE } from './activation.js';

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
 * dL/dx = dL/d(pre)·Wᵀ, the input gradient's product: one BatchMatMul with transposeB, as PyTorch's `mm` on a
 * transposed view. On wasm that form is fast only through src/kernels/wasm-transposed-matmul.ts.
 * src/session/tfjs-calibration.ts times this very function.
 */
export function inputGradientProduct(dPre: Tensor, kernel: Tensor): Tensor {
  return tf.matMul(dPre, kernel, false, true);
}

/** dL/dW = xᵀ·dL/d(pre), the weight gradient's product: one BatchMatMul with transposeA (see inputGradientProduct). */
export function weightGradientProduct(input: Tensor, dPre: Tensor): Tensor {
  return tf.matMul(input, dPre, true, false);
}

/**
 * x·W + b without an activation: tfjs's `_FusedMatMul` (activation 'linear') under a name of its own, whose
 * gradient saves x and W only. PyTorch's `addmm` saves its two matrices and never its output; `_FusedMatMul`'s
 * gradient also saves the output, for the activation's derivative, which a linear layer does not have. Under the
 * fused kernel a linear layer's graph kept one more activation than PyTorch's (the pre-tanh output of G's last
 * layer: 256 of the 720 floats per sample small-d's G graph held). The same kernel function runs, so values,
 * FLOPs and GPU dispatches are the fused kernel's.
 */
export const LINEAR_KERNEL = 'GanLinear';

const linearKernel: tf.KernelFunc = (args) => {
  const fused = tf.getKernel('_FusedMatMul', tf.getBackend());
  if (!fused) throw new Error(`${LINEAR_KERNEL}: the ${tf.getBackend()} backend has no _FusedMatMul`);
  return fused.kernelFunc(args);
};

/** dL/da, dL/db and dL/dbias of a dense layer from dL/d(pre-activation) (lazy: the tape asks only for what it needs). */
function denseGradients(dPre: Tensor, a: Tensor, b: Tensor) {
  return {
    a: () => inputGradientProduct(dPre, b),
    b: () => weightGradientProduct(a, dPre),
    // grad.sum(0): one kernel where the backend has it (src/kernels/batch-sum.ts), tfjs's Sum elsewhere.
    bias: () =>
      hasKernels(BATCH_SUM_KERNEL)
        ? runKernel(BATCH_SUM_KERNEL, { x: tf.reshape(dPre, dPre.shape.slice(-2)) })
        : tf.sum(dPre, [0, 1]),
  };
}

function registerDenseGradients(): void {
  if (tf.getGradient('_FusedMatMul') == null) {
    tf.registerGradient({
      kernelName: '_FusedMatMul',
      inputsToSave: ['a', 'b'],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [a, b, y] = saved as [Tensor, Tensor, Tensor];
        const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as FusedMatMulAttrs;
        if (transposeA || transposeB) throw new Error('the dense layer never transposes');
        return denseGradients(activationGradient(dy as Tensor, y, activation, leakyreluAlpha), a, b);
      },
    });
  }
  registerKernel(LINEAR_KERNEL, { loop: linearKernel, webgpu: linearKernel });
  if (tf.getGradient(LINEAR_KERNEL) == null) {
    tf.registerGradient({
      kernelName: LINEAR_KERNEL,
      inputsToSave: ['a', 'b'],
      outputsToSave: [false],
      gradFunc: (dy, saved) => {
        const [a, b] = saved as [Tensor, Tensor];
        return denseGradients(dy as Tensor, a, b);
      },
    });
  }
}
registerDenseGradients();

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
    // A linear layer (tanh's too, which runs after it) as GanLinear where the backend has it, else the fused kernel.
    const kernelName = fused === 'linear' && hasKernels(LINEAR_KERNEL) ? LINEAR_KERNEL : '_FusedMatMul';
    const product = tf.engine().runKernel(
      kernelName,
      {
        a: tf.reshape(x, [1, batch, inputSize]),
        b: tf.reshape(kernel, [1, inputSize, outputSize]),
        ...(bias ? { bias } : {}),
      },
      attrs as unknown as tf.NamedAttrMap,
    ) as Tensor;
    const output = tf.reshape(product, [batch, outputSize]);
    // tanh, which the fused kernel lacks, as its own kernel after it (its gradient the one activation-gradient kernel).
    return activation === 'tanh' ? activate(output, 'tanh') : output;
  });
}
