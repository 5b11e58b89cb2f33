/**
 * FLOPs, two ways: counted from the kernels that actually ran (`tf.profile`), and predicted from the layer
 * shapes and the passes a step made. Both use PyTorch's `torch.utils.flop_counter` convention: only matrix
 * multiplications and convolutions count, a multiply-add is 2 FLOPs.
 */
import { layerMacs, type LayerShape } from '../scenario/shapes.js';
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
    case '_FusedMatMul':
    case 'GanLinear': {
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
      // dx = conv_transpose(dy, filter): every element of dy scatters into kh·kw·in outputs. Also a transposed
      // convolution's forward (tf.conv2dTranspose), where dy is its input and filter[2] its output channels:
      // 2·B·H_in·W_in·C_in·C_out·k², PyTorch's count for ConvTranspose2d.
      const [dy, filter] = inputShapes;
      return dy && filter ? 2 * product(dy) * filter[0]! * filter[1]! * filter[2]! : 0;
    }
    case 'Conv2DBackpropFilter': {
      // dW[kh, kw, in, out] = Σ x·dy over the batch and dy's positions: 2·|dy|·kh·kw·in. A transposed convolution's
      // filter gradient runs this kernel with x = the gradient of its output and dy = its input.
      const dy = inputShapes[1];
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
 * FLOPs a step should cost given its passes: each forward is 2·B·MACs per layer (a dense layer's MACs are I·O per
 * sample; a convolution's, src/scenario/shapes.ts's layerMacs); each backward traversal adds a weight gradient (the
 * same 2·B·MACs) per layer when the network's parameters were requested, and an input gradient (2·B·MACs) per
 * layer whose input depends on a requested variable: layer 0's only when the gradient reached the network's input,
 * the others' when either the parameters were requested or the input was reached. A gradient penalty's double
 * backward (`counts.doubleBackwards`) is not predicted: its FLOPs are the profiler's (kernelFlops sees its products).
 */
export function predictFlops(counts: Pick<StepCounts, 'forwards' | 'backwards'>, layersOf: Record<NetworkName, readonly LayerShape[]>): number {
  let flops = 0;
  for (const { network, batchSize } of counts.forwards) {
    for (const shape of layersOf[network]) flops += 2 * batchSize * layerMacs(shape);
  }
  for (const { network, batchSize, parameterGradients, inputGradient } of counts.backwards) {
    layersOf[network].forEach((shape, layer) => {
      const layerFlops = 2 * batchSize * layerMacs(shape);
      if (parameterGradients) flops += layerFlops;
      if (layer === 0 ? inputGradient : inputGradient || parameterGradients) flops += layerFlops;
    });
  }
  return flops;
}
