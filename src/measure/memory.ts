/**
 * One profiled step: the kernels that ran (tf.profile), the peak of live tensor memory and the tensors left
 * behind. Memory counts distinct buffers: tfjs's own `numBytes` counts every tensor handle, so a saved clone
 * that shares its buffer with a weight would count twice, which no framework actually allocates.
 */
import { engineInternals } from '../autograd/engine.js';
import { tf } from '../tf.js';
import type { KernelRecord } from './flops.js';

/** Bytes of all live tensor buffers, each counted once. */
export function liveBufferBytes(): number {
  let bytes = 0;
  for (const info of engineInternals().state.tensorInfo.values()) bytes += info.bytes;
  return bytes;
}

export interface StepProfile {
  kernels: KernelRecord[];
  /** The most buffer bytes live after any kernel of the step, beyond those live before it. */
  peakBytes: number;
  /** Tensors live after the step minus before it. */
  leakedTensors: number;
}

type RunKernelFunc = (...args: unknown[]) => unknown;

/**
 * Runs `step` once under `tf.profile`, sampling `probe` after every kernel. The probe is injectable so that
 * tests can pin exact numbers.
 */
export async function profileStep(step: () => void, probe: () => number = liveBufferBytes): Promise<StepProfile> {
  const engine = tf.engine() as unknown as { runKernelFunc: RunKernelFunc };
  const runKernelFunc = engine.runKernelFunc;
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = probe();
  let peak = bytesBefore;
  engine.runKernelFunc = function (this: unknown, ...args: unknown[]) {
    const result = runKernelFunc.apply(this, args);
    peak = Math.max(peak, probe());
    return result;
  };
  let profile: Awaited<ReturnType<typeof tf.profile>>;
  try {
    profile = await tf.profile(step);
  } finally {
    engine.runKernelFunc = runKernelFunc;
  }
  return {
    kernels: profile.kernels.map(({ name, inputShapes, outputShapes }: KernelRecord) => ({ name, inputShapes, outputShapes })),
    peakBytes: peak - bytesBefore,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
