import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countKernelFlops } from '../../src/measure/flops.js';
import { profileStep } from '../../src/measure/memory.js';
import { createGan } from '../../src/models/gan.js';
import { keptLogit, logitOf } from '../../src/models/logit.js';
import { createMlp } from '../../src/models/mlp.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Regularizer } from '../../src/scenario/regularizer.js';
import { tf, type Tensor } from '../../src/tf.js';
import tinyConv from '../fixtures/tiny-conv.js';
import tiny from '../fixtures/tiny.js';

const NETWORKS = [
  { kind: 'an MLP D (4-5-1)', scenario: parseScenario(tiny, 'test/fixtures/tiny.ts'), input: () => tf.randomUniform([2, 4], -1, 1, 'float32', 1), forwardFlops: 100 },
  { kind: 'a convolutional D', scenario: parseScenario(tinyConv, 'test/fixtures/tiny-conv.ts'), input: () => tf.randomUniform([2, 4, 4, 1], -1, 1, 'float32', 1), forwardFlops: 160 },
];

const values = (tensor: Tensor) => Array.from(tensor.dataSync());

describe.each(NETWORKS)("D's logit: $kind", ({ scenario, input, forwardFlops }) => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());
  const gan = (kind: Regularizer) => createGan({ ...scenario, regularizer: { ...scenario.regularizer, kind } });

  it.each(['r1', 'r1-lazy'] as const)('under %s: the sigmoid input of the same forward, [batch, 1], at the forward FLOPs', async (kind) => {
    const { discriminator } = gan(kind);
    const x = input();
    let output: Tensor | undefined;
    const { kernels } = await profileStep(() => {
      output = discriminator.apply(x);
    });
    const logit = logitOf(output!);
    expect(logit).not.toBe(output);
    expect(logit.shape).toEqual([2, 1]);
    expect(logitOf(output!)).toBe(logit);
    // One forward: its products only, no second pass for the logit.
    expect(countKernelFlops(kernels).flops).toBe(forwardFlops);
    values(tf.sigmoid(logit)).forEach((value, i) => expect(value).toBeCloseTo(values(output!)[i]!, 6));
    discriminator.dispose();
  });

  it('without R1 D keeps none, and asking for it says why', () => {
    const { discriminator } = gan('none');
    const output = discriminator.apply(input());
    expect(keptLogit(output)).toBeUndefined();
    expect(() => logitOf(output)).toThrow("this output's forward kept no logit: D keeps its pre-sigmoid logit only under an R1 regularizer");
    discriminator.dispose();
  });
});

describe("a linear output's logit", () => {
  it('is the output itself', () => {
    const critic = createMlp({ name: 'D', widths: [4, 5, 1], activation: 'leakyRelu', outputActivation: 'linear', seed: 1, keepLogit: true });
    const output = critic.apply(tf.ones([2, 4]));
    expect(logitOf(output)).toBe(output);
    critic.dispose();
  });
});
