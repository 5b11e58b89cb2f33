/** How a cell's counts, FLOPs and memory are taken: one plain step, then one observed and profiled step. */
import type { Gan, GanNetwork } from '../models/gan.js';
import { batchNormLayers } from '../scenario/shapes.js';
import { createStepRunner } from '../models/step-runner.js';
import type { Batch, Strategy } from '../strategies/strategy.js';
import { createCountingObserver, type StepCounts } from './counts.js';
import { profileStep, type StepProfile } from './memory.js';

export interface ObservedStep {
  counts: StepCounts;
  profile: StepProfile;
  /** GPU programs the observed step dispatched, where the backend counts them (null elsewhere). */
  dispatches: number | null;
}

/**
 * A network's running-statistics updates since `before`, per network: its BatchNorm layers' updates over their
 * number (each training-mode forward updates every one of them once); 0 without BatchNorm.
 */
function networkUpdates(network: GanNetwork, before: number): number {
  const layers = batchNormLayers(network.layers);
  const updates = network.batchNormUpdates - before;
  if (layers === 0) return 0;
  if (updates % layers !== 0) throw new Error(`${network.name}'s ${layers} BatchNorm layers made ${updates} updates: not one per layer per forward`);
  return updates / layers;
}

/** What observeStep needs of the backend: its wait, and its dispatch counter where it has one. */
export interface ObservedBackend {
  sync(): Promise<void>;
  dispatches?(): number;
}

/**
 * Runs `strategy` once unobserved on `warmBatch` (caches warm; a later step then allocates what every step
 * does), then once observed and profiled on `measuredBatch`, counting the BatchNorm updates it makes.
 * `backend.sync` waits for the device after each.
 */
export async function observeStep(
  gan: Gan,
  strategy: Strategy,
  warmBatch: Batch,
  measuredBatch: Batch,
  backend: ObservedBackend = { sync: async () => {} },
): Promise<ObservedStep> {
  const sync = () => backend.sync();
  // Both steps are the first of lazy R1's interval, so that the observed step's counts and FLOPs show the
  // regularization phase and its leak check compares like steps (the phase leaves D's output bias without a .grad).
  gan.lazyInterval.steps = 0;
  createStepRunner(gan)(strategy, warmBatch);
  await sync();
  const { observer, counts } = createCountingObserver({
    generator: gan.generator.parameters,
    discriminator: gan.discriminator.parameters,
  });
  const observed = createStepRunner(gan, observer);
  gan.lazyInterval.steps = 0;
  const updatesBefore = [gan.generator.batchNormUpdates, gan.discriminator.batchNormUpdates] as const;
  const dispatchesBefore = backend.dispatches?.();
  const profile = await profileStep(() => observed(strategy, measuredBatch));
  const dispatchesAfter = backend.dispatches?.();
  counts.generatorBatchNormUpdates = networkUpdates(gan.generator, updatesBefore[0]);
  counts.discriminatorBatchNormUpdates = networkUpdates(gan.discriminator, updatesBefore[1]);
  await sync();
  const dispatches = dispatchesBefore === undefined || dispatchesAfter === undefined ? null : dispatchesAfter - dispatchesBefore;
  return { counts, profile, dispatches };
}
