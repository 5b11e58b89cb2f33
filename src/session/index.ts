/** Starts the session of a backend (src/session/session.ts): the one place that knows which backend runs where. */
import type { BackendId } from '../backends/index.js';
import { startPytorchSession } from './pytorch.js';
import type { BackendSession } from './session.js';
import { createSharedChecks, type SharedChecks } from './shared.js';
import { startTfjsSession } from './tfjs.js';

export * from './session.js';
export { BATCH_POOL, createSharedChecks, type SharedChecks } from './shared.js';
export { timeStrategies, type StrategyTiming } from './timing.js';

export interface StartSessionOptions {
  /** What the run's sessions share (createSharedChecks: one per run); a fresh one where not given. */
  shared?: SharedChecks;
}

/** Starts `backend`: the PyTorch worker, or a tfjs backend in this process. Throws where it does not start. */
export function startSession(backend: BackendId, { shared = createSharedChecks() }: StartSessionOptions = {}): Promise<BackendSession> {
  return backend === 'pytorch' ? startPytorchSession() : startTfjsSession(backend, shared);
}
