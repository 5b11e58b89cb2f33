/**
 * One profiled step: the kernels that ran (tf.profile), the peak of live tensor memory and the tensors left
 * behind. Memory counts distinct buffers: tfjs's own `numBytes` counts every tensor handle, so a saved clone
 * that shares its buffer with a weight would count twice, which no framework actually allocates.
 */
import { tf } from '../tf.js';
import type { KernelRecord } from './flops.js';

export interface StepProfile {
  kernels: KernelRecord[];
  /** The most buffer bytes live at any moment of the step, beyond those live before it. */
  peakBytes: number;
  /** Tensors live after the step minus before it. */
  leakedTensors: number;
}

interface BufferAccounting {
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
  trackTensor(tensor: { dataId: object }, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
}

/**
 * Runs `step` once under `tf.profile` and follows buffer allocation as it happens: the engine's `trackTensor`
 * sees every new buffer (a handle on a data id it does not know yet) and `removeDataId` every freed one.
 */
export async function profileStep(step: () => void): Promise<StepProfile> {
  const engine = tf.engine() as unknown as BufferAccounting;
  const { trackTensor, removeDataId } = engine;
  const tensorsBefore = tf.memory().numTensors;
  let live = 0;
  let peak = 0;
  engine.trackTensor = function (this: BufferAccounting, tensor, backend) {
    const isNewBuffer = !this.state.tensorInfo.has(tensor.dataId);
    trackTensor.call(this, tensor, backend);
    if (isNewBuffer) {
      live += this.state.tensorInfo.get(tensor.dataId)?.bytes ?? 0;
      peak = Math.max(peak, live);
    }
  };
  engine.removeDataId = function (this: BufferAccounting, dataId, backend) {
    const bytes = this.state.tensorInfo.get(dataId)?.bytes ?? 0;
    removeDataId.call(this, dataId, backend);
    if (!this.state.tensorInfo.has(dataId)) live -= bytes;
  };
  let profile: Awaited<ReturnType<typeof tf.profile>>;
  try {
    profile = await tf.profile(step);
  } finally {
    engine.trackTensor = trackTensor;
    engine.removeDataId = removeDataId;
  }
  // tf.profile also lists each custom-gradient op (named after its scope) beside the kernels it ran: keep kernels.
  const backendName = tf.getBackend();
  const kernels = profile.kernels.filter(({ name }: KernelRecord) => tf.getKernel(name, backendName) !== undefined);
  return {
    kernels: kernels.map(({ name, inputShapes, outputShapes }: KernelRecord) => ({ name, inputShapes, outputShapes })),
    peakBytes: peak,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
