/**
 * An activation's backward pass, dL/d(pre-activation) from dL/dy and the activation's output y, as the one
 * kernel PyTorch launches for it (`threshold_backward`, `leaky_relu_backward`, `sigmoid_backward`,
 * `tanh_backward`). tfjs composes two or three kernels and uploads scalar constants for each. Computed from the
 * output y for every activation: for relu and leakyRelu (positive slope), y > 0 exactly where the input was.
 *
 * The cpu and wasm loops round to float32 after every operation, as the composed tfjs ops in
 * src/models/dense.ts do, so those backends give the same bits either way.
 */
import { assertSameShape, flatProgram, allocateOutput, readValues, registerKernel, runKernel, runProgram } from './kernel.js';
import { tf } from '../tf.js';

export const ACTIVATION_GRAD_KERNEL = 'GanActivationGrad';

/** The activations with a backward kernel, in the fused matmul's spelling (src/models/dense.ts). */
export type GradActivation = 'relu' | 'leakyrelu' | 'sigmoid' | 'tanh';

export interface ActivationGradAttrs {
  activation: GradActivation;
  /** leakyrelu's negative slope (ignored by the others). */
  alpha: number;
}

type Inputs = { dy: tf.TensorInfo; y: tf.TensorInfo };

const f32 = Math.fround;

/** One element, in the composed ops' order and float32 roundings. */
function gradientElement(activation: GradActivation, dy: number, y: number, alpha: number): number {
  switch (activation) {
    case 'relu': // mul(dy, step(y))
      return f32(dy * (Number.isNaN(y) ? NaN : y > 0 ? 1 : 0));
    case 'leakyrelu': // mul(dy, step(y, alpha))
      return f32(dy * (Number.isNaN(y) ? NaN : y > 0 ? 1 : alpha));
    case 'sigmoid': // mul(dy, mul(y, sub(1, y)))
      return f32(dy * f32(y * f32(1 - y)));
    case 'tanh': // tfjs's Tanh gradient: mul(sub(1, square(y)), dy)
      return f32(f32(1 - f32(y * y)) * dy);
  }
}

const WGSL: Record<GradActivation, string> = {
  relu: 'dy * select(0.0, 1.0, y > 0.0)',
  leakyrelu: 'dy * select(uniforms.alpha, 1.0, y > 0.0)',
  sigmoid: 'dy * (y * (1.0 - y))',
  tanh: '(1.0 - y * y) * dy',
};

function checkedAttrs(attrs: unknown): ActivationGradAttrs {
  const { activation, alpha } = attrs as ActivationGradAttrs;
  if (!(activation in WGSL)) throw new Error(`${ACTIVATION_GRAD_KERNEL}: no gradient for activation '${String(activation)}'`);
  return { activation, alpha };
}

registerKernel(ACTIVATION_GRAD_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { dy, y } = inputs as Inputs;
    assertSameShape(ACTIVATION_GRAD_KERNEL, dy, y);
    const { activation, alpha } = checkedAttrs(attrs);
    const [dyv, yv] = [readValues(backend, dy), readValues(backend, y)];
    const slope = f32(alpha);
    const { info, values: out } = allocateOutput(backend, dy.shape); // before reading: see allocateOutput
    for (let i = 0; i < out.length; i++) out[i] = gradientElement(activation, dyv[i]!, yv[i]!, slope);
    return info;
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { dy, y } = inputs as Inputs;
    assertSameShape(ACTIVATION_GRAD_KERNEL, dy, y);
    const { activation, alpha } = checkedAttrs(attrs);
    const program = flatProgram(`gan_activation_grad_${activation}`, dy.shape, ['Dy', 'Y'], { alpha: 'f32' }, `
          let dy = Dy[index];
          let y = Y[index];
          setOutputAtIndex(index, ${WGSL[activation]});`);
    return runProgram(backend, program, [dy, y], { alpha });
  },
});

/**
 * The kernel's own gradient, for a double backward (a gradient penalty's `create_graph`): PyTorch's derivatives of
 * `threshold_backward`, `leaky_relu_backward`, `sigmoid_backward` and `tanh_backward` (derivatives.yaml). For dy,
 * the same kernel on the incoming gradient; for y, zero for relu and leakyRelu (piecewise constant in y),
 * `g dy (1 - 2y)` for sigmoid, `-2 y dy g` for tanh. Only runs while a pass records its own operations.
 */
function yGradient(activation: GradActivation, g: tf.Tensor, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'relu':
    case 'leakyrelu':
      return tf.zerosLike(y);
    case 'sigmoid':
      return tf.mul(tf.mul(g, dy), tf.sub(1, tf.mul(y, 2)));
    case 'tanh':
      return tf.mul(tf.mul(g, dy), tf.mul(y, -2));
  }
}

if (tf.getGradient(ACTIVATION_GRAD_KERNEL) == null) {
  tf.registerGradient({
    kernelName: ACTIVATION_GRAD_KERNEL,
    inputsToSave: ['dy', 'y'],
    gradFunc: (g, saved, attrs) => {
      const [dy, y] = saved as [tf.Tensor, tf.Tensor];
      const checked = checkedAttrs(attrs);
      return {
        dy: () => runKernel(ACTIVATION_GRAD_KERNEL, { dy: g as tf.Tensor, y }, checked),
        y: () => yGradient(checked.activation, g as tf.Tensor, dy, y),
      };
    },
  });
}
