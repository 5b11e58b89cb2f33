import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutogradError } from '../../src/autograd/errors.js';
import { startBackend } from '../../src/backends/index.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { createStepRunner } from '../../src/models/step-runner.js';
import { strategies, type StrategyId } from '../../src/strategies/index.js';
import { judgeStep } from '../../src/strategies/outcome.js';
import type { StepContext } from '../../src/strategies/strategy.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';

const scenario = parseScenario(tiny, 'test/fixtures/tiny.ts');

const FREED = 'Trying to backward through the graph a second time';

/** Runs one step of `id` on a fresh tiny GAN, with the context changed by `customize`; returns what it threw. */
function stepError(id: StrategyId, customize?: (ctx: StepContext) => StepContext): unknown {
  const gan = createGan(scenario);
  const batches = createBatches(scenario, 1);
  const before = tf.memory().numTensors;
  const parameters = [...gan.generator.parameters, ...gan.discriminator.parameters];
  try {
    createStepRunner(gan, undefined, customize)(strategies[id], batches[0]!);
    // What `.grad` holds outlives the step, as in PyTorch; nothing else does.
    const held = parameters.filter((parameter) => parameter.grad !== null).length;
    expect(tf.memory().numTensors).toBe(before + held);
    return null;
  } catch (error) {
    // A step that raised leaves nothing behind: its graph and every gradient are freed.
    expect(tf.memory().numTensors).toBe(before);
    return error;
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

const withoutDetach = (ctx: StepContext): StepContext => ({ ...ctx, detach: (x) => x });
const withoutRetainGraph = (ctx: StepContext): StepContext => ({
  ...ctx,
  backward: (loss) => ctx.backward(loss),
  grad: (loss, inputs) => ctx.grad(loss, inputs),
});

describe('detach and retain_graph do in the strategies what they do in PyTorch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => tf.disposeVariables());

  it.each(['retain-graph', 'detach-d-first', 'g-first', 'single-forward', 'frozen-d'] as const)('%s trains as written', (id) => {
    expect(stepError(id)).toBeNull();
  });

  it.each(['g-first', 'detach-d-first'] as const)(
    "%s without its detach raises PyTorch's 'backward through the graph a second time'",
    (id) => {
      const error = stepError(id, withoutDetach);
      expect(error).toBeInstanceOf(AutogradError);
      expect((error as Error).message).toContain(FREED);
    },
  );

  it.each(['retain-graph', 'single-forward'] as const)(
    "%s without retain_graph raises PyTorch's 'backward through the graph a second time'",
    (id) => {
      expect((stepError(id, withoutRetainGraph) as Error).message).toContain(FREED);
    },
  );

  it("the post's strategy 1 as printed raises PyTorch's in-place error for D's last weight, at versions 2 and 1", () => {
    const error = stepError('retain-graph-printed');
    expect((error as Error).message).toBe(
      'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
        '[float32 [5, 1] D/dense1/kernel] is at version 2; expected version 1 instead. Hint: enable anomaly ' +
        'detection to find the operation that failed to compute its gradient, with ' +
        'torch.autograd.set_detect_anomaly(True).',
    );
    expect(judgeStep(strategies['retain-graph-printed'], error).status).toBe('raised');
  });

  it("the post's strategy 2 as printed raises PyTorch's freed-graph error", () => {
    const error = stepError('detach-d-first-printed');
    expect((error as Error).message).toContain(FREED);
    expect(judgeStep(strategies['detach-d-first-printed'], error).status).toBe('raised');
  });

  it('a printed strategy that runs through, or raises another error, is a failure, not a raise', () => {
    const printed = strategies['retain-graph-printed'];
    expect(judgeStep(printed)).toMatchObject({ status: 'errored', error: expect.stringContaining('but the step ran to the end') });
    expect(judgeStep(printed, new Error(`${FREED} ...`)).status).toBe('errored');
    expect(judgeStep(strategies['g-first'], new Error('boom'))).toEqual({ status: 'errored', error: 'boom' });
    // A regularizer's refusal of a strategy it has no form of is no failure, from either backend; a look-alike is.
    const misfit = "regularizer wgan-gp does not fit this strategy: its one forward serves D's loss and G's loss, and WGAN-GP takes nCritic (5) critic steps per generator step";
    expect(judgeStep(strategies['retain-graph'], new Error(misfit), 'wgan-gp')).toEqual({ status: 'refused', error: misfit });
    expect(judgeStep(strategies['retain-graph'], new Error(`RuntimeError: ${misfit}`), 'wgan-gp').status).toBe('refused');
    expect(judgeStep(strategies['retain-graph'], new Error(`ValueError: in regularizer wgan-gp does not fit this strategy: x`), 'wgan-gp').status).toBe('errored');
    expect(judgeStep(strategies['g-first'])).toEqual({ status: 'ok', error: null });
  });

  it.each(['r1', 'r1-lazy', 'wgan-gp', 'wgan-gp-detached'] as const)(
    "under %s the post's printed code is refused in one line, the same whichever backend refused it",
    (kind) => {
      const refusal = `regularizer ${kind} does not apply to the post's code as printed, which has no gradient penalty form`;
      const regularized = { ...scenario, regularizer: { ...scenario.regularizer, kind } };
      for (const id of ['retain-graph-printed', 'detach-d-first-printed'] as const) {
        const gan = createGan(regularized);
        const batches = createBatches(regularized, 1);
        let thrown: unknown;
        try {
          createStepRunner(gan)(strategies[id], batches[0]!);
        } catch (error) {
          thrown = error;
        } finally {
          disposeBatches(batches);
          gan.dispose();
        }
        expect((thrown as Error).message).toBe(refusal);
        expect(judgeStep(strategies[id], thrown, kind)).toEqual({ status: 'refused', error: refusal });
        // The worker's refusal arrives with its Python type in front; the cell says the same sentence.
        expect(judgeStep(strategies[id], new Error(`RuntimeError: ${refusal}`), kind)).toEqual({ status: 'refused', error: refusal });
        // Running the listing's plain step under the regularizer's key would be a failure, not its outcome.
        expect(judgeStep(strategies[id], new Error(`${FREED} ...`), kind).error).toMatch(/^expected "regularizer .*", got: Trying/);
      }
    },
  );
});

describe("the post's printed code raises PyTorch's errors on every tfjs backend", () => {
  // wasm's Identity copies the tensors a kernel saves, so a saved parameter is not the parameter's buffer there:
  // the graph must know it from the kernel's inputs, or strategy 1 as printed would run through on wasm.
  it.each(['cpu', 'wasm', 'webgpu'] as const)('on %s', async (backend) => {
    await startBackend(backend);
    try {
      expect((stepError('retain-graph-printed') as Error).message).toMatch(
        /^one of the variables needed for gradient computation has been modified by an inplace operation: \[float32 \[5, 1\] D\/dense1\/kernel\]/,
      );
      expect((stepError('detach-d-first-printed') as Error).message).toContain(FREED);
      expect(stepError('g-first', withoutDetach)).toBeInstanceOf(AutogradError);
      expect(stepError('g-first')).toBeNull();
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
