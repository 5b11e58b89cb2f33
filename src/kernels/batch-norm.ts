/**
 * BatchNorm2d in training mode as the two kernels PyTorch runs for it: `native_batch_norm` (the batch's per-channel
 * statistics, the normalisation, and the running statistics' update, in one op) and `native_batch_norm_backward`
 * (the input, weight and bias gradients, in one op). Written op by op, tfjs takes a moments reduction, five or six
 * elementwise kernels and their scalar uploads for the forward, and about twenty kernels for the backward.
 *
 * Layout: NHWC (tfjs's), statistics per channel (the last axis) over the n = batch x height x width positions.
 * The running statistics travel as one [2, C] tensor: row 0 the running mean, row 1 the running variance.
 *
 * - `GanBatchNorm`: inputs x, gamma, beta, running; attrs epsilon, momentum. Outputs: y; the batch statistics
 *   [2, C] (mean, biased variance: what the backward reads, PyTorch's save_mean and save_invstd); the new running
 *   statistics [2, C]: `(1 - momentum) running + momentum (mean, variance n / (n - 1))`, PyTorch's update (the
 *   running variance is the unbiased one).
 * - `GanBatchNormGrad`: inputs dy, x, gamma, stats; attr epsilon. Outputs dx, dgamma, dbeta, PyTorch's formulas
 *   (batch_norm_cpu_backward_template, training): with xhat = (x - mean) invstd, dbeta = Σ dy, dgamma = Σ dy xhat,
 *   dx = gamma invstd (dy - dbeta / n - xhat dgamma / n).
 *
 * The cpu and wasm loops accumulate in float64 and round once per output, as PyTorch's CPU kernel accumulates in
 * double; webgpu runs one program per output (tfjs's programs have one output each): three for the forward, three
 * for the backward, each reduction a workgroup per channel (src/kernels/batch-sum.ts's pattern).
 */
import {
  allocateOutput,
  flatProgram,
  readValues,
  registerKernel,
  runProgram,
  uniformDeclarations,
  type UniformTypes,
  type WebGpuProgram,
} from './kernel.js';
import type { tf } from '../tf.js';

/** Kernel names, as they appear in profiles and kernel counts. */
export const BATCH_NORM_KERNEL = 'GanBatchNorm';
export const BATCH_NORM_GRAD_KERNEL = 'GanBatchNormGrad';

export interface BatchNormAttrs {
  /** Added to the variance under the square root (PyTorch's default 1e-5). */
  epsilon: number;
  /** Weight of the new batch in the running statistics (PyTorch's default 0.1). */
  momentum: number;
}

export interface BatchNormGradAttrs {
  epsilon: number;
}

type ForwardInputs = { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo; running: tf.TensorInfo };
type BackwardInputs = { dy: tf.TensorInfo; x: tf.TensorInfo; gamma: tf.TensorInfo; stats: tf.TensorInfo };

/** Positions per channel and channels of an NHWC input, checked against the per-channel inputs' sizes. */
function layout(kernelName: string, x: tf.TensorInfo, perChannel: Record<string, tf.TensorInfo>): { positions: number; channels: number } {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const positions = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  for (const [name, info] of Object.entries(perChannel)) {
    const expected = name === 'running' || name === 'stats' ? 2 * channels : channels;
    const size = info.shape.reduce((a, b) => a * b, 1);
    if (size !== expected) throw new Error(`${kernelName}: ${name} has ${size} values for ${channels} channels (expected ${expected})`);
  }
  // PyTorch's own check: a variance over one value is undefined.
  if (positions < 2) throw new Error(`${kernelName}: expected more than 1 value per channel when training, got input of shape [${x.shape.join(', ')}]`);
  return { positions, channels };
}

registerKernel(BATCH_NORM_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, running } = inputs as ForwardInputs;
    const { epsilon, momentum } = attrs as unknown as BatchNormAttrs;
    const { positions: n, channels } = layout(BATCH_NORM_KERNEL, x, { gamma, beta, running });
    // Outputs first, then the inputs' values: see allocateOutput.
    const y = allocateOutput(backend, x.shape);
    const stats = allocateOutput(backend, [2, channels]);
    const next = allocateOutput(backend, [2, channels]);
    const [xv, gv, bv, rv] = [readValues(backend, x), readValues(backend, gamma), readValues(backend, beta), readValues(backend, running)];
    const sums = new Float64Array(channels);
    for (let p = 0; p < n; p++) for (let c = 0; c < channels; c++) sums[c]! += xv[p * channels + c]!;
    const means = sums.map((sum) => sum / n);
    const squares = new Float64Array(channels);
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < channels; c++) {
        const d = xv[p * channels + c]! - means[c]!;
        squares[c]! += d * d;
      }
    }
    const variances = squares.map((sum) => sum / n);
    const scales = variances.map((variance, c) => gv[c]! / Math.sqrt(variance + epsilon));
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < channels; c++) y.values[p * channels + c] = (xv[p * channels + c]! - means[c]!) * scales[c]! + bv[c]!;
    }
    for (let c = 0; c < channels; c++) {
      stats.values[c] = means[c]!;
      stats.values[channels + c] = variances[c]!;
      next.values[c] = (1 - momentum) * rv[c]! + momentum * means[c]!;
      next.values[channels + c] = (1 - momentum) * rv[channels + c]! + momentum * ((variances[c]! * n) / (n - 1));
    }
    return [y.info, stats.info, next.info];
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, running } = inputs as ForwardInputs;
    const { epsilon, momentum } = attrs as unknown as BatchNormAttrs;
    const { positions, channels } = layout(BATCH_NORM_KERNEL, x, { gamma, beta, running });
    const stats = runProgram(backend, statisticsProgram(channels), [x], { positions, channels });
    const y = runProgram(
      backend,
      flatProgram('gan_batch_norm_normalize', x.shape, ['X', 'Stats', 'Gamma', 'Beta'], { channels: 'i32', epsilon: 'f32' }, `
          let c = index % uniforms.channels;
          let invstd = inverseSqrt(Stats[uniforms.channels + c] + uniforms.epsilon);
          setOutputAtIndex(index, (X[index] - Stats[c]) * invstd * Gamma[c] + Beta[c]);`),
      [x, stats, gamma, beta],
      { channels, epsilon },
    );
    const next = runProgram(
      backend,
      flatProgram('gan_batch_norm_running', [2, channels], ['Running', 'Stats'], { channels: 'i32', momentum: 'f32', unbias: 'f32' }, `
          let stat = select(Stats[index], Stats[index] * uniforms.unbias, index >= uniforms.channels);
          setOutputAtIndex(index, (1.0 - uniforms.momentum) * Running[index] + uniforms.momentum * stat);`),
      [running, stats],
      { channels, momentum, unbias: positions / (positions - 1) },
    );
    return [y, stats, next];
  },
});

registerKernel(BATCH_NORM_GRAD_KERNEL, {
  loop: ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, stats } = inputs as BackwardInputs;
    const { epsilon } = attrs as unknown as BatchNormGradAttrs;
    const { positions: n, channels } = layout(BATCH_NORM_GRAD_KERNEL, x, { gamma, stats });
    const dx = allocateOutput(backend, x.shape);
    const dgamma = allocateOutput(backend, [channels]);
    const dbeta = allocateOutput(backend, [channels]);
    const [dyv, xv, gv, sv] = [readValues(backend, dy), readValues(backend, x), readValues(backend, gamma), readValues(backend, stats)];
    const invstd = Array.from({ length: channels }, (_, c) => 1 / Math.sqrt(sv[channels + c]! + epsilon));
    const sumDy = new Float64Array(channels);
    const sumDyXmu = new Float64Array(channels);
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        sumDy[c]! += dyv[i]!;
        sumDyXmu[c]! += dyv[i]! * (xv[i]! - sv[c]!);
      }
    }
    for (let c = 0; c < channels; c++) {
      dgamma.values[c] = sumDyXmu[c]! * invstd[c]!;
      dbeta.values[c] = sumDy[c]!;
    }
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        const projection = ((xv[i]! - sv[c]!) * invstd[c]! * invstd[c]! * sumDyXmu[c]!) / n;
        dx.values[i] = (dyv[i]! - sumDy[c]! / n - projection) * invstd[c]! * gv[c]!;
      }
    }
    return [dx.info, dgamma.info, dbeta.info];
  },
  webgpu: ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, stats } = inputs as BackwardInputs;
    const { epsilon } = attrs as unknown as BatchNormGradAttrs;
    const { positions, channels } = layout(BATCH_NORM_GRAD_KERNEL, x, { gamma, stats });
    const dbeta = runProgram(backend, channelSumProgram('gan_batch_norm_grad_bias', channels, ['Dy'], 'Dy[i]'), [dy], { positions, channels });
    const dgamma = runProgram(
      backend,
      channelSumProgram(
        'gan_batch_norm_grad_weight',
        channels,
        ['Dy', 'X', 'Stats'],
        '(Dy[i] * (X[i] - Stats[c]))',
        '* inverseSqrt(Stats[uniforms.channels + c] + uniforms.epsilon)',
        { epsilon: 'f32' },
      ),
      [dy, x, stats],
      { positions, channels, epsilon },
    );
    const dx = runProgram(
      backend,
      flatProgram('gan_batch_norm_grad_input', x.shape, ['Dy', 'X', 'Gamma', 'Stats', 'DGamma', 'DBeta'], { channels: 'i32', positions: 'f32', epsilon: 'f32' }, `
          let c = index % uniforms.channels;
          let invstd = inverseSqrt(Stats[uniforms.channels + c] + uniforms.epsilon);
          let xhat = (X[index] - Stats[c]) * invstd;
          setOutputAtIndex(index, (Dy[index] - DBeta[c] / uniforms.positions - xhat * DGamma[c] / uniforms.positions) * invstd * Gamma[c]);`),
      [dy, x, gamma, stats, dgamma, dbeta],
      { channels, positions, epsilon },
    );
    return [dx, dgamma, dbeta];
  },
});

/** Threads per channel in the reductions. */
const THREADS = 64;

/** WGSL: the workgroup's `partial` summed into partial[0] (every thread reaches each barrier). */
const TREE_SUM = `
        for (var half = ${THREADS / 2}; half > 0; half = half / 2) {
          if (lane < half) {
            partial[lane] = partial[lane] + partial[lane + half];
          }
          workgroupBarrier();
        }`;

/** A program with one workgroup per channel; `index / THREADS` is the channel, `localId.x` the thread. */
function perChannelProgram(shaderKey: string, outputShape: number[], channels: number, variableNames: string[], uniformTypes: UniformTypes, body: string): WebGpuProgram {
  return {
    outputShape,
    shaderKey,
    dispatchLayout: { x: [0] },
    dispatch: [channels, 1, 1],
    variableNames,
    workgroupSize: [THREADS, 1, 1],
    size: true,
    uniforms: uniformDeclarations(uniformTypes),
    uniformTypes,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let c = index / ${THREADS};
        let lane = i32(localId.x);
        ${body}
      }`,
  };
}

/** The batch's mean and biased variance per channel (two passes over x), as a [2, C] output. */
function statisticsProgram(channels: number): WebGpuProgram {
  return perChannelProgram('gan_batch_norm_statistics', [2, channels], channels, ['X'], { positions: 'i32', channels: 'i32' }, `
        var sum = 0.0;
        for (var p = lane; p < uniforms.positions; p = p + ${THREADS}) {
          sum = sum + X[p * uniforms.channels + c];
        }
        partial[lane] = sum;
        workgroupBarrier();${TREE_SUM}
        let mean = partial[0] / f32(uniforms.positions);
        workgroupBarrier();
        var squares = 0.0;
        for (var p = lane; p < uniforms.positions; p = p + ${THREADS}) {
          let d = X[p * uniforms.channels + c] - mean;
          squares = squares + d * d;
        }
        partial[lane] = squares;
        workgroupBarrier();${TREE_SUM}
        if (lane == 0) {
          setOutputAtIndex(c, mean);
          setOutputAtIndex(uniforms.channels + c, partial[0] / f32(uniforms.positions));
        }`);
}

/** Σ over positions of `term` (an expression of element `i` and channel `c`) per channel, times `scale`, as [C]. */
function channelSumProgram(
  shaderKey: string,
  channels: number,
  variableNames: string[],
  term: string,
  scale = '',
  extraUniforms: UniformTypes = {},
): WebGpuProgram {
  return perChannelProgram(shaderKey, [channels], channels, variableNames, { positions: 'i32', channels: 'i32', ...extraUniforms }, `
        var sum = 0.0;
        for (var p = lane; p < uniforms.positions; p = p + ${THREADS}) {
          let i = p * uniforms.channels + c;
          sum = sum + ${term};
        }
        partial[lane] = sum;
        workgroupBarrier();${TREE_SUM}
        if (lane == 0) {
          setOutputAtIndex(c, partial[0] ${scale});
        }`);
}
