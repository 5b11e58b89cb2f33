/**
 * The slice of TensorFlow.js's engine internals that the tape uses, typed. These fields are not public API;
 * they are pinned by the exact 4.22.0 dependency and exercised by test/autograd/tape.test.ts.
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
  /** Tensors kept (via engine.keep) for the backward pass; the tape must dispose them. */
  saved?: Tensor[];
  gradient?: (dys: Array<Tensor | null>) => InputGradients;
}

interface EngineState {
  activeTape: TapeNode[] | null;
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

/** The engine, seen through the internals the tape relies on. */
export function engineInternals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}
