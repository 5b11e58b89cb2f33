/**
 * The slice of TensorFlow.js's engine internals that the autograd uses, typed. These fields are not public API;
 * they are pinned by the exact 4.22.0 dependency and exercised by test/autograd/*.test.ts.
 */
import { tf, type Tensor } from '../tf.js';

/** Lazily computed gradient of one kernel input. */
export type InputGradients = Record<string, () => Tensor>;

/** One recorded kernel, as tfjs-core's engine pushes it onto `state.activeTape`. */
export interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, Tensor>;
  outputs: Tensor[];
  /** Tensors kept (via engine.keep) for the backward pass; whoever owns the tape must dispose them. */
  saved?: Tensor[];
  gradient?: (dys: Array<Tensor | null>) => InputGradients;
}

interface EngineState {
  /** Where the engine pushes a node for every kernel it runs while `isTapeOn()`. */
  activeTape: TapeNode[] | null;
  /** Recording is on while this is above 0 (and no kernel is running: kernelDepth 0). */
  gradientDepth: number;
  /** Every live buffer, by data id, with its size in bytes (shared by all handles on that buffer). */
  tensorInfo: WeakMap<object, { bytes: number }>;
}

interface EngineInternals {
  state: EngineState;
  /** Wraps an existing buffer in a new tensor handle; the caller must add the buffer reference itself. */
  makeTensorFromDataId(dataId: object, shape: number[], dtype: string): Tensor;
  /** The active backend; `incRef` adds a reference to a buffer so that two handles can share it. */
  backend: { incRef(dataId: object): void };
}

/** The engine, seen through the internals the autograd relies on. */
export function engineInternals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/**
 * Runs `fn` with the engine recording onto `tape` (or, with `tape` null, not recording at all) and restores the
 * previous recording state afterwards, also when `fn` throws.
 */
export function withRecording<T>(tape: TapeNode[] | null, fn: () => T): T {
  const state = engineInternals().state;
  const { activeTape, gradientDepth } = state;
  state.activeTape = tape;
  state.gradientDepth = tape ? 1 : 0;
  try {
    return fn();
  } finally {
    state.activeTape = activeTape;
    state.gradientDepth = gradientDepth;
  }
}

/**
 * Whether kernels run now are being recorded onto a tape: in a forward, and in a backward pass with
 * `createGraph`, whose gradient functions must then compute with differentiable operations.
 */
export function isRecording(): boolean {
  const { activeTape, gradientDepth } = engineInternals().state;
  return activeTape !== null && gradientDepth > 0;
}

/** Bytes per element of a tfjs dtype. */
export function bytesPerElement(dtype: string): number {
  return dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'bool' ? 1 : 8;
}
