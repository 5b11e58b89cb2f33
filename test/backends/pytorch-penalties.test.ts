import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython, startPytorchWorker, type StartedPytorch } from '../../src/backends/pytorch/index.js';
import { observeStep } from '../../src/measure/observe.js';
import { recordObservedStep, type StepRecord } from '../../src/measure/record.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { loadScenario } from '../../src/scenario/load.js';
import { isWassersteinGp, type Regularizer } from '../../src/scenario/regularizer.js';
import { messageOf } from '../../src/errors.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { AS_PRINTED_STRATEGY_IDS, RUNNABLE_STRATEGY_IDS, STRATEGY_IDS, strategies, type StrategyId } from '../../src/strategies/index.js';
import { judgeStep } from '../../src/strategies/outcome.js';
import { tf } from '../../src/tf.js';

// The worker on the machine's PyTorch (.venv's 2.x, or GAN_BENCH_PYTHON's: Debian's 1.13); skipped without one.
const python = await findPython().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
const hasTorch = typeof python !== 'string';

const COUNTED = [
  'generatorForwards',
  'discriminatorForwards',
  'generatorBackwards',
  'discriminatorBackwards',
  'generatorDoubleBackwards',
  'discriminatorDoubleBackwards',
  'backwardCalls',
  'wastedGradientElements',
  'flops',
] as const;

async function tfjsRecord(scenario: Scenario, id: StrategyId): Promise<StepRecord> {
  const gan = createGan(scenario);
  const batches = createBatches(scenario, 2);
  try {
    return recordObservedStep(await observeStep(gan, strategies[id], batches[0]!, batches[1]!));
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

// small-d under every penalty; the tiny conv net (BatchNorm, a sigmoid before D's flatten) under R1, whose logit a
// convolutional D keeps before the flatten.
const CASES: Array<{ kind: Regularizer; file: string }> = [
  ...(['r1', 'r1-lazy', 'wgan-gp', 'wgan-gp-detached'] as const).map((kind) => ({ kind, file: 'scenarios/ci/small-d.ts' })),
  ...(['r1', 'r1-lazy'] as const).map((kind) => ({ kind, file: 'test/fixtures/tiny-conv.ts' })),
];

describe.skipIf(!hasTorch).each(CASES)('the PyTorch worker and tfjs under $kind on $file', ({ kind, file }) => {
  let scenario: Scenario;
  let pytorch: StartedPytorch;
  const tfjs = new Map<StrategyId, StepRecord | string>();
  const wasserstein = isWassersteinGp(kind);
  // WGAN-GP's loop is critic steps, then G's: the strategies whose one forward serves both losses do not fit it.
  const fits = (id: StrategyId) => !wasserstein || !['retain-graph', 'single-forward'].includes(id);

  beforeAll(async () => {
    const loaded = await loadScenario(file);
    scenario = { ...loaded, regularizer: { ...loaded.regularizer, kind } };
    await tf.setBackend('cpu');
    for (const id of STRATEGY_IDS) tfjs.set(id, await tfjsRecord(scenario, id).catch((error: unknown) => messageOf(error)));
    pytorch = await startPytorchWorker();
    await pytorch.worker.request('setup', { scenario, strategies: [...STRATEGY_IDS], referenceStrategy: 'retain-graph', batchPool: 4 });
  }, 120_000);
  afterAll(async () => {
    await pytorch?.worker.close();
    tf.disposeVariables();
  });

  it.each(RUNNABLE_STRATEGY_IDS)('%s: FLOPs, passes, double backwards, backward calls and wasted gradients are equal', async (id) => {
    if (!fits(id)) {
      // Both backends refuse in the same words, the cell's one line.
      const refusal = `regularizer ${kind} does not fit this strategy: its one forward serves D's loss and G's loss, and WGAN-GP takes nCritic (5) critic steps per generator step`;
      expect(tfjs.get(id)).toBe(refusal);
      await expect(pytorch.worker.request('observe', { strategy: id })).rejects.toThrow(refusal);
      return;
    }
    const record = await pytorch.worker.request('observe', { strategy: id });
    const expected = tfjs.get(id) as StepRecord;
    // Passes included: lazy R1's phase too, whose backward reaches neither D(real)'s output nor its logit on either
    // backend (R1 differentiates the logit, so no sigmoid derivative leads back into the output layer).
    for (const field of COUNTED) expect(record[field], field).toBe(expected[field]);
    expect(record.forwards).toEqual(expected.forwards);
    expect(record.backwards).toEqual(expected.backwards);
    expect(record.doubleBackwards).toEqual(expected.doubleBackwards);
    // Every strategy's observed step runs R1 (or lazy R1's phase) once: one double backward through D; WGAN-GP's
    // step one per critic step.
    expect(record.discriminatorDoubleBackwards).toBe(wasserstein ? 5 : 1);
    expect(record.leakedTensors).toBe(0);
  });

  it.each(AS_PRINTED_STRATEGY_IDS)("%s, the post's code as printed, is refused in the same one line on both backends", async (id) => {
    const refusal = `regularizer ${kind} does not apply to the post's code as printed, which has no gradient penalty form`;
    expect(tfjs.get(id)).toBe(refusal);
    const error = await pytorch.worker.request('observe', { strategy: id }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(messageOf(error)).toBe(`RuntimeError: ${refusal}`);
    // The cell, as the runner judges it: the same sentence from either backend.
    expect(judgeStep(strategies[id], error, kind)).toEqual({ status: 'refused', error: refusal });
    expect(judgeStep(strategies[id], new Error(tfjs.get(id) as string), kind)).toEqual({ status: 'refused', error: refusal });
  });
});
