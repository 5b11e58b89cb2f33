import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOutputDir, writeReport, writeRun } from '../../src/cli/output.js';
import { makeCells, makeRun, makeScenario } from '../report/fixtures.js';

const date = new Date('2026-11-27T13:45:02.123Z');

describe('defaultOutputDir', () => {
  it('names a run by its scenarios and the time to the second', () => {
    expect(defaultOutputDir(['small-d'], date)).toBe('results/small-d-2026-11-27T13-45-02');
    expect(defaultOutputDir(['a', 'b', 'c'], date)).toBe('results/a+b+c-2026-11-27T13-45-02');
  });

  it('names three scenarios and counts the rest, so that 25 files make a valid folder name', () => {
    const names = Array.from({ length: 25 }, (_, i) => `scenario-number-${i}`);
    const dir = defaultOutputDir(names, date);
    expect(dir).toBe('results/scenario-number-0+scenario-number-1+scenario-number-2+22-more-2026-11-27T13-45-02');
    expect(basename(dir).length).toBeLessThanOrEqual(100);
  });

  it('cuts a 260-character name and keeps the timestamp', () => {
    const dir = defaultOutputDir(['a'.repeat(260)], date);
    expect(basename(dir)).toBe(`${'a'.repeat(80)}-2026-11-27T13-45-02`);
  });

  it('names an empty shard', () => {
    expect(defaultOutputDir([], date)).toBe('results/no-scenario-2026-11-27T13-45-02');
  });
});

describe('writeReport', () => {
  it("writes a sweep's crossover chart beside the report and removes one that no sweep of this run has", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'output-'));
    await writeFile(join(dir, 'crossover-old-sweep.svg'), '<svg/>');
    const variants = ['a', 'b'].map((name, index) =>
      makeScenario({ name, discriminatorMacsPerSample: 100 * (index + 1), sweep: { name: 'cross', values: { discriminatorWidth: index } } }),
    );
    const cells = variants.flatMap((variant) => makeCells().map((cell) => ({ ...cell, scenario: variant.name })));
    const written = await writeReport(dir, makeRun({ scenarios: variants, cells }));
    expect(written).toContain(join(dir, 'crossover-cross.svg'));
    expect(existsSync(join(dir, 'crossover-old-sweep.svg'))).toBe(false);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('](crossover-cross.svg)');
    await writeReport(dir, makeRun());
    expect(existsSync(join(dir, 'crossover-cross.svg'))).toBe(false);
  });
});

describe('writeRun of thousands of cells', () => {
  it('writes the report of 1500 scenarios (6000 cells) in seconds, leaving out the charts vega cannot draw', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'output-'));
    const base = makeRun();
    const scenarios = Array.from({ length: 1500 }, (_, i) => ({ ...base.scenarios[0]!, name: `s${i}` }));
    const cells = scenarios.flatMap(({ name }) => makeCells().map((cell) => ({ ...cell, scenario: name })));
    const started = Date.now();
    const written = await writeRun(dir, makeRun({ scenarios, cells }));
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(written).toEqual(expect.arrayContaining([join(dir, 'results.json'), join(dir, 'results.csv'), join(dir, 'report.md')]));
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toContain('s1499');
    for (const chart of written.filter((path) => path.endsWith('.svg'))) expect(report).toContain(`](${basename(chart)})`);
  }, 120_000);
});
