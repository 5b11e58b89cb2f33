/** Starts the session of a backend (src/session/session.ts): the one place that knows which backend runs where. */
import type { BackendId } from '../backends/index.js';
import { startPytorchSession } from './pytorch.js';
import { EAGER_FP32, type BackendSession, type StepVariant } from './session.js';
import { createSharedChecks, type SharedChecks } from './shared.js';
import { startTfjsSession } from './tfjs.js';

export * from './session.js';
export { BATCH_POOL, createSharedChecks, type SharedChecks } from './shared.js';
export { timeSetups, timeStrategies, type StrategyTiming, type TimedSetup } from './timing.js';

export interface StartSessionOptions {
  /** What the run's sessions share (createSharedChecks: one per run); a fresh one where not given. */
  shared?: SharedChecks;
  /** The pytorch backend's Python (`--python`); absent: the one the backend finds (src/backends/pytorch/python.ts). */
  python?: string;
  /** torch.compile and precision (pytorch only); absent: eager fp32. */
  variant?: StepVariant;
}

/** The one line a tfjs session says for a step variant it does not have. */
export function tfjsVariantProblem(variant: StepVariant): string | null {
  const problems = [
    variant.compile !== EAGER_FP32.compile ? `no torch.compile on tfjs (compile ${variant.compile} runs on the pytorch backend only)` : null,
    variant.precision !== EAGER_FP32.precision ? `no mixed precision on tfjs (${variant.precision} runs on the pytorch backend only; tfjs runs fp32)` : null,
  ].filter((problem): problem is string => problem !== null);
  return problems.length > 0 ? problems.join('; ') : null;
}

/** Starts `backend`: the PyTorch worker, or a tfjs backend in this process. Throws where it does not start. */
export function startSession(backend: BackendId, { shared = createSharedChecks(), python, variant = EAGER_FP32 }: StartSessionOptions = {}): Promise<BackendSession> {
  if (backend === 'pytorch') return startPytorchSession({ python, variant });
  const problem = tfjsVariantProblem(variant);
  // Never fp32 under a bf16 label: the cells say why nothing ran.
  if (problem) return Promise.reject(new Error(problem));
  return startTfjsSession(backend, shared);
}
