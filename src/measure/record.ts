/**
 * One observed training step, measured by the framework that ran it: what a cell's count, FLOP, kernel and memory
 * columns come from. TensorFlow.js steps are recorded here from observeStep's counts and profile; the PyTorch
 * worker (src/backends/pytorch/gan_worker/observe.py) fills the same record in PyTorch's own terms (docs/pytorch.md).
 */
import type { StepCounts } from './counts.js';
import { countKernelFlops } from './flops.js';
import type { ObservedStep } from './observe.js';

/** The counts (passes, backward calls, wasted gradients, retained bytes) plus what the framework's profiler saw. */
export interface StepRecord extends StepCounts {
  /** FLOPs of the matrix products (and convolutions) that ran, a multiply-add counted as 2. */
  flops: number;
  /** Kernels that ran, in the framework's own unit (tfjs kernels; CUDA kernels or computing aten ops); null where not counted. */
  kernels: number | null;
  /** GPU programs dispatched (webgpu), null where the backend does not count them. */
  dispatches: number | null;
  /** The most bytes live during the step beyond those live before it; null where not measured. */
  peakBytes: number | null;
  /** Tensors live after the step minus before it. */
  leakedTensors: number;
}

/** The record of a TensorFlow.js step observed by observeStep: counts as observed, FLOPs and kernels from its profile. */
export function recordObservedStep({ counts, profile, dispatches }: ObservedStep): StepRecord {
  const { flops, kernels } = countKernelFlops(profile.kernels);
  return { ...counts, flops, kernels, dispatches, peakBytes: profile.peakBytes, leakedTensors: profile.leakedTensors };
}
