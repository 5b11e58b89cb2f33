import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBackend } from '../../src/backends/index.js';
import { createGan, type Gan } from '../../src/models/gan.js';
import { createStepRunner } from '../../src/models/step-runner.js';
import { parseScenario } from '../../src/scenario/load.js';
import { gradientPenalty, r1Penalty } from '../../src/strategies/penalties.js';
import type { Regularizer } from '../../src/scenario/regularizer.js';
import type { Batch, StepContext, Strategy } from '../../src/strategies/strategy.js';
import { tf, type Tensor } from '../../src/tf.js';
import tinyConv from '../fixtures/tiny-conv.js';
import tiny from '../fixtures/tiny.js';

// Expected values: PyTorch 1.13 in float64, from a throwaway script that builds the same D functionally
// (x @ K + b with tfjs's [in, out] kernels; conv2d with tfjs's [kh, kw, in, out] filters permuted to PyTorch's
// [out, in, kh, kw], NHWC inputs permuted to NCHW; F.batch_norm in training mode, eps 1e-5; LeakyReLU 0.2; the last
// layer's output, the logit, then sigmoid; F.binary_cross_entropy), with every weight and input from `values` below,
// gamma 10, alpha [0.3, 0.7]; then
//   R1:      g, = autograd.grad(logit_real.sum(), real, create_graph=True, retain_graph=True)   # D's logit on real
//            r1 = g.pow(2).reshape(2, -1).sum(1).mean(); (d_loss + gamma / 2 * r1).backward()
//   WGAN-GP: PyTorch-GAN's compute_gradient_penalty with that alpha, then gp.backward()
// and printed each parameter's .grad flattened (tfjs's layout), real.grad and the penalty.
const PYTORCH = {
  mlpR1: { r1: 0.4228325122, grads: [[0.3010381375, 1.700228899, 0.4069521467, -0.2965020907, -0.2400183533, 0.3128490335, 1.730623052, 0.4142270294, -0.3018025123, -0.2443090429, 0.3009964168, 1.632490691, 0.3907389126, -0.2846892576, -0.2304558684, 0.2689755209, 1.443886049, 0.3455961298, -0.2517985858, -0.2038308795], [0.007980276609, 0.04229380226, 0.01012308027, -0.007375595606, -0.005970542424], [1.571374665, 6.272774996, 0.8291988572, -1.16583111, -0.789556684], [0.0846236878]], realGrad: [-0.03536108109, -0.03480583239, -0.03262080934, -0.02890832509, -0.03484742567, -0.0355863946, -0.03465903955, -0.03210878369] },
  // *Plain: d_loss.backward() alone, what D's gradients are if the penalty's gradient vanished (no create_graph).
  mlpPlain: { grads: [[-0.0008824676717, 0.008021565773, 0.001919972901, -0.001398876954, -0.001132390473, 0.006356351564, 0.03348700836, 0.008015161927, -0.0058397831, -0.004727302663, 0.004283100867, 0.009893905245, 0.002368119952, -0.001725393324, -0.001396705376, -0.004064902634, -0.02819379223, -0.006748223301, 0.004916701714, 0.003980068559], [0.007980276609, 0.04229380226, 0.01012308027, -0.007375595606, -0.005970542424], [0.005467600929, 0.03435041645, 0.01965852604, -0.004766630214, -0.006481841205], [0.0846236878]] },
  mlpGp: { gp: 0.7093322799, grads: [[-0.01991469859, -0.1078355091, -0.02581057878, 0.01880538199, 0.01522295107, -0.01594464543, -0.09077551087, -0.02172724452, 0.01583029719, 0.01281462081, -0.01515237069, -0.09230572562, -0.02209350354, 0.0160971506, 0.01303063857, -0.01783926288, -0.1033970935, -0.02474823783, 0.01803136885, 0.01459638766], [0.004294984558, 0.02237962399, 0.005356594063, -0.003902771743, -0.003159292552], [-0.09020725958, -0.3735056848, -0.04413617476, 0.06997858695, 0.04626561503], [0.04477834132]] },
  convR1: { r1: 0.6026071307, grads: [[-1.230689322, 2.006015715, -1.545563358, 1.036914901, -2.059822489, -1.588102341, -0.2766093235, -1.274246253], [1.703639071, 4.656835819], [0.04657754835, -0.03578220702], [1.959931897, 4.25862806, -0.1760224123, -3.420665775, -3.700662727, 0.2573889621, 1.726165789, -2.339704522]], realGrad: [-0.1568734232, -0.1581612634, -0.2607292331, 0.4599707943, 0.4279266388, -0.5752097848, -0.527558368, 0.4441468703, 0.6126765128, -0.501521724, -0.4451053768, 0.1595564807, 0.2468201368, 0.07852692525, 0.1716610691, -0.4537453597, -0.5310037796, 0.5613703205, 0.7330186427, -0.6500795494, -0.4310600486, 0.1773706948, 0.3810730667, -0.002994900675, 0.4870726029, -0.4044240756, -0.4390559457, 0.5332890168, 0.2060202811, 0.05135115198, -0.4748827759, 0.2805544028] },
  convPlain: { grads: [[0.006338136904, 0.01756877622, -0.01933288569, 0.01110611915, 0.02224970352, 0.00235736368, 0.001495048704, 0.0185877362], [0.06244019462, -0.03288922919], [0.04657754835, -0.03578220702], [0.1002652406, 0.01605707816, -0.01483923265, 0.0403821851, 0.01517096149, -0.01670807648, 0.09606147693, 0.03255431137]] },
  convGp: { gp: 0.6653775906, grads: [[0.06080345343, -0.09358188127, 0.0603098733, -0.04616733421, 0.1088718743, 0.08377065478, 0.01383308671, 0.07444552056], [-0.03094714076, -0.2667993273], [0.03144528996, -0.0245425453], [-0.01690405508, -0.2111903679, -0.003399769092, 0.2193955648, 0.1804804215, -0.0245108556, -0.00442908565, 0.1207760412]] },
};

const GAMMA = 10;
/** `scale * sin(phase + 1.3 i)` for i over the shape, row-major: every weight and input of the comparison. */
const values = (shape: number[], phase: number, scale = 0.5) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(phase + 1.3 * i)), shape);

/** Float32 against PyTorch's float64: within 2e-6 of the vector's largest magnitude. */
function expectClose(actual: Tensor | number[] | number, expected: number[] | number): void {
  const got = typeof actual === 'number' ? [actual] : Array.isArray(actual) ? actual : Array.from(actual.dataSync());
  const want = typeof expected === 'number' ? [expected] : expected;
  expect(got).toHaveLength(want.length);
  const scale = Math.max(1e-3, ...want.map(Math.abs));
  got.forEach((value, i) => expect(Math.abs(value - want[i]!)).toBeLessThan(2e-6 * scale + 1e-7));
}

/** Runs `body` as one step of a strategy on `gan`, D's `.grad` cleared first; returns what it captured. */
function runStep<T>(gan: Gan, batch: Batch, body: (ctx: StepContext, batch: Batch) => T): T {
  let captured: T | undefined;
  const strategy: Strategy = { id: 'g-first', title: 'test', source: 'test', description: 'test', order: 'simultaneous', step: (ctx, b) => void (captured = body(ctx, b)) };
  for (const parameter of gan.discriminator.parameters) parameter.grad = null;
  createStepRunner(gan)(strategy, batch);
  return captured!;
}

const numbers = (tensor: Tensor) => Array.from(tensor.dataSync());

const NETWORKS = [
  {
    kind: 'the tiny GAN (MLP D 4-5-1)',
    scenario: parseScenario(tiny, 'test/fixtures/tiny.ts'),
    weights: () => [values([4, 5], 0.1), values([5], 0.2, 0.1), values([5, 1], 0.3), values([1], 0.4, 0.1)],
    real: () => values([2, 4], 0.5, 0.9),
    fake: () => values([2, 4], 0.6, 0.9),
    alpha: () => tf.tensor2d([[0.3], [0.7]]),
    r1: PYTORCH.mlpR1,
    plain: PYTORCH.mlpPlain,
    gp: PYTORCH.mlpGp,
  },
  {
    kind: 'the tiny conv net (Conv2d + BatchNorm + LeakyReLU, Conv2d + Sigmoid)',
    scenario: parseScenario(tinyConv, 'test/fixtures/tiny-conv.ts'),
    weights: () => [values([2, 2, 1, 2], 0.7), tf.tensor1d([1.1, 0.9]), tf.tensor1d([0.05, -0.05]), values([2, 2, 2, 1], 0.8)],
    real: () => values([2, 4, 4, 1], 0.9, 0.9),
    fake: () => values([2, 4, 4, 1], 1.0, 0.9),
    alpha: () => tf.tensor4d([0.3, 0.7], [2, 1, 1, 1]),
    r1: PYTORCH.convR1,
    plain: PYTORCH.convPlain,
    gp: PYTORCH.convGp,
  },
];

// On cpu and on wasm (its own convolution gradients, shared-buffer Identity: src/kernels/).
describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  describe.each(NETWORKS)('gradient penalties on $kind equal PyTorch 1.13', ({ scenario, weights, real, fake, alpha, r1, plain, gp }) => {
    let gan: Gan;
    let batch: Batch;
    beforeAll(async () => {
      await startBackend(backend);
    });
    afterEach(() => {
      gan.dispose();
      tf.dispose(Object.values(batch));
    });

    /** The GAN under `kind` (R1's D keeps its logit), with the weights and samples above. */
    function setUp(kind: Regularizer = 'none'): { fakeSamples: Tensor; alphas: Tensor } {
      gan = createGan({ ...scenario, regularizer: { ...scenario.regularizer, kind } });
      weights().forEach((value, i) => gan.discriminator.variables[i]!.assign(value));
      batch = { z: tf.zeros([2, 2]), realImgs: real(), valid: tf.ones([2, 1]), fake: tf.zeros([2, 1]) };
      return { fakeSamples: fake(), alphas: alpha() };
    }

    it("R1 on D's logit: the penalty, D's gradients of d_loss + gamma/2 r1 and real.grad", () => {
      const { fakeSamples } = setUp('r1');
      const seen = runStep(gan, batch, (ctx, { realImgs, valid, fake: fakeLabels }) => {
        const realSamples = ctx.requiresGrad_(realImgs);
        const predReal = ctx.discriminator(realSamples);
        const dLoss = tf.div(tf.add(ctx.adversarialLoss(predReal, valid), ctx.adversarialLoss(ctx.discriminator(fakeSamples), fakeLabels)), 2);
        const penalty = r1Penalty(ctx, predReal, realSamples);
        ctx.backward(tf.add(dLoss, tf.mul(GAMMA / 2, penalty)));
        return { penalty: penalty.dataSync()[0]!, realGrad: numbers(ctx.gradOf(realSamples)!) };
      });
      expectClose(seen.penalty, r1.r1);
      expectClose(seen.realGrad, r1.realGrad);
      gan.discriminator.parameters.forEach((parameter, i) => expectClose(parameter.grad!, r1.grads[i]!));
      tf.dispose(fakeSamples);
    });

    it("R1 without createGraph: the penalty's gradient vanishes, D's gradients are d_loss's alone", () => {
      // What deleting create_graph from r1Penalty does (PyTorch's d_loss.backward() gives mlpPlain): the suite's
      // R1 and WGAN-GP tests fail that way.
      const { fakeSamples } = setUp('r1');
      runStep(gan, batch, (ctx, { realImgs, valid, fake: fakeLabels }) => {
        const realSamples = ctx.requiresGrad_(realImgs);
        const predReal = ctx.discriminator(realSamples);
        const dLoss = tf.div(tf.add(ctx.adversarialLoss(predReal, valid), ctx.adversarialLoss(ctx.discriminator(fakeSamples), fakeLabels)), 2);
        const [g] = ctx.grad(tf.sum(ctx.logitOf(predReal)), [realSamples], { retainGraph: true });
        ctx.backward(tf.add(dLoss, tf.mul(GAMMA / 2, tf.mean(tf.sum(tf.square(g!), 1)))));
      });
      gan.discriminator.parameters.forEach((parameter, i) => expectClose(parameter.grad!, plain.grads[i]!));
      tf.dispose(fakeSamples);
    });

    it("WGAN-GP: the penalty and its gradient for D's parameters", () => {
      const { fakeSamples, alphas } = setUp();
      const seen = runStep(gan, batch, (ctx, { realImgs }) => {
        const penalty = gradientPenalty(ctx, realImgs, fakeSamples, alphas);
        ctx.backward(penalty);
        return penalty.dataSync()[0]!;
      });
      expectClose(seen, gp.gp);
      gan.discriminator.parameters.forEach((parameter, i) => expectClose(parameter.grad!, gp.grads[i]!));
      tf.dispose([fakeSamples, alphas]);
    });
  });
});
