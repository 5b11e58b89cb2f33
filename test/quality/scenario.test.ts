import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGan } from '../../src/models/gan.js';
import { createMlp } from '../../src/models/mlp.js';
import { createSgd } from '../../src/models/sgd.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/load.js';
import { tf } from '../../src/tf.js';
import tiny from '../fixtures/tiny.js';
import type { MlpGenerator } from '../../src/scenario/schema.js';

const files = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.ts')).map((file) => join(dir, file));
const quality = { steps: 10, evaluateEvery: 5, threshold: { metric: 'modes', value: 8, direction: 'above' } } as const;
const ring = { ...tiny, generator: { latentSize: 2, hidden: [3], outputSize: 2 }, data: { shape: [2], source: 'ring' } } as const;
const errorOf = (value: unknown) => {
  try {
    parseScenario(value, 'x.ts');
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the scenario schema for training to a result', () => {
  it('keeps every existing scenario valid, and the defaults of the new fields are what bench always did', async () => {
    for (const file of [...files('scenarios'), ...files('scenarios/ci'), ...files('scenarios/quality'), ...files('scenarios/quality/ci')]) {
      // A sweep file expands into scenarios: every one of them must be valid too.
      await expect(loadScenarioFile(file), file).resolves.not.toHaveLength(0);
    }
    const scenario = parseScenario(tiny, 'tiny');
    expect(scenario.data.source).toBe('uniform');
    expect(scenario.loss.generator).toBe('non-saturating');
    expect((scenario.generator as MlpGenerator).bias).toBe(true);
    expect((scenario.generator as MlpGenerator).initialValue).toBeUndefined();
    expect(scenario.quality).toBeUndefined();
    expect(scenario.optimizer).toEqual({ name: 'adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
  });

  it('fills in a quality section: 5 seeds, 2,500 samples, the metrics of the source', () => {
    const scenario = parseScenario({ ...ring, quality }, 'ring');
    expect(scenario.quality).toMatchObject({ seeds: 5, samples: 2500 });
    expect(scenario.quality!.metrics).toBeUndefined(); // the run takes every metric of the source
  });

  it('names the field at fault', () => {
    expect(errorOf({ ...ring, data: { shape: [3], source: 'ring' }, generator: { ...ring.generator, outputSize: 3 } })).toMatch(/must be \[2\] for the ring source[\s\S]*at data\.shape/);
    expect(errorOf({ ...ring, quality: { ...quality, threshold: { ...quality.threshold, metric: 'frechet-distance' } } })).toMatch(/'frechet-distance' is not among the metrics computed[\s\S]*at quality\.threshold\.metric/);
    expect(errorOf({ ...ring, quality: { ...quality, metrics: ['classes'] } })).toMatch(/'classes' is not a metric of the ring source[\s\S]*at quality\.metrics\[0\]/);
    expect(errorOf({ ...tiny, quality })).toMatch(/'uniform' has no quality metric[\s\S]*at data\.source/);
    expect(errorOf({ ...ring, quality: { ...quality, evaluateEvery: 11 } })).toMatch(/must be at most steps \(10\)[\s\S]*at quality\.evaluateEvery/);
    expect(errorOf({ ...ring, optimizer: { name: 'sgd', learningRate: 0.1, beta1: 0.5 } })).toMatch(/Unrecognized key: "beta1"[\s\S]*at optimizer/);
    expect(errorOf({ ...ring, loss: { generator: 'wasserstein' } })).toMatch(/at loss\.generator/);
    expect(errorOf({ ...ring, quality: { ...quality, classifier: { conv: [], dense: [], epochs: 1, batchSize: 8, learningRate: 1 } } })).toMatch(/is for the mnist source only/);
  });
});

describe('the models the Dirac-GAN needs', () => {
  it('SGD is param -= lr * grad, exactly, and D can have its own rate', async () => {
    const weight = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const sgd = createSgd([weight], { learningRate: 0.25 });
    sgd.step(new Map([[weight, tf.tensor1d([4, 8, -2])]]));
    expect([...(await weight.data())]).toEqual([0, -4, 1]);
    expect(sgd.steps).toBe(1);
    sgd.dispose();

    const scenario = parseScenario({ ...tiny, optimizer: { name: 'sgd', learningRate: 0.5, discriminatorLearningRate: 1 } }, 'tiny');
    const gan = createGan(scenario);
    const before = await gan.discriminator.variables[0]!.data();
    const ones = (variable: tf.Variable) => [variable, tf.onesLike(variable)] as const;
    gan.discriminatorOptimizer.step(new Map(gan.discriminator.variables.map(ones)));
    const after = await gan.discriminator.variables[0]!.data();
    expect([...after]).toEqual([...before].map((value) => Math.fround(value - 1)));
    gan.dispose();
  });

  it('an MLP without biases has kernels only; an initial value fills every weight', async () => {
    const mlp = createMlp({ name: 'D', widths: [1, 1], activation: 'linear', outputActivation: 'sigmoid', seed: 1, bias: false, initialValue: 1 });
    expect(mlp.parameters.map((parameter) => parameter.name)).toEqual(['D/dense0/kernel']);
    expect(mlp.layers).toEqual([{ inputSize: 1, outputSize: 1, bias: false }]);
    expect([...(await mlp.apply(tf.tensor2d([[2]])).data())]).toEqual([Math.fround(1 / (1 + Math.exp(-2)))]);
    mlp.dispose();
    const withBias = createMlp({ name: 'G', widths: [2, 3, 1], activation: 'relu', outputActivation: 'linear', seed: 1, initialValue: 0.5 });
    expect(withBias.parameters.map((parameter) => parameter.name)).toEqual(['G/dense0/kernel', 'G/dense0/bias', 'G/dense1/kernel', 'G/dense1/bias']);
    expect([...(await withBias.variables[1]!.data())]).toEqual([0.5, 0.5, 0.5]);
    withBias.dispose();
  });
});
