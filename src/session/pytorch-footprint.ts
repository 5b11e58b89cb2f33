/**
 * The pytorch backend's size check, before its worker builds anything (the `setup` of the equivalence check builds
 * every strategy's GAN): the scenario's footprint from its shapes (src/measure/footprint.ts, as for tfjs) against
 * the memory the worker allocates from: the machine's free memory on the CPU, the GPU's own on CUDA. The float64
 * equivalence check trains one GAN at twice the bytes per number, on the CPU, so it is checked too. The worker
 * enforces a limit of its own besides (gan_worker/memory_limit.py): what this estimate misses fails its request
 * rather than calling the kernel's OOM killer.
 */
import { freemem } from 'node:os';
import { estimateFootprint, footprintProblem, type Capacity, type Footprint } from '../measure/footprint.js';
import type { Scenario } from '../scenario/schema.js';
import type { HelloResult } from '../backends/pytorch/protocol.js';
import { BATCH_POOL } from './shared.js';

/** The variable that hands the worker its budget in bytes (gan_worker/memory_limit.py reads it). */
export const WORKER_BUDGET_VARIABLE = 'GAN_BENCH_WORKER_MEMORY_BYTES';

/** What the worker can allocate from: free memory on the CPU; the GPU's memory on CUDA, where the worker told it. */
export function pytorchCapacity(device: HelloResult['device'], freeMemory = freemem()): Capacity {
  const gpuBytes = typeof device['memoryBytes'] === 'number' ? device['memoryBytes'] : null;
  if (device.type === 'cuda') {
    return { backend: 'pytorch', totalBytes: gpuBytes, totalSource: `the GPU's memory (${device.name})`, tensorBytes: null, tensorSource: '' };
  }
  return { backend: 'pytorch', totalBytes: freeMemory, totalSource: 'free system memory', tensorBytes: null, tensorSource: '' };
}

/** Twice the bytes of a float32 footprint: the equivalence check's float64. */
const inFloat64 = (footprint: Footprint): Footprint => ({
  ...footprint,
  parameters: 2 * footprint.parameters,
  adamMoments: 2 * footprint.adamMoments,
  gradients: 2 * footprint.gradients,
  activations: 2 * footprint.activations,
  batches: 2 * footprint.batches,
  total: 2 * footprint.total,
  largestTensor: 2 * footprint.largestTensor,
});

/**
 * Why the scenario will not fit the worker with `strategies` GANs alive, as its cells' message, or null: every
 * strategy's GAN in float32 on the worker's device, and the equivalence check's one GAN in float64 on the CPU.
 */
export function pytorchMisfit(scenario: Scenario, strategies: number, device: HelloResult['device'], freeMemory = freemem()): string | null {
  const timed = footprintProblem(estimateFootprint(scenario, { gans: strategies, batches: BATCH_POOL, adam: 'for-loop' }), pytorchCapacity(device, freeMemory));
  if (timed) return timed;
  const steps = scenario.measure.equivalenceSteps;
  if (steps === 0) return null;
  const check = inFloat64(estimateFootprint(scenario, { gans: 1, batches: steps, adam: 'for-loop' }));
  const problem = footprintProblem(check, pytorchCapacity({ type: 'cpu', index: null, name: 'cpu' }, freeMemory));
  return problem === null ? null : `the equivalence check in float64 ${problem}`;
}
