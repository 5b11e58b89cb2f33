/**
 * One observed training step, measured by the framework that ran it: what a cell's count, FLOP, kernel and memory
 * columns come from. TensorFlow.js steps are recorded here from observeStep's counts and profile; the PyTorch
 * worker (src/backends/pytorch/worker.py) fills the same record in PyTorch's own terms (docs/pytorch.md).
 */
import type { BackwardTraversal, ForwardPass } from './counts.js';
import { countKernelFlops } from './flops.js';
import type { ObservedStep } from './observe.js';

export interface StepRecord {
  /** Every forward pass through G or D, in order. */
  forwards: ForwardPass[];
  /** Every backward traversal of a network's recorded forward, call after call. */
  backwards: BackwardTraversal[];
  generatorForwards: number;
  discriminatorForwards: number;
  generatorBackwards: number;
  discriminatorBackwards: number;
  backwardCalls: number;
  /** Parameter-gradient elements computed and then used by no optimizer step. */
  wastedGradientElements: number;
  /** FLOPs of the matrix products (and convolutions) that ran, a multiply-add counted as 2. */
  flops: number;
  /** Kernels that ran, in the framework's own unit (tfjs kernels; CUDA kernels or computing aten ops); null where not counted. */
  kernels: number | null;
  /** GPU programs dispatched (webgpu), null where the backend does not count them. */
  dispatches: number | null;
  /** The most bytes live during the step beyond those live before it; null where not measured. */
  peakBytes: number | null;
  /** The most bytes recorded graphs held while an optimizer step ran. */
  retainedBytes: number;
  /** Tensors live after the step minus before it. */
  leakedTensors: number;
}

/** The record of a TensorFlow.js step observed by observeStep: counts as observed, FLOPs and kernels from its profile. */
export function recordObservedStep({ counts, profile, dispatches }: ObservedStep): StepRecord {
  const { flops, kernels } = countKernelFlops(profile.kernels);
  return {
    forwards: counts.forwards,
    backwards: counts.backwards,
    generatorForwards: counts.generatorForwards,
    discriminatorForwards: counts.discriminatorForwards,
    generatorBackwards: counts.generatorBackwards,
    discriminatorBackwards: counts.discriminatorBackwards,
    backwardCalls: counts.backwardCalls,
    wastedGradientElements: counts.wastedGradientElements,
    flops,
    kernels,
    dispatches,
    peakBytes: profile.peakBytes,
    retainedBytes: counts.retainedBytes,
    leakedTensors: profile.leakedTensors,
  };
}
