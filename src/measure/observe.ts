/** How a cell's counts, FLOPs and memory are taken: one plain step, then one observed and profiled step. */
import type { Gan } from '../models/gan.js';
import { createStepContext } from '../strategies/context.js';
import type { Batch, Strategy } from '../strategies/strategy.js';
import { tf } from '../tf.js';
import { createCountingObserver, type StepCounts } from './counts.js';
import { profileStep, type StepProfile } from './memory.js';

export interface ObservedStep {
  counts: StepCounts;
  profile: StepProfile;
}

/**
 * Runs `strategy` once unobserved on `warmBatch` (caches warm; a later step then allocates what every step
 * does), then once observed and profiled on `measuredBatch`. `sync` waits for the device after each.
 */
export async function observeStep(
  gan: Gan,
  strategy: Strategy,
  warmBatch: Batch,
  measuredBatch: Batch,
  sync: () => Promise<void> = async () => {},
): Promise<ObservedStep> {
  tf.tidy(() => strategy.step(createStepContext(gan), warmBatch));
  await sync();
  const { observer, counts } = createCountingObserver({
    generator: gan.generator.variables,
    discriminator: gan.discriminator.variables,
  });
  const observed = createStepContext(gan, observer);
  const profile = await profileStep(() => tf.tidy(() => strategy.step(observed, measuredBatch)));
  await sync();
  return { counts, profile };
}
