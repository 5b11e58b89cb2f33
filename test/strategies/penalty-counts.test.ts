import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countKernelFlops } from '../../src/measure/flops.js';
import { observeStep } from '../../src/measure/observe.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { detachDiscriminatorFirst } from '../../src/strategies/detach-d-first.js';
import { frozenDiscriminator } from '../../src/strategies/frozen-d.js';
import { generatorFirst } from '../../src/strategies/g-first.js';
import { retainGraph } from '../../src/strategies/retain-graph.js';
import { singleForward } from '../../src/strategies/single-forward.js';
import { r1Penalty } from '../../src/strategies/penalties.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { tf } from '../../src/tf.js';
import tinyConv from '../fixtures/tiny-conv.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');
const GAMMA = 10;

/**
 * The post's strategy 3 (g-first) with R1 on D's step, as GAN_stability adds it (not in the registry: the
 * regularizer is a dimension of the plan, wired elsewhere), R1 on D's logit (`logit_real`: the sigmoid's input in
 * the forward that gave pred_real, which D keeps under R1):
 *
 *     ...G's step as g-first...
 *     optimizer_D.zero_grad()
 *     real_imgs.requires_grad_()
 *     pred_real = discriminator(real_imgs)     # logit_real: its sigmoid's input
 *     d_loss = (adversarial_loss(pred_real, valid) + adversarial_loss(discriminator(gen_imgs.detach()), fake)) / 2
 *     g, = autograd.grad(logit_real.sum(), real_imgs, create_graph=True, retain_graph=True)
 *     r1 = g.pow(2).reshape(batch_size, -1).sum(1).mean()
 *     (d_loss + gamma / 2 * r1).backward()
 *     optimizer_D.step()
 */
const generatorFirstR1: Strategy = {
  ...generatorFirst,
  step(ctx, { z, realImgs, valid, fake }) {
    const { generator, discriminator, optimizerG, optimizerD, adversarialLoss, backward, detach, requiresGrad_ } = ctx;
    optimizerG.zeroGrad();
    const genImgs = generator(z);
    backward(adversarialLoss(discriminator(genImgs), valid));
    optimizerG.step();
    optimizerD.zeroGrad();
    const real = requiresGrad_(realImgs);
    const predReal = discriminator(real);
    const dLoss = tf.div(tf.add(adversarialLoss(predReal, valid), adversarialLoss(discriminator(detach(genImgs)), fake)), 2);
    const r1 = r1Penalty(ctx, predReal, real);
    backward(tf.add(dLoss, tf.mul(GAMMA / 2, r1)));
    optimizerD.step();
  },
};

/** The scenario's regularizer with R1 (its D keeps the logit R1 differentiates). */
const R1: Scenario['regularizer'] = { ...scenario.regularizer, kind: 'r1', gamma: GAMMA };

async function measure(strategy: Strategy, regularizer: Scenario['regularizer'] = scenario.regularizer) {
  return measureWith(strategy, regularizer);
}

/** One observed step under `regularizer`, its batches drawn for it (WGAN-GP's carry alpha). */
async function measureWith(strategy: Strategy, regularizer: Scenario['regularizer']) {
  const gan = createGan({ ...scenario, regularizer });
  const batches = createBatches({ ...scenario, regularizer }, 2);
  try {
    const { counts, profile } = await observeStep(gan, strategy, batches[0]!, batches[1]!);
    return { counts, profile, flops: countKernelFlops(profile.kernels).flops };
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

// The tiny GAN: G 2-3-4, D 4-5-1 (LeakyReLU, sigmoid), batch 2; FLOPs as test/strategies/counts.test.ts counts
// them (matrix products only, a multiply-add is 2). G's step is g-first's: G forward 72, D(fake) forward 100,
// g_loss's backward D(fake) 200 (weights 100 + inputs 80 + 20) + G 120 = 492.
// D's step:
//   forwards D(real) 100 + D(fake.detach()) 100                                                     = 200
//   grad(logit_real.sum(), real, create_graph), from the logit (below the sigmoid): input gradients only, recorded
//   as it runs: layer 1 dPre1 . W1^T [2x1].[1x5] 2*2*1*5 = 20, where dPre1 is sum's gradient, ones, a constant (no
//   sigmoid derivative between the logit and the sum); layer 0 dPre0 . W0^T [2x5].[5x4] 2*2*5*4 = 80     = 100
//   (d_loss + gamma/2 r1).backward(), one pass over:
//     the recorded backward (the double backward): each recorded product differentiated for the operands that
//     require grad, g = dPre0 . W0^T for both: d dPre0 = gg . W0 [2x4].[4x5] 80, d W0 = gg^T . dPre0 [4x2].[2x5]
//       80; dh = ones . W1^T for W1 only: d W1 = gg^T . ones [5x2].[2x1] 20                            = 180
//     D(real)'s forward, for D's parameters and for real (it requires grad): weights 100 + inputs 80 + 20 = 200
//       (leaky_relu_backward's zeros for its saved output join d_loss's gradient there: no product of their own)
//     D(fake.detach()), for D's parameters: weights 100 + layer-1 input 20                              = 120
// Total 492 + 200 + 100 + 500 = 1292 FLOPs, against g-first's 932: R1 adds the grad's 100, the double backward's
// 180 and real's input gradient 80. (1312 when R1 differentiated D's sigmoid output: dPre1 was then sigmoid's
// derivative, a function of the logit, and the double backward took d dPre1 = gg . W1 [2x5].[5x1], 20 more.)
describe('g-first with R1 on the tiny GAN, counted by hand', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it('makes exactly the hand-counted passes, double backward, wasted gradients and FLOPs', async () => {
    const { counts, flops, profile } = await measure(generatorFirstR1, R1);
    expect(counts).toMatchObject({
      generatorForwards: 1,
      discriminatorForwards: 3,
      generatorBackwards: 1,
      // g_loss through D(fake); the R1 grad from D(real)'s logit, through every layer of D but the sigmoid; the final
      // backward through D(real) and D(fake.detach()).
      discriminatorBackwards: 4,
      generatorDoubleBackwards: 0,
      discriminatorDoubleBackwards: 1,
      doubleBackwards: [{ network: 'discriminator', batchSize: 2 }],
      // g_loss.backward() and the R1 grad and the final backward.
      backwardCalls: 3,
      // D's 31 gradients from g_loss (zeroed, as g-first's), and real.grad (2x4) 8 that nothing reads; not the
      // R1 grad's g, which is the penalty's value.
      wastedGradientElements: 39,
      // Each backward freed everything it had recorded (the final one, retain_graph False, the recorded backward too).
      retainedBytes: 0,
    });
    expect(flops).toBe(1292);
    expect(profile.leakedTensors).toBe(0);
  });

  it("peaks higher than g-first, by the graph create_graph keeps (measured on cpu, pinned)", async () => {
    // Measured, not derived: the D(real) graph and its recorded backward, plus the step's transient tensors (1320
    // with R1 on the sigmoid output, whose recorded backward also held sigmoid_backward's operands).
    const withR1 = await measure(generatorFirstR1, R1);
    const plain = await measure(generatorFirst);
    expect(plain.profile.peakBytes).toBe(708);
    expect(withR1.profile.peakBytes).toBe(1312);
  });

  it("the registry's g-first under the scenario's r1 is the hand-written form above, pass for pass and FLOP for FLOP", async () => {
    const registry = await measure(generatorFirst, R1);
    const byHand = await measure(generatorFirstR1, R1);
    expect(registry.counts).toEqual(byHand.counts);
    expect(registry.flops).toBe(1292);
  });

  // Lazy R1, g-first, observed on the interval's first step: g-first's 932, then the phase: a fresh D(real) 100, the
  // grad's input gradients from its logit 100, its backward of (logit * 0 + gamma / 2 * r1).mean() * every: the double
  // backward 180 (as above); from the logit's zeros (StyleGAN2-ADA's real_logits * 0), D(real)'s output layer for W1
  // [5x2].[2x1] 20 and for h [2x1].[1x5] 20; then D(real)'s first layer, where both paths meet, for W0 [4x2].[2x5]
  // 80 and for real [2x5].[5x4] 80 = 580. Total 1512; the other every - 1 steps of the interval are g-first's 932.
  // (1472 without the zero term, which left D's output bias without a gradient; 1532 with R1 on the sigmoid output.)
  it('lazy R1 adds its own phase on the first step of the interval: one more D forward, grad, backward and D step', async () => {
    const { counts, flops, profile } = await measure(generatorFirst, { ...scenario.regularizer, kind: 'r1-lazy', gamma: GAMMA, every: 4 });
    expect(counts).toMatchObject({
      generatorForwards: 1,
      discriminatorForwards: 4,
      // g_loss through D(fake); d_loss through D(real) and D(fake.detach()); the phase's grad from D(real)'s logit; the
      // phase's backward from D(real)'s logit (StyleGAN2-ADA's real_logits * 0), which meets the double backward's
      // gradient in D(real)'s first layer.
      discriminatorBackwards: 5,
      discriminatorDoubleBackwards: 1,
      backwardCalls: 4,
      // D's 31 from g_loss, zeroed; real.grad's 8 from the phase's backward.
      wastedGradientElements: 39,
      // Known difference from PyTorch (0 there): the phase's D(real) sigmoid output (2x1 floats, 8 bytes), which its
      // backward does not traverse, stays in the step's graph until the step ends, as WGAN-GP's D(interpolates) below;
      // PyTorch frees it with D(real)'s output.
      retainedBytes: 8,
    });
    expect(flops).toBe(1512);
    expect(profile.leakedTensors).toBe(0);
  });
});

// g-first with R1 on the tiny conv GAN (test/fixtures/tiny-conv.ts; per-layer FLOPs as test/strategies/conv-counts.test.ts
// derives them: D1 128, D2 32 per product at batch 2). g-first alone: 1696. R1 adds:
//   grad(logit_real.sum(), real, create_graph): D2's input gradient 32 (from the seed, a constant), D1's 128      = 160
//   the double backward: D1's recorded input gradient (Conv2DBackpropInput(dPre1, W1)) for both operands 128 + 128;
//     D2's (Conv2DBackpropInput(ones, W2)) for W2 32 and, as PyTorch's convolution double backward computes
//     ggO = conv(ggI, w) whatever needs it, for its incoming gradient, the constant: 32, thrown away             = 320
//   real's input gradient in d_loss's backward through D(real): 128                                              = 128
// Total 1696 + 608 = 2304 (2272 without the thrown-away ggO, which PyTorch's count has).
describe('g-first with R1 on the tiny conv GAN, counted by hand', () => {
  const convScenario = parseScenario(tinyConv, 'test/fixtures/tiny-conv.ts');
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });

  it("computes the last layer's gradient for its constant incoming gradient in the double backward, as PyTorch", async () => {
    const gan = createGan({ ...convScenario, regularizer: { ...convScenario.regularizer, kind: 'r1', gamma: GAMMA } });
    const batches = createBatches(convScenario, 2);
    try {
      const { counts, profile } = await observeStep(gan, generatorFirst, batches[0]!, batches[1]!);
      expect(countKernelFlops(profile.kernels).flops).toBe(2304);
      expect(counts).toMatchObject({ discriminatorBackwards: 4, discriminatorDoubleBackwards: 1, backwardCalls: 3 });
      expect(profile.leakedTensors).toBe(0);
    } finally {
      disposeBatches(batches);
      gan.dispose();
    }
  });
});

// WGAN-GP on the tiny GAN (D 4-5-1 with a linear output under it), batch 2, nCritic 5: one harness step is five
// critic steps and one G step. PyTorch-GAN's loop is detach-d-first's WGAN-GP form. One critic step (wgan-gp):
//   G(z) 72; D(real), D(fake), D(interpolates) 3 x 100                                                     = 372
//   grad(D(interpolates), interpolates, grad_outputs=ones, create_graph): input gradients only, recorded:
//     dh = ones . W1^T [2x1].[1x5] 20, g = dPre0 . W0^T [2x5].[5x4] 80                                      = 100
//   d_loss.backward(), one pass over:
//     D(real), for D's parameters: dW1 [5x2].[2x1] 20, dh 20, dW0 [4x2].[2x5] 80                             = 120
//     D(fake), not detached: D's parameters 120 and its input 80, then G's parameters 48 + 48 + 24           = 320
//     the double backward: g = dPre0 . W0^T for both operands 80 + 80; dh = ones . W1^T for W1 only (ones is
//       a constant, as PyTorch-GAN's fill_(1.0)) 20                                                         = 180
//     leaky_relu_backward's derivative for its saved input is zeros (PyTorch's derivatives.yaml), which go on
//       through D(interpolates)'s first layer: interpolates' gradient 80 and W0's 80                         = 160
//   = 1252 per critic step. wgan-gp-detached: D(fake.detach()) for D's parameters only, no input gradient and
//   no G backward: 1252 - 80 - 120 = 1052.
// G's step: G(z) 72, D 100, g_loss's backward through D (D's parameters 100 + input 80 + 20) 200, G 120 = 492;
// frozen-d's, D frozen: input gradients only 100: 392.
describe('WGAN-GP on the tiny GAN, counted by hand', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    tf.disposeVariables();
  });
  const wasserstein = (kind: 'wgan-gp' | 'wgan-gp-detached') => ({ ...scenario.regularizer, kind, gamma: GAMMA, nCritic: 5 });

  it("PyTorch-GAN's loop (detach-d-first's form): five critic steps, each G's gradient thrown away, then G's step", async () => {
    const { counts, flops, profile } = await measureWith(detachDiscriminatorFirst, wasserstein('wgan-gp'));
    expect(counts).toMatchObject({
      generatorForwards: 6,
      discriminatorForwards: 16,
      // d_loss reaches G through the undetached fake in every critic step; g_loss once.
      generatorBackwards: 6,
      // Per critic step: the penalty's grad through D(interpolates); d_loss through D(real) and D(fake). Then g_loss.
      discriminatorBackwards: 16,
      discriminatorDoubleBackwards: 5,
      backwardCalls: 11,
      // Per critic step G's 25 (zero_grad after D's step) and interpolates.grad's 8; D's 31 from g_loss, left in
      // .grad at the step's end (the next critic step's zero_grad throws them away).
      wastedGradientElements: 5 * (25 + 8) + 31,
      // Known difference from PyTorch (0 there): D(interpolates)'s output layer, which the penalty's backward does not
      // traverse (its gradient seed is a constant), keeps its saved input h (2x5 floats, 40 bytes) in the step's
      // graph until the step ends; PyTorch frees it with d_interpolates. Five critic steps: 200 at the last D step.
      retainedBytes: 5 * 40,
    });
    expect(flops).toBe(5 * 1252 + 492);
    expect(profile.leakedTensors).toBe(0);
  });

  it('the detached form computes no G gradient in the critic steps: 200 FLOPs and 25 wasted elements less per critic step', async () => {
    const { counts, flops } = await measureWith(detachDiscriminatorFirst, wasserstein('wgan-gp-detached'));
    // Retained: G's graph of a critic step's fake_imgs (z 16, h 24, tanh's output 32 bytes), held while D steps; PyTorch
    // holds one (72: it frees the last when fake_imgs is reassigned), the step's graph all five, sharing the batch's z
    // (16 + 5 x 56), and the five output layers' 40 bytes above. A known difference, retained bytes only.
    expect(counts).toMatchObject({ generatorBackwards: 1, discriminatorDoubleBackwards: 5, wastedGradientElements: 5 * 8 + 31, retainedBytes: 16 + 5 * 56 + 5 * 40 });
    expect(flops).toBe(5 * 1052 + 492);
  });

  it('g-first takes G first and the critic steps after, the same FLOPs; frozen-d computes no D gradient for G', async () => {
    const first = await measureWith(generatorFirst, wasserstein('wgan-gp'));
    expect(first.flops).toBe(5 * 1252 + 492);
    // D's 31 from g_loss now thrown away by the first critic step's zero_grad, G's 25 after the last left unused.
    expect(first.counts.wastedGradientElements).toBe(5 * (25 + 8) + 31);
    const frozen = await measureWith(frozenDiscriminator, wasserstein('wgan-gp'));
    expect(frozen.flops).toBe(5 * 1252 + 392);
    expect(frozen.counts.wastedGradientElements).toBe(5 * (25 + 8));
  });

  it('retain-graph and single-forward do not fit: their cells say so in one line', async () => {
    const refusal = "regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and G's loss, and WGAN-GP takes nCritic (5) critic steps per generator step";
    await expect(measureWith(retainGraph, wasserstein('wgan-gp'))).rejects.toThrow(refusal);
    await expect(measureWith(singleForward, wasserstein('wgan-gp'))).rejects.toThrow(refusal);
  });
});
