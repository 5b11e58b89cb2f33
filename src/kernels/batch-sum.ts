/**
 * A `[rows, columns]` matrix summed over its rows: a dense layer's bias gradient, `grad.sum(0)` in PyTorch's
 * addmm backward, one reduction kernel there. tfjs's Sum over a leading axis transposes first (two dispatches
 * on webgpu); here it is one program: a workgroup per column, its threads striding down the rows, then a tree
 * reduction in workgroup memory (tfjs's own ReduceProgram pattern, without the transpose). The cpu and wasm
 * loop sums each column in row order in float64, as tfjs's cpu Sum does.
 */
import { allocateOutput, readValues, registerKernel, runProgram, uniformDeclarations, type WebGpuProgram } from './kernel.js';
import { tf } from '../tf.js';

/** Kernel name, as it appears in profiles and kernel counts. */
export const BATCH_SUM_KERNEL = 'GanBatchSum';

type BatchSumInputs = { x: tf.TensorInfo };

function matrixShape(x: tf.TensorInfo): [number, number] {
  if (x.shape.length !== 2) throw new Error(`${BATCH_SUM_KERNEL}: expected a [rows, columns] matrix, got [${x.shape.join(',')}]`);
  return x.shape as [number, number];
}

registerKernel(BATCH_SUM_KERNEL, {
  loop: ({ inputs, backend }) => {
    const { x } = inputs as BatchSumInputs;
    const [rows, columns] = matrixShape(x);
    const { info, values: out } = allocateOutput(backend, [columns]); // before reading: see allocateOutput
    const values = readValues(backend, x);
    // Summed in float64 and rounded once, as tfjs's cpu Sum does.
    const sums = new Float64Array(columns);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) sums[column] = sums[column]! + values[row * columns + column]!;
    }
    out.set(sums);
    return info;
  },
  webgpu: ({ inputs, backend }) => {
    const { x } = inputs as BatchSumInputs;
    const [rows, columns] = matrixShape(x);
    return runProgram(backend, batchSumProgram(columns, rows > 1024 ? 256 : 64), [x], { rows });
  },
});

/** One workgroup of `threads` per output column; `index / threads` is the column, `localId.x` the thread. */
function batchSumProgram(columns: number, threads: number): WebGpuProgram {
  const uniformTypes = { rows: 'i32' } as const;
  return {
    outputShape: [columns],
    shaderKey: 'gan_batch_sum',
    dispatchLayout: { x: [0] },
    dispatch: [columns, 1, 1],
    variableNames: ['X'],
    workgroupSize: [threads, 1, 1],
    size: true,
    uniforms: uniformDeclarations(uniformTypes),
    uniformTypes,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${threads}>;
      fn main(index : i32) {
        let column = index / ${threads};
        let lane = i32(localId.x);
        var sum = 0.0;
        for (var row = lane; row < uniforms.rows; row = row + ${threads}) {
          sum = sum + X[row * uniforms.size + column];
        }
        partial[lane] = sum;
        workgroupBarrier();
        for (var half = ${threads / 2}; half > 0; half = half / 2) {
          if (lane < half) {
            partial[lane] = partial[lane] + partial[lane + half];
          }
          workgroupBarrier();
        }
        if (lane == 0) {
          setOutputAtIndex(column, partial[0]);
        }
      }`,
  };
}

/**
 * Its gradient, for a double backward (`create_graph` through a bias gradient): g broadcast down the rows. It reads
 * only x's shape (the autograd keeps the shape, not the tensor: src/autograd/graph.ts's SHAPE_ONLY_GRADIENTS).
 */
if (tf.getGradient(BATCH_SUM_KERNEL) == null) {
  tf.registerGradient({
    kernelName: BATCH_SUM_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (g, [x]) => {
      const [rows, columns] = matrixShape(x!);
      return { x: () => tf.tile(tf.reshape(g as tf.Tensor, [1, columns]), [rows, 1]) };
    },
  });
}
