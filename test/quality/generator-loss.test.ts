import { beforeAll, describe, expect, it } from 'vitest';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { binaryCrossEntropy } from '../../src/models/loss.js';
import { parseScenario } from '../../src/scenario/load.js';
import { createStepRunner } from '../../src/models/step-runner.js';
import { RUNNABLE_STRATEGY_IDS, strategies } from '../../src/strategies/index.js';
import type { StepContext } from '../../src/strategies/strategy.js';
import { tf, type Tensor } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

type Term = 'D on real' | 'D on fake' | 'G';

/** Every adversarialLoss call of one step: which term it is (told apart by the test itself) and its value. */
async function lossCalls(generatorLoss: 'minimax' | 'non-saturating', id: (typeof RUNNABLE_STRATEGY_IDS)[number]) {
  const scenario = parseScenario({ ...tiny, loss: { generator: generatorLoss } }, 'tiny');
  const gan = createGan(scenario);
  const [batch] = createBatches(scenario, 1);
  const calls: Array<{ term: Term; value: number; bce: number; bceAgainstFake: number }> = [];
  const customize = (ctx: StepContext): StepContext => {
    const onReal = new Set<Tensor>();
    const discriminator = Object.assign(
      (input: Tensor) => {
        const output = ctx.discriminator(input);
        if (input === batch!.realImgs) onReal.add(output);
        return output;
      },
      { network: ctx.discriminator.network, parameters: ctx.discriminator.parameters, requiresGrad_: ctx.discriminator.requiresGrad_ },
    );
    return {
      ...ctx,
      discriminator,
      adversarialLoss(prediction, target) {
        const loss = ctx.adversarialLoss(prediction, target);
        const term: Term = target === batch!.fake ? 'D on fake' : onReal.has(prediction) ? 'D on real' : 'G';
        calls.push({
          term,
          value: loss.dataSync()[0]!,
          bce: binaryCrossEntropy(prediction, target).dataSync()[0]!,
          bceAgainstFake: binaryCrossEntropy(prediction, batch!.fake).dataSync()[0]!,
        });
        return loss;
      },
    };
  };
  try {
    createStepRunner(gan, undefined, customize)(strategies[id], batch!);
  } finally {
    disposeBatches([batch!]);
    gan.dispose();
  }
  return calls;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("the scenario's G loss reaches G's loss term only", () => {
  for (const id of RUNNABLE_STRATEGY_IDS) {
    it(`${id}: with 'minimax', G's term is -BCE(D(G(z)), fake) and both D terms are BCE, untouched`, async () => {
      const calls = await lossCalls('minimax', id);
      expect(calls.map((call) => call.term).sort()).toEqual(['D on fake', 'D on real', 'G']);
      for (const call of calls) {
        if (call.term === 'G') expect(call.value).toBe(-call.bceAgainstFake);
        else expect(call.value).toBe(call.bce);
      }
    });

    it(`${id}: with 'non-saturating' (the default), every term is BCE`, async () => {
      const calls = await lossCalls('non-saturating', id);
      expect(calls).toHaveLength(3);
      for (const call of calls) expect(call.value).toBe(call.bce);
    });
  }
});
