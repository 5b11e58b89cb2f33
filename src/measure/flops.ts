/**
 * FLOPs, two ways: counted from the kernels that actually ran (`tf.profile`), and predicted from the layer
 * shapes and the passes a step made. Both use PyTorch's `torch.utils.flop_counter` convention: only matrix
 * multiplications and convolutions count, a multiply-add is 2 FLOPs.
 */
import type { DenseShape } from '../models/mlp.js';
import type { NetworkName } from '../strategies/strategy.js';
import type { StepCounts } from './counts.js';

/** The parts of a `tf.profile` kernel record the count needs. */
export interface KernelRecord {
  name: string;
  inputShapes: Array<number[] | null>;
  outputShapes: number[][];
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** FLOPs of one kernel; 0 for kernels that are neither a matrix multiplication nor a convolution. */
export function kernelFlops({ name, inputShapes, outputShapes }: KernelRecord): number {
  const out = outputShapes[0];
  if (!out) return 0;
  switch (name) {
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // out is [..., M, N]; a is [..., M, K] or [..., K, M] (transposed): K = (its last two dims) / M.
      const a = inputShapes[0];
      const m = out[out.length - 2];
      if (!a || a.length < 2 || !m) return 0;
      const inner = (a[a.length - 1]! * a[a.length - 2]!) / m;
      return 2 * product(out) * inner;
    }
    case 'Conv2D':
    case 'FusedConv2D': {
      const filter = inputShapes[1]; // [kh, kw, in, out]
      return filter ? 2 * product(out) * filter[0]! * filter[1]! * filter[2]! : 0;
    }
    case 'Conv2DBackpropInput': {
      const [dy, filter] = inputShapes; // dx = conv_transpose(dy, filter)
      return dy && filter ? 2 * product(dy) * filter[0]! * filter[1]! * filter[2]! : 0;
    }
    case 'Conv2DBackpropFilter': {
      const dy = inputShapes[1]; // dW[kh, kw, in, out] = x^T * dy
      return dy ? 2 * product(dy) * out[0]! * out[1]! * out[2]! : 0;
    }
    default:
      return 0;
  }
}

/** Measured FLOPs and kernel count of a profiled step. */
export function countKernelFlops(kernels: readonly KernelRecord[]): { flops: number; kernels: number } {
  return { flops: kernels.reduce((sum, kernel) => sum + kernelFlops(kernel), 0), kernels: kernels.length };
}

/**
 * FLOPs a step should cost given its passes: each forward is 2*B*I*O per dense layer; each backward traversal
 * adds a weight gradient (2*B*I*O) per layer when the network's parameters were requested, and an input
 * gradient (2*B*I*O) per layer whose input depends on a requested variable: layer 0's only when the gradient
 * reached the network's input, the others' when either the parameters were requested or the input was reached.
 */
export function predictFlops(counts: Pick<StepCounts, 'forwards' | 'backwards'>, layersOf: Record<NetworkName, readonly DenseShape[]>): number {
  let flops = 0;
  for (const { network, batchSize } of counts.forwards) {
    for (const { inputSize, outputSize } of layersOf[network]) flops += 2 * batchSize * inputSize * outputSize;
  }
  for (const { network, batchSize, parameterGradients, inputGradient } of counts.backwards) {
    layersOf[network].forEach(({ inputSize, outputSize }, layer) => {
      const layerFlops = 2 * batchSize * inputSize * outputSize;
      if (parameterGradients) flops += layerFlops;
      if (layer === 0 ? inputGradient : inputGradient || parameterGradients) flops += layerFlops;
    });
  }
  return flops;
}
