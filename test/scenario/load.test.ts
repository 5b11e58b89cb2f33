import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATEGY_IDS } from '../../src/strategies/index.js';
import { loadScenario, ScenarioError, scenarioFileOf } from '../../src/scenario/load.js';
import type { MlpGenerator } from '../../src/scenario/schema.js';

const valid = {
  name: 'ok',
  description: 'a valid scenario',
  generator: { latentSize: 2, hidden: [3], outputSize: 4 },
  discriminator: { hidden: [5] },
  data: { shape: [4] },
  batchSize: 2,
};

async function scenarioFile(source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
  const file = join(dir, 'scenario.ts');
  await writeFile(file, source);
  return file;
}

const exportsObject = (value: unknown) => scenarioFile(`export default ${JSON.stringify(value)};\n`);

describe('loadScenario', () => {
  it('fills in the defaults: all strategies, backend auto, Adam 2e-4 with betas 0.5/0.999', async () => {
    const scenario = await loadScenario(await exportsObject(valid));
    expect(scenario.strategies).toEqual([...STRATEGY_IDS]);
    expect(scenario.backend).toBe('auto');
    expect(scenario.optimizer).toEqual({ name: 'adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
    expect((scenario.generator as MlpGenerator).activation).toBe('leakyRelu');
  });

  it('names the file and the field path of a value of the wrong type', async () => {
    const file = await exportsObject({ ...valid, batchSize: 'sixty-four' });
    const error = await loadScenario(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/batchSize/);
  });

  it('rejects an unknown field, naming it', async () => {
    const file = await exportsObject({ ...valid, generator: { ...valid.generator, hiden: [3] } });
    await expect(loadScenario(file)).rejects.toThrow(/hiden/);
  });

  it('rejects an unknown strategy, naming the field', async () => {
    const file = await exportsObject({ ...valid, strategies: ['retain-graph', 'g-last'] });
    await expect(loadScenario(file)).rejects.toThrow(/strategies/);
  });

  it('checks that the generator output matches the data shape', async () => {
    const file = await exportsObject({ ...valid, data: { shape: [2, 3] } });
    await expect(loadScenario(file)).rejects.toThrow(/2x3 = 6[\s\S]*at generator\.outputSize/);
  });

  it('says so when the file has no default export', async () => {
    const file = await scenarioFile('export const scenario = {};\n');
    await expect(loadScenario(file)).rejects.toThrow(/no default export/);
  });

  it('says so when the file does not exist', async () => {
    await expect(loadScenario('scenarios/nope.ts')).rejects.toThrow(/scenarios\/nope\.ts: no such file/);
  });

  it('says so when the file does not compile, keeping the cause', async () => {
    const file = await scenarioFile('export default {{ not typescript\n');
    const error = (await loadScenario(file).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/could not be imported/);
    expect(error.cause).toBeDefined();
  });
});

describe('scenarioFileOf', () => {
  const file = '/work/scenarios/late.ts';
  const thrownAt = (frame: string) => Object.assign(new Error('boom'), { stack: `Error: boom\n    at ${frame}\n    at listOnTimeout (node:internal/timers:581:17)` });

  it('finds the scenario file an error was thrown in from its stack, as a path or a file URL', () => {
    expect(scenarioFileOf(thrownAt(`Timeout._onTimeout (${file}:2:33)`), ['/work/scenarios/other.ts', file])).toBe(file);
    expect(scenarioFileOf(thrownAt(`file://${file}:2:33`), [file])).toBe(file);
  });

  it('finds none for a stack that names no scenario file, a file whose name only starts the same, or a value without a stack', () => {
    expect(scenarioFileOf(thrownAt('JSON.parse (<anonymous>)'), [file])).toBeNull();
    expect(scenarioFileOf(thrownAt('Timeout._onTimeout (/work/scenarios/late.ts.bak:2:33)'), [file])).toBeNull();
    expect(scenarioFileOf(Object.assign(new Error(`in ${file}:2:3`), { stack: `Error: in ${file}:2:3` }), [file])).toBeNull();
    expect(scenarioFileOf('boom', [file])).toBeNull();
  });
});

describe("the measure section's caps", () => {
  it('refuses minSamples: 1e15, which would time for years, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'huge-samples.ts');
    await writeFile(file, `export default ${JSON.stringify({ ...valid, measure: { minSamples: 1e15 } })};\n`);
    await expect(loadScenario(file)).rejects.toThrow(/invalid scenario[\s\S]*→ at measure\.minSamples/);
  });
});
