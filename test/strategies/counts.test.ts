import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepCounts } from '../../src/measure/counts.js';
import { countKernelFlops, predictFlops } from '../../src/measure/flops.js';
import { observeStep } from '../../src/measure/observe.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { STRATEGY_IDS, strategies, type StrategyId } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');

/** Runs one warm step, then one observed and profiled step of `id` on the tiny GAN. */
async function measure(id: StrategyId) {
  const gan = createGan(scenario);
  const batches = createBatches(scenario, 2);
  try {
    const { counts, profile } = await observeStep(gan, strategies[id], batches[0]!, batches[1]!);
    const layers = { generator: gan.generator.layers, discriminator: gan.discriminator.layers };
    return { counts, profile, flops: countKernelFlops(profile.kernels).flops, predicted: predictFlops(counts, layers) };
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

type Expected = Pick<
  StepCounts,
  'generatorForwards' | 'discriminatorForwards' | 'generatorBackwards' | 'discriminatorBackwards' | 'backwardCalls' | 'wastedGradientElements'
> & { flops: number };

// The tiny GAN: G 2-3-4 (25 parameters, 18 MACs per sample), D 4-5-1 (31 parameters, 25 MACs), batch 2.
// A forward costs 2*B*MACs: G 72 FLOPs, D 100. A backward through one dense layer costs 2*B*I*O for the weight
// gradient when the network's parameters are requested and 2*B*I*O for the input gradient when that input
// depends on a requested variable. Per backward traversal:
//   D, parameters + input (fake not detached): weights 100 + inputs 80 + 20        = 200
//   D, parameters only (real or detached fake): weights 100 + layer-2 input 20      = 120
//   D, input only (g_loss for G's parameters):  inputs 80 + 20                      = 100
//   G, parameters only (z needs no gradient):   weights 72 + layer-2 input 2*2*12   = 120
const EXPECTED: Record<StrategyId, Expected> = {
  // forwards G + D(fake) + D(real) = 272; d_loss: D(fake) 200 + D(real) 120 + G 120; g_loss: D(fake) 200 + G 120.
  // Wasted: G's 25 gradients from d_loss, D's 31 from g_loss.
  'retain-graph': {
    generatorForwards: 1, discriminatorForwards: 2, generatorBackwards: 2, discriminatorBackwards: 3,
    backwardCalls: 2, wastedGradientElements: 56, flops: 272 + 440 + 320,
  },
  // forwards 72 + 3*100; d_loss: D(detached) 120 + D(real) 120; g_loss: fresh D(fake) 200 + G 120. Wasted: D's 31.
  'detach-d-first': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3,
    backwardCalls: 2, wastedGradientElements: 31, flops: 372 + 240 + 320,
  },
  // g_loss: D(fake) 200 + G 120; d_loss: D(real) 120 + D(detached) 120. Wasted: D's 31.
  'g-first': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3,
    backwardCalls: 2, wastedGradientElements: 31, flops: 372 + 320 + 240,
  },
  // d_loss for D only: D(fake) 120 + D(real) 120; g_loss for G only: D(fake) 100 + G 120. Nothing wasted.
  'single-forward': {
    generatorForwards: 1, discriminatorForwards: 2, generatorBackwards: 1, discriminatorBackwards: 3,
    backwardCalls: 2, wastedGradientElements: 0, flops: 272 + 240 + 220,
  },
};

describe('strategy counts on the tiny GAN', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it.each(STRATEGY_IDS)('%s makes exactly the hand-counted passes, wasted gradients and FLOPs', async (id) => {
    const { counts, flops, predicted } = await measure(id);
    const { flops: expectedFlops, ...expectedCounts } = EXPECTED[id];
    expect(counts).toMatchObject(expectedCounts);
    expect(flops).toBe(expectedFlops);
    expect(predicted).toBe(expectedFlops);
  });

  it.each(STRATEGY_IDS)('%s leaks no tensor in a step', async (id) => {
    const { profile } = await measure(id);
    expect(profile.leakedTensors).toBe(0);
  });

  it('detach-d-first holds exactly G graph\'s 176 saved bytes while D steps', async () => {
    // Distinct buffers G's recorded forward saves (each dense layer is one fused kernel that saves its input,
    // its kernel and its output; biases are not needed for any gradient): z (2x2) 16, W1 (2x3) 24, layer-1
    // output 24, W2 (3x4) 48, layer-2 output before tanh 32, tanh output 32 = 176 bytes.
    const { counts } = await measure('detach-d-first');
    expect(counts.retainedBytes).toBe(176);
  });

  it('retain-graph holds more graph than detach-d-first across a step, g-first and single-forward hold none', async () => {
    const retained = Object.fromEntries(
      await Promise.all(STRATEGY_IDS.map(async (id) => [id, (await measure(id)).counts.retainedBytes] as const)),
    );
    expect(retained['retain-graph']).toBeGreaterThan(retained['detach-d-first']!);
    expect(retained['g-first']).toBe(0);
    expect(retained['single-forward']).toBe(0);
  });
});
