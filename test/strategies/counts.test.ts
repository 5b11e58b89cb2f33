import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepCounts } from '../../src/measure/counts.js';
import { startBackend } from '../../src/backends/index.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RUNNABLE_STRATEGY_IDS } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import { measureStep, type RunnableId } from '../fixtures/measure-step.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');

const measure = (id: RunnableId) => measureStep(scenario, id);

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
const EXPECTED: Record<RunnableId, Expected> = {
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
  // Strategy 2's passes, D frozen for G's step: d_loss: D(detached) 120 + D(real) 120; g_loss reaches D's input
  // only (D requires no gradient): D 100 + G 120. Nothing wasted.
  'frozen-d': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3,
    backwardCalls: 2, wastedGradientElements: 0, flops: 372 + 240 + 220,
  },
};

describe('strategy counts on the tiny GAN', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it.each(RUNNABLE_STRATEGY_IDS)('%s makes exactly the hand-counted passes, wasted gradients and FLOPs', async (id) => {
    const { counts, flops, predicted } = await measure(id);
    const { flops: expectedFlops, ...expectedCounts } = EXPECTED[id];
    expect(counts).toMatchObject(expectedCounts);
    expect(flops).toBe(expectedFlops);
    expect(predicted).toBe(expectedFlops);
  });

  it.each(RUNNABLE_STRATEGY_IDS)('%s leaks no tensor in a step', async (id) => {
    const { profile } = await measure(id);
    expect(profile.leakedTensors).toBe(0);
  });
});

// The graph's saved tensors as PyTorch holds them, on every backend: wasm's Identity copied each saved tensor
// (src/kernels/wasm-identity.ts), so a tensor saved by two nodes counted twice there.
describe.each(['cpu', 'wasm'] as const)('graph bytes held at the optimizer steps of the tiny GAN, on %s', (backend) => {
  beforeAll(async () => {
    await startBackend(backend);
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it("detach-d-first holds exactly G graph's 72 saved bytes while D steps", async () => {
    // The distinct buffers G's recorded forward saves, less its weights (PyTorch saves parameters by reference,
    // so they are no memory of the graph's), as PyTorch saves them: z (2x2) 16 (addmm's input), the layer-1
    // output (2x3) 24 (the in-place LeakyReLU's result and layer 2's input: one buffer), the tanh output (2x4) 32
    // = 72 bytes. Not layer 2's output before tanh: addmm never saves its output (src/models/dense.ts's
    // GanLinear). d_loss.backward() freed D's two forwards; G's graph waits for g_loss.backward(), after D's step.
    const { counts } = await measure('detach-d-first');
    expect(counts.retainedBytes).toBe(72);
  });

  it("frozen-d, like detach-d-first, holds G graph's 72 saved bytes while D steps", async () => {
    expect((await measure('frozen-d')).counts.retainedBytes).toBe(72);
  });

  it('g-first holds no graph at its optimizer steps: each backward freed all it had recorded', async () => {
    expect((await measure('g-first')).counts.retainedBytes).toBe(0);
  });

  it.each(['retain-graph', 'single-forward'] as const)(
    "%s holds only the retained branch g_loss never reaches when the optimizers step: D(real)'s 112 bytes",
    async (id) => {
      // The first backward retained the graph; the second (g_loss, which does not depend on D(real)) freed the
      // rest. Left: D(real)'s forward, real (2x4) 32 + layer-1 output (2x5) 40 + D's output (2x1) 8, its BCE's
      // target, the valid labels (2x1) 8, and d_loss's own nodes: the BCE on the fake, its prediction (2x1) 8 and
      // its target, the fake labels (2x1) 8 (binary_cross_entropy saves both), and the division's two scalars 8
      // = 112 bytes.
      expect((await measure(id)).counts.retainedBytes).toBe(112);
    },
  );
});
