/**
 * Adam's elementwise arithmetic (src/models/adam.ts) as three kernels per update instead of twelve: the two
 * moment updates and the parameter update, each one pass over the elements, like PyTorch's foreach kernels
 * (`_foreach_lerp_`, `_foreach_mul_` + `_foreach_addcmul_`, `_foreach_sqrt` ... `_foreach_addcdiv_`) fused
 * per result tensor. The step-dependent scalars travel as uniforms, not as uploaded tensors.
 *
 * The cpu loop rounds to float32 after every operation, exactly as the composed tfjs ops do, so a cpu run gives
 * the same bits either way. On wasm, where a JavaScript loop over a network's parameters is slower than wasm's
 * SIMD kernels, each kernel calls those kernels itself (the same operations, the same bits). webgpu may
 * contract a multiply-add (a last-place difference).
 */
import {
  allocateOutput,
  assertSameShape,
  callKernel,
  disposeIntermediate,
  flatProgram,
  readValues,
  registerKernel,
  runProgram,
  scalarOn,
} from './kernel.js';
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

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** A moment kernel's inputs and attributes, checked. */
function momentArgs({ inputs, attrs }: KernelArgs): MomentInputs & AdamMomentAttrs {
  const { moment, grad } = inputs as MomentInputs;
  assertSameShape(ADAM_MOMENT_KERNEL, moment, grad);
  return { moment, grad, ...(attrs as unknown as AdamMomentAttrs) };
}

/** An update kernel's inputs and attributes, checked. */
function updateArgs({ inputs, attrs }: KernelArgs): UpdateInputs & AdamUpdateAttrs {
  const { param, m, v } = inputs as UpdateInputs;
  assertSameShape(ADAM_UPDATE_KERNEL, param, m);
  assertSameShape(ADAM_UPDATE_KERNEL, param, v);
  return { param, m, v, ...(attrs as unknown as AdamUpdateAttrs) };
}

registerKernel(ADAM_MOMENT_KERNEL, {
  loop: (args) => {
    const { backend } = args;
    const { moment, grad, beta, squareGradient } = momentArgs(args);
    const [b, oneMinusB] = [f32(beta), f32(1 - beta)];
    const { info, values: out } = allocateOutput(backend, moment.shape); // before reading: see allocateOutput
    const [mv, gv] = [readValues(backend, moment), readValues(backend, grad)];
    for (let i = 0; i < out.length; i++) {
      const g = squareGradient ? f32(gv[i]! * gv[i]!) : gv[i]!;
      out[i] = f32(mv[i]! * b) + f32(g * oneMinusB);
    }
    return info;
  },
  wasm: (args) => {
    const { backend } = args;
    const { moment, grad, beta, squareGradient } = momentArgs(args);
    const [b, oneMinusB] = [scalarOn(backend, beta), scalarOn(backend, 1 - beta)];
    const decayed = callKernel(backend, 'Multiply', { a: moment, b });
    const g = squareGradient ? callKernel(backend, 'Square', { x: grad }) : grad;
    const scaled = callKernel(backend, 'Multiply', { a: g, b: oneMinusB });
    const result = callKernel(backend, 'Add', { a: decayed, b: scaled });
    disposeIntermediate(backend, b, oneMinusB, decayed, scaled, ...(squareGradient ? [g] : []));
    return result;
  },
  webgpu: (args) => {
    const { backend } = args;
    const { moment, grad, beta, squareGradient } = momentArgs(args);
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
  loop: (args) => {
    const { backend } = args;
    const { param, m, v, stepSize, sqrtBiasCorrection2, epsilon } = updateArgs(args);
    const [step, correction, eps] = [f32(stepSize), f32(sqrtBiasCorrection2), f32(epsilon)];
    const { info, values: out } = allocateOutput(backend, param.shape); // before reading: see allocateOutput
    const [pv, mv, vv] = [readValues(backend, param), readValues(backend, m), readValues(backend, v)];
    for (let i = 0; i < out.length; i++) {
      const denominator = f32(f32(f32(Math.sqrt(vv[i]!)) / correction) + eps);
      out[i] = pv[i]! - f32(f32(mv[i]! / denominator) * step);
    }
    return info;
  },
  wasm: (args) => {
    const { backend } = args;
    const { param, m, v, stepSize, sqrtBiasCorrection2, epsilon } = updateArgs(args);
    const [step, correction, eps] = [scalarOn(backend, stepSize), scalarOn(backend, sqrtBiasCorrection2), scalarOn(backend, epsilon)];
    const root = callKernel(backend, 'Sqrt', { x: v });
    const corrected = callKernel(backend, 'RealDiv', { a: root, b: correction });
    const denominator = callKernel(backend, 'Add', { a: corrected, b: eps });
    const ratio = callKernel(backend, 'RealDiv', { a: m, b: denominator });
    const delta = callKernel(backend, 'Multiply', { a: ratio, b: step });
    const result = callKernel(backend, 'Sub', { a: param, b: delta });
    disposeIntermediate(backend, step, correction, eps, root, corrected, denominator, ratio, delta);
    return result;
  },
  webgpu: (args) => {
    const { backend } = args;
    const { param, m, v, stepSize, sqrtBiasCorrection2, epsilon } = updateArgs(args);
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
