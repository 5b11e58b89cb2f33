/** What every backend module provides: how to start it, how to wait for it, and what it ran on. */

import type { ConcreteBackendId } from '../scenario/backend-ids.js';

// The ids are the scenario's vocabulary (src/scenario/backend-ids.ts); the backends' public face names them too.
export { BACKEND_IDS, type BackendId, type ConcreteBackendId } from '../scenario/backend-ids.js';

/** What ran the cell: recorded in the `device` column and in results.json. */
export interface DeviceInfo {
  /** Human-readable device, e.g. "cpu (AMD EPYC 7B13, 2 cores)" or "NVIDIA: 580.159.04 (H100)". */
  description: string;
  /** True when the device is a software fallback (lavapipe, SwiftShader): timings say nothing about a GPU. */
  isFallback: boolean;
  /** True when the backend runs on a GPU. */
  isGpu: boolean;
  /**
   * True where the device computes nothing (Dawn's null device): its values are meaningless, so nothing is judged
   * by them (no divergence check); only its counts and host times mean something.
   */
  computesNothing?: boolean;
}

/** Tensor memory as the backend reports it (the engine's own count is always available separately). */
export interface BackendMemory {
  /** Bytes the backend says it holds on the device, or undefined where it reports none. */
  deviceBytes?: number;
  /** True when the backend itself marks its figure as unreliable or an estimate. */
  isEstimate: boolean;
}

export interface BackendProvider {
  id: ConcreteBackendId;
  title: string;
  /**
   * Loads the backend's packages, registers it with TensorFlow.js and makes it the active backend.
   * Throws BackendUnavailableError (with what is missing and how to fix it) where it cannot start.
   */
  start(): Promise<DeviceInfo>;
  /** Resolves once every piece of work queued on the device has finished (a no-op on synchronous backends). */
  sync(): Promise<void>;
  /** Device memory as the backend reports it. */
  memory(): BackendMemory;
  /**
   * GPU programs dispatched since the backend started, where it dispatches any (webgpu): the per-kernel host cost
   * on a GPU is per dispatch, and one tfjs kernel may dispatch none (Reshape) or several (Sum, Concat).
   */
  dispatches?(): number;
}

/** A backend that is not installed, failed to load, or has no usable device. The message says how to fix it. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: ConcreteBackendId,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`backend '${backend}' is unavailable: ${message}`, options);
    this.name = 'BackendUnavailableError';
  }
}
