import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, loadScenarioFile, ScenarioError } from '../../src/scenario/load.js';
import { defineSweep, expandSweep, isSweep, SweepError, type SweepInput } from '../../src/scenario/sweep.js';
import { STRATEGY_IDS } from '../../src/strategies/ids.js';
import { scenarioLayers } from '../../src/results/cell.js';
import { macsPerSample } from '../../src/models/mlp.js';
import type { MlpDiscriminator } from '../../src/scenario/schema.js';

const base: SweepInput['base'] = {
  generator: { latentSize: 2, hidden: [3], outputSize: 4 },
  discriminator: { hidden: [5, 5] },
  data: { shape: [4] },
  batchSize: 2,
};

const sweep = (overrides: Partial<SweepInput> = {}) => defineSweep({ name: 'cross', description: 'A sweep.', base, axes: { discriminatorWidth: [8, 16] }, ...overrides });

/** The error expandSweep throws for this value. */
function errorOf(value: unknown): SweepError {
  try {
    expandSweep(value);
  } catch (error) {
    if (error instanceof SweepError) return error;
    throw error;
  }
  throw new Error('expandSweep did not throw');
}

describe('expandSweep', () => {
  it('names every combination of the axes after its values, batch sizes outermost, widths innermost', () => {
    const variants = expandSweep(sweep({ axes: { discriminatorWidth: [8, 16], batchSize: [4, 32] } }));
    expect(variants.map(({ scenario }) => scenario.name)).toEqual(['cross-d8x2-b4', 'cross-d16x2-b4', 'cross-d8x2-b32', 'cross-d16x2-b32']);
    expect(variants.map(({ scenario }) => [(scenario.discriminator as MlpDiscriminator).hidden, scenario.batchSize])).toEqual([
      [[8, 8], 4],
      [[16, 16], 4],
      [[8, 8], 32],
      [[16, 16], 32],
    ]);
    expect(variants[2]!.sweep).toEqual({ name: 'cross', values: { batchSize: 32, discriminatorWidth: 8 } });
    expect(variants[2]!.scenario.description).toBe('A sweep. (D hidden 2 x 8, batch 32)');
  });

  it('takes what the axes leave out from base, and fills in the scenario defaults', () => {
    const [variant] = expandSweep(sweep({ axes: { discriminatorWidth: [8] } }));
    // D's depth is base's two hidden layers; the batch size is base's; the name says D only.
    expect(variant!.scenario).toMatchObject({ name: 'cross-d8x2', batchSize: 2, backend: 'auto', strategies: [...STRATEGY_IDS] });
    expect(variant!.scenario.discriminator).toEqual({ hidden: [8, 8], activation: 'leakyRelu', bias: true });
    expect(variant!.sweep.values).toEqual({ discriminatorWidth: 8 });
    const byDepth = expandSweep(sweep({ axes: { discriminatorDepth: [1, 3] } }));
    expect(byDepth.map(({ scenario }) => [scenario.name, (scenario.discriminator as MlpDiscriminator).hidden])).toEqual([
      ['cross-d5x1', [5]],
      ['cross-d5x3', [5, 5, 5]],
    ]);
    const byBatch = expandSweep(sweep({ axes: { batchSize: [8] } }));
    expect(byBatch.map(({ scenario }) => [scenario.name, (scenario.discriminator as MlpDiscriminator).hidden, scenario.batchSize])).toEqual([['cross-b8', [5, 5], 8]]);
  });

  it("names the sweep's own field at fault", () => {
    expect(errorOf(sweep({ axes: { discriminatorWidth: [8, 8] } })).message).toMatch(/lists a value twice\s+→ at axes\.discriminatorWidth/);
    expect(errorOf(sweep({ axes: { discriminatorWidth: [0] } })).message).toMatch(/→ at axes\.discriminatorWidth\[0\]/);
    expect(errorOf(sweep({ axes: {} })).message).toMatch(/name at least one axis to vary[\s\S]*→ at axes/);
    expect(errorOf({ ...sweep(), axes: { discriminatorWidths: [8] } }).message).toMatch(/discriminatorWidths/);
    expect(errorOf(sweep({ name: 'Cross' })).message).toMatch(/lower-case[\s\S]*→ at name/);
    expect(errorOf({ ...sweep(), base: { ...base, name: 'x' } }).message).toMatch(/leave it out of base\s+→ at base\.name/);
  });

  it('names base or the axis for a field that no variant can use, and the variant it was found in', () => {
    const wrongSeed = errorOf(sweep({ base: { ...base, seed: -1 } })).message;
    expect(wrongSeed).toMatch(/^invalid sweep \(in its variant cross-d8x2\)/);
    expect(wrongSeed).toMatch(/→ at base\.seed/);
    expect(errorOf(sweep({ base: { ...base, generator: { ...base.generator, latentSize: 0 } } })).message).toMatch(/→ at base\.generator\.latentSize/);
    // 1 << 17 is a valid axis value for a batch but not a valid batch size: the axis is at fault.
    expect(errorOf(sweep({ axes: { batchSize: [2, 1 << 17] } })).message).toMatch(/variant cross-b131072[\s\S]*→ at axes\.batchSize/);
  });

  it('needs a width or a uniform base where only one of D width and depth varies', () => {
    expect(errorOf(sweep({ base: { ...base, discriminator: { hidden: [] } }, axes: { discriminatorWidth: [8] } })).message).toMatch(
      /no layer to widen[\s\S]*→ at axes\.discriminatorWidth/,
    );
    expect(errorOf(sweep({ base: { ...base, discriminator: { hidden: [5, 6] } }, axes: { discriminatorDepth: [2] } })).message).toMatch(
      /\[5,6\]\) is not one width repeated[\s\S]*→ at axes\.discriminatorDepth/,
    );
    // Both given: base's hidden layers do not matter.
    const both = expandSweep(sweep({ base: { ...base, discriminator: { hidden: [5, 6] } }, axes: { discriminatorWidth: [7], discriminatorDepth: [3] } }));
    expect(both.map(({ scenario }) => [scenario.name, (scenario.discriminator as MlpDiscriminator).hidden])).toEqual([['cross-d7x3', [7, 7, 7]]]);
  });
});

describe('isSweep', () => {
  it("tells a sweep from a scenario by defineSweep's mark, or by its axes or base", () => {
    expect(isSweep(sweep())).toBe(true);
    expect(isSweep({ name: 'x', axes: {} })).toBe(true);
    expect(isSweep({ name: 'x', base: {} })).toBe(true);
    expect(isSweep({ name: 'x', generator: {} })).toBe(false);
    expect(isSweep(null)).toBe(false);
  });
});

describe('loadScenarioFile', () => {
  const file = async (source: string) => {
    const path = join(await mkdtemp(join(tmpdir(), 'sweep-')), 'sweep.ts');
    await writeFile(path, source);
    return path;
  };

  it("expands a sweep file into its variants, and a scenario file into its one scenario", async () => {
    const path = await file(`export default ${JSON.stringify(sweep())};\n`);
    const variants = await loadScenarioFile(path);
    expect(variants.map(({ scenario, sweep }) => [scenario.name, sweep?.values])).toEqual([
      ['cross-d8x2', { discriminatorWidth: 8 }],
      ['cross-d16x2', { discriminatorWidth: 16 }],
    ]);
    const scenario = await loadScenarioFile(await file(`export default ${JSON.stringify({ ...base, name: 'one', description: 'x' })};\n`));
    expect(scenario).toEqual([{ scenario: expect.objectContaining({ name: 'one' }) }]);
  });

  it('names the file and the field of a bad sweep; loadScenario refuses a sweep', async () => {
    const path = await file(`export default ${JSON.stringify(sweep({ axes: { batchSize: [] } }))};\n`);
    const error = await loadScenarioFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toMatch(new RegExp(`^${path}: invalid sweep[\\s\\S]*→ at axes\\.batchSize`));
    await expect(loadScenario(await file(`export default ${JSON.stringify(sweep())};\n`))).rejects.toThrow(/is a sweep, not one scenario/);
  });
});

describe('scenarios/crossover.ts', () => {
  it('holds G fixed and spans D/G from about 1/32 to 32 at two batch sizes, never exactly 1', async () => {
    const variants = await loadScenarioFile('scenarios/crossover.ts');
    expect(variants).toHaveLength(12);
    const ratios = variants.map(({ scenario }) => {
      const layers = scenarioLayers(scenario);
      return macsPerSample(layers.discriminator) / macsPerSample(layers.generator);
    });
    expect(new Set(variants.map(({ scenario }) => macsPerSample(scenarioLayers(scenario).generator)))).toEqual(new Set([108_544]));
    expect(new Set(variants.map(({ scenario }) => scenario.batchSize))).toEqual(new Set([64, 256]));
    expect(Math.min(...ratios)).toBeLessThan(1 / 30);
    expect(Math.max(...ratios)).toBeGreaterThan(30);
    expect(ratios.some((ratio) => ratio === 1)).toBe(false);
    expect(variants[3]!.scenario.name).toBe('crossover-d217x2-b64');
    expect(variants[3]!.scenario.strategies).toEqual(expect.arrayContaining(['retain-graph', 'g-first']));
  });
});
