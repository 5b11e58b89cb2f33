/**
 * Adam's elementwise arithmetic (src/models/adam.ts) as three kernels per update instead of twelve: the two
 * moment updates and the parameter update, each one pass over the elements, like PyTorch's foreach kernels
 * (`_foreach_lerp_`, `_foreach_mul_` + `_foreach_addcmul_`, `_foreach_sqrt` ... `_foreach_addcdiv_`) fused
 * per result tensor. The step-dependent scalars travel as uniforms, not as uploaded tensors.
 *
 * The cpu and wasm loops round to float32 after every operation, exactly as the composed tfjs ops did, so a
 * cpu run gives the same bits as before; webgpu may contract a multiply-add (a last-place difference).
 */
import { assertSameShape, flatProgram, newTensor, readValues, registerKernel, runProgram } from './kernel.js';
import type { tf } from '../tf.js';

/** `moment * beta + g * (1 - beta)`, with g the gradient or its square: exp_avg and exp_avg_sq's updates. */
export const ADAM_MOMENT_KERNEL = 'GanAdamMoment';
/** `param - m / (sqrt(v) / sqrt(bias_correction2) + eps) * step_size`: PyTorch's addcdiv_ on the parameter. */
export const ADAM_UPDATE_KERNEL = 'GanAdamUpdate';

export interface AdamMomentAttrs {
  beta: number;
  /** false: exp_avg (first moment, of the gradient); true: exp_avg_sq (second moment, of its square). */
  squareGradient: boolean;
}

export interface AdamUpdateAttrs {
  stepSize: number;
  sqrtBiasCorrection2: number;
  epsilon: number;
}

type MomentInputs = { moment: tf.TensorInfo; grad: tf.TensorInfo };
type UpdateInputs = { param: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };

const f32 = Math.fround;

registerKernel(ADAM_MOMENT_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { moment, grad } = inputs as MomentInputs;
    assertSameShape(ADAM_MOMENT_KERNEL, moment, grad);
    const { beta, squareGradient } = attrs as unknown as AdamMomentAttrs;
    const [b, oneMinusB] = [f32(beta), f32(1 - beta)];
    const [mv, gv] = [readValues(backend, moment), readValues(backend, grad)];
    const out = new Float32Array(mv.length);
    for (let i = 0; i < out.length; i++) {
      const g = squareGradient ? f32(gv[i]! * gv[i]!) : gv[i]!;
      out[i] = f32(mv[i]! * b) + f32(g * oneMinusB);
    }
    return newTensor(backend, moment.shape, out);
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { moment, grad } = inputs as MomentInputs;
    assertSameShape(ADAM_MOMENT_KERNEL, moment, grad);
    const { beta, squareGradient } = attrs as unknown as AdamMomentAttrs;
    const program = flatProgram(
      squareGradient ? 'gan_adam_moment_sq' : 'gan_adam_moment',
      moment.shape,
      ['Moment', 'Grad'],
      { beta: 'f32', oneMinusBeta: 'f32' },
      `
          let g = Grad[index];
          setOutputAtIndex(index, Moment[index] * uniforms.beta + ${squareGradient ? 'g * g' : 'g'} * uniforms.oneMinusBeta);`,
    );
    return runProgram(backend, program, [moment, grad], { beta, oneMinusBeta: 1 - beta });
  },
});

registerKernel(ADAM_UPDATE_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { param, m, v } = inputs as UpdateInputs;
    assertSameShape(ADAM_UPDATE_KERNEL, param, m);
    assertSameShape(ADAM_UPDATE_KERNEL, param, v);
    const { stepSize, sqrtBiasCorrection2, epsilon } = attrs as unknown as AdamUpdateAttrs;
    const [step, correction, eps] = [f32(stepSize), f32(sqrtBiasCorrection2), f32(epsilon)];
    const [pv, mv, vv] = [readValues(backend, param), readValues(backend, m), readValues(backend, v)];
    const out = new Float32Array(pv.length);
    for (let i = 0; i < out.length; i++) {
      const denominator = f32(f32(f32(Math.sqrt(vv[i]!)) / correction) + eps);
      out[i] = pv[i]! - f32(f32(mv[i]! / denominator) * step);
    }
    return newTensor(backend, param.shape, out);
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { param, m, v } = inputs as UpdateInputs;
    assertSameShape(ADAM_UPDATE_KERNEL, param, m);
    assertSameShape(ADAM_UPDATE_KERNEL, param, v);
    const { stepSize, sqrtBiasCorrection2, epsilon } = attrs as unknown as AdamUpdateAttrs;
    const program = flatProgram(
      'gan_adam_update',
      param.shape,
      ['Param', 'M', 'V'],
      { stepSize: 'f32', sqrtBiasCorrection2: 'f32', epsilon: 'f32' },
      `
          let denominator = sqrt(V[index]) / uniforms.sqrtBiasCorrection2 + uniforms.epsilon;
          setOutputAtIndex(index, Param[index] - M[index] / denominator * uniforms.stepSize);`,
    );
    return runProgram(backend, program, [param, m, v], { stepSize, sqrtBiasCorrection2, epsilon });
  },
});
