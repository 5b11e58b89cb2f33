/** How a cell's counts, FLOPs and memory are taken: one plain step, then one observed and profiled step. */
import type { Gan } from '../models/gan.js';
import { createStepRunner } from '../strategies/context.js';
import type { Batch, Strategy } from '../strategies/strategy.js';
import { createCountingObserver, type StepCounts } from './counts.js';
import { profileStep, type StepProfile } from './memory.js';

export interface ObservedStep {
  counts: StepCounts;
  profile: StepProfile;
  /** GPU programs the observed step dispatched, where the backend counts them (null elsewhere). */
  dispatches: number | null;
}

/** What observeStep needs of the backend: its wait, and its dispatch counter where it has one. */
export interface ObservedBackend {
  sync(): Promise<void>;
  dispatches?(): number;
}

/**
 * Runs `strategy` once unobserved on `warmBatch` (caches warm; a later step then allocates what every step
 * does), then once observed and profiled on `measuredBatch`. `backend.sync` waits for the device after each.
 */
export async function observeStep(
  gan: Gan,
  strategy: Strategy,
  warmBatch: Batch,
  measuredBatch: Batch,
  backend: ObservedBackend = { sync: async () => {} },
): Promise<ObservedStep> {
  const sync = () => backend.sync();
  createStepRunner(gan)(strategy, warmBatch);
  await sync();
  const { observer, counts } = createCountingObserver({
    generator: gan.generator.parameters,
    discriminator: gan.discriminator.parameters,
  });
  const observed = createStepRunner(gan, observer);
  const dispatchesBefore = backend.dispatches?.();
  const profile = await profileStep(() => observed(strategy, measuredBatch));
  const dispatchesAfter = backend.dispatches?.();
  await sync();
  const dispatches = dispatchesBefore === undefined || dispatchesAfter === undefined ? null : dispatchesAfter - dispatchesBefore;
  return { counts, profile, dispatches };
}
