import { describe, expect, it } from 'vitest';
import { backends } from '../../src/backends/index.js';
import { countKernelFlops } from '../../src/measure/flops.js';
import { maxAbsDifference, trainedParameters } from '../../src/measure/equivalence.js';
import { observeStep } from '../../src/measure/observe.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RUNNABLE_STRATEGY_IDS, strategies, type StrategyId } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');
/** The backend every other one is compared with: tfjs's exact JavaScript kernels. */
const REFERENCE = 'cpu' as const;
const OTHERS = ['wasm', 'webgpu'] as const;

/** What must not depend on the backend: passes, wasted gradients, FLOPs and kernels of one step. */
async function stepShape(id: StrategyId) {
  const gan = createGan(scenario);
  const batches = createBatches(scenario, 2);
  try {
    const { counts, profile } = await observeStep(gan, strategies[id], batches[0]!, batches[1]!);
    const { forwards, backwards, retainedBytes, ...passes } = counts;
    return { ...passes, ...countKernelFlops(profile.kernels), leakedTensors: profile.leakedTensors };
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

describe('the same strategy on every backend', () => {
  it("makes the same passes, FLOPs and kernels on wasm and webgpu as on cpu, and trains to cpu's parameters", async () => {
    const shapes: Record<string, Record<string, unknown>> = {};
    const parameters: Record<string, Record<string, Float32Array>> = {};
    const ranOn: Record<string, string> = {};
    for (const backend of [REFERENCE, ...OTHERS]) {
      await backends[backend].start();
      ranOn[backend] = tf.getBackend();
      shapes[backend] = {};
      parameters[backend] = {};
      for (const id of RUNNABLE_STRATEGY_IDS) {
        shapes[backend]![id] = await stepShape(id);
        // Each backend trains with the Adam the runner gives it: 'foreach' on webgpu, 'for-loop' elsewhere.
        parameters[backend]![id] = await trainedParameters(scenario, id, 3, backend === 'webgpu' ? 'foreach' : 'for-loop');
      }
    }
    await tf.setBackend('cpu');
    // Each side of every comparison below really ran where it says.
    expect(ranOn).toEqual({ cpu: 'cpu', wasm: 'wasm', webgpu: 'webgpu' });
    for (const backend of OTHERS) {
      expect(shapes[backend], backend).toEqual(shapes[REFERENCE]);
      for (const id of RUNNABLE_STRATEGY_IDS) {
        // float32 kernels that sum in a different order: equal to a few units in the last place.
        expect(maxAbsDifference(parameters[backend]![id]!, parameters[REFERENCE]![id]!), `${backend} ${id}`).toBeLessThan(1e-5);
      }
    }
  });
});
