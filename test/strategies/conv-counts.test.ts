import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepCounts } from '../../src/measure/counts.js';
import { countKernelFlops, predictFlops } from '../../src/measure/flops.js';
import { observeStep } from '../../src/measure/observe.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { macsPerSample, parameterCount } from '../../src/scenario/shapes.js';
import { scenarioLayers } from '../../src/results/cell.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RUNNABLE_STRATEGY_IDS, strategies } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import { measureStep, type RunnableId } from '../fixtures/measure-step.js';
import tinyConv from '../fixtures/tiny-conv.js';

const scenario = parseScenario(tinyConv, 'test/fixtures/tiny-conv.ts');

const measure = (id: RunnableId) => measureStep(scenario, id);

type Expected = Pick<
  StepCounts,
  | 'generatorForwards'
  | 'discriminatorForwards'
  | 'generatorBackwards'
  | 'discriminatorBackwards'
  | 'backwardCalls'
  | 'wastedGradientElements'
  | 'generatorBatchNormUpdates'
  | 'discriminatorBatchNormUpdates'
> & { flops: number };

// MACs per sample (a convolution: output positions x in x out x k²; a transposed one: input positions x in x out x k²):
//   G1 ConvT 2->2, k2, on 1x1: 1 x 2 x 2 x 4 = 16;  G2 ConvT 2->1, k2 s2, on 2x2: 4 x 2 x 1 x 4 = 32;  G = 48.
//   D1 Conv 1->2, k2 s2, to 2x2: 4 x 1 x 2 x 4 = 32;  D2 Conv 2->1, k2, to 1x1: 1 x 2 x 1 x 4 = 8;      D = 40.
// Parameters: G 16 + BatchNorm 4 + 8 = 28; D 8 + BatchNorm 4 + 8 = 20 (no biases).
// At batch 2 a forward costs 2·B·MACs: G 192, D 160; each backward product of a layer costs its forward's FLOPs:
// D1 128, D2 32, G1 64, G2 128. Per backward traversal:
//   D, parameters + input (fake not detached): weights 128 + 32, inputs 128 + 32  = 320
//   D, parameters only (real or detached fake): weights 160 + D2's input 32        = 192
//   D, input only (g_loss for G's parameters, or D frozen): inputs 128 + 32         = 160
//   G, parameters only (z needs no gradient): weights 64 + 128 + G2's input 128     = 320
// BatchNorm counts no FLOPs. Each D forward updates D's running statistics once, G's one forward G's.
const EXPECTED: Record<RunnableId, Expected> = {
  // forwards G + D(fake) + D(real) = 512; d_loss: D(fake) 320 + D(real) 192 + G 320; g_loss: D(fake) 320 + G 320.
  // Wasted: G's 28 gradients from d_loss, D's 20 from g_loss.
  'retain-graph': {
    generatorForwards: 1, discriminatorForwards: 2, generatorBackwards: 2, discriminatorBackwards: 3, backwardCalls: 2,
    wastedGradientElements: 48, generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 2, flops: 512 + 832 + 640,
  },
  // forwards 192 + 3·160 = 672; d_loss: D(detached) 192 + D(real) 192; g_loss: fresh D(fake) 320 + G 320. Wasted: D's 20.
  'detach-d-first': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3, backwardCalls: 2,
    wastedGradientElements: 20, generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, flops: 672 + 384 + 640,
  },
  // g_loss: D(fake) 320 + G 320; d_loss: D(real) 192 + D(detached) 192. Wasted: D's 20. D's third forward (on the
  // fake batch G made before it stepped) is a third running-statistics update.
  'g-first': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3, backwardCalls: 2,
    wastedGradientElements: 20, generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, flops: 672 + 640 + 384,
  },
  // d_loss for D only: D(fake) 192 + D(real) 192; g_loss for G only: D(fake) 160 + G 320. Nothing wasted.
  'single-forward': {
    generatorForwards: 1, discriminatorForwards: 2, generatorBackwards: 1, discriminatorBackwards: 3, backwardCalls: 2,
    wastedGradientElements: 0, generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 2, flops: 512 + 384 + 480,
  },
  // Strategy 2's passes, D frozen for G's step: d_loss: 192 + 192; g_loss: D's inputs only 160 + G 320.
  'frozen-d': {
    generatorForwards: 1, discriminatorForwards: 3, generatorBackwards: 1, discriminatorBackwards: 3, backwardCalls: 2,
    wastedGradientElements: 0, generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, flops: 672 + 384 + 480,
  },
};

describe('strategy counts on the tiny convolutional GAN with BatchNorm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it('has the hand-counted parameters and multiply-adds per sample', () => {
    const layers = scenarioLayers(scenario);
    expect([parameterCount(layers.generator), parameterCount(layers.discriminator)]).toEqual([28, 20]);
    expect([macsPerSample(layers.generator), macsPerSample(layers.discriminator)]).toEqual([48, 40]);
  });

  it.each(RUNNABLE_STRATEGY_IDS)('%s makes exactly the hand-counted passes, wasted gradients, BatchNorm updates and FLOPs', async (id) => {
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

  it('runs the convolution kernels hand-counted for single-forward, and one BatchNorm kernel per forward and per backward', async () => {
    const { profile } = await measure('single-forward');
    // Forwards: G1 and G2 are transposed convolutions (Conv2DBackpropInput), D's two forwards run D1 and D2 (Conv2D).
    // d_loss for D's parameters: per D forward, D1's and D2's filter gradients (Conv2DBackpropFilter) and D2's input
    // gradient (Conv2DBackpropInput). g_loss for G's: D(fake)'s input gradients, D2's and D1's; G's filter gradients;
    // G2's input gradient, which for a transposed convolution is a Conv2D. BatchNorm: G's forward and D's two; its
    // backward through D(fake) and D(real) for d_loss, through D(fake) and G for g_loss.
    const count = (name: string) => profile.kernels.filter((kernel) => kernel.name === name).length;
    expect({
      conv: count('Conv2D'),
      convInput: count('Conv2DBackpropInput'),
      convFilter: count('Conv2DBackpropFilter'),
      batchNorm: count('GanBatchNorm'),
      batchNormGrad: count('GanBatchNormGrad'),
    }).toEqual({ conv: 4 + 1, convInput: 2 + 2 + 2, convFilter: 4 + 2, batchNorm: 1 + 2, batchNormGrad: 2 + 2 });
  });

  it("updates D's running statistics with the batch's mean and unbiased variance, not the parameters' optimizer", async () => {
    const gan = createGan(scenario);
    const batches = createBatches(scenario, 1);
    try {
      const before = Float32Array.from(await gan.discriminator.buffers[0]!.data());
      expect(Array.from(before)).toEqual([0, 0, 1, 1]);
      (await import('../../src/models/step-runner.js')).createStepRunner(gan)(strategies['single-forward'], batches[0]!);
      const after = Float32Array.from(await gan.discriminator.buffers[0]!.data());
      expect(after).not.toEqual(before);
      expect(gan.discriminator.parameters.map((p) => p.name)).not.toContain('D/bn0/running');
    } finally {
      disposeBatches(batches);
      gan.dispose();
    }
  });

  it.each([
    ['a convolutional G against an MLP D', { discriminator: { hidden: [5] } }],
    ['an MLP G against a convolutional D', { generator: { latentSize: 2, hidden: [3], outputSize: 16 } }],
  ])('trains %s, with FLOPs as predicted and no leak', async (_, override) => {
    const mixed = parseScenario({ ...tinyConv, ...override }, 'mixed');
    const gan = createGan(mixed);
    const batches = createBatches(mixed, 2);
    try {
      const { counts, profile } = await observeStep(gan, strategies['g-first'], batches[0]!, batches[1]!);
      expect(countKernelFlops(profile.kernels).flops).toBe(predictFlops(counts, scenarioLayers(mixed)));
      expect(profile.leakedTensors).toBe(0);
    } finally {
      disposeBatches(batches);
      gan.dispose();
    }
  });
});
