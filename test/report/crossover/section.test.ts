import { describe, expect, it } from 'vitest';
import { crossoverChartRows, crossoverChartSpec, crossoverChartSpecs } from '../../../src/report/crossover/chart.js';
import { crossoverGroups, renderCrossoverSection, sweepsOf } from '../../../src/report/crossover/section.js';
import { renderSvg } from '../../../src/report/charts/charts.js';
import { renderReport } from '../../../src/report/markdown.js';
import type { TaggedCell } from '../../../src/report/merge.js';
import type { StrategyId } from '../../../src/strategies/ids.js';
import type { CellResult, ScenarioSummary } from '../../../src/types.js';
import { makeCell, makeRun, makeScenario, makeTiming } from '../fixtures.js';

/** A variant of the sweep `cross` with G 100 MACs per sample and D `d`. */
const variant = (d: number, batchSize: number): ScenarioSummary =>
  makeScenario({
    name: `cross-d${d}-b${batchSize}`,
    batchSize,
    generatorMacsPerSample: 100,
    discriminatorMacsPerSample: d,
    sweep: { name: 'cross', values: { discriminatorWidth: d, batchSize } },
  });

const VARIANTS = [variant(10, 4), variant(100, 4), variant(1000, 4), variant(10, 16), variant(1000, 16)];

/** Means (ms, ± 1%) of retain-graph, g-first and single-forward, and retain-graph's and g-first's FLOPs, per variant. */
const MEASURED: Record<string, { times: [number, number, number]; flops: [number, number] }> = {
  'cross-d10-b4': { times: [12, 10, 9], flops: [130, 100] },
  'cross-d100-b4': { times: [13, 10, 9], flops: [110, 100] },
  'cross-d1000-b4': { times: [8, 10, 7], flops: [90, 100] },
  'cross-d10-b16': { times: [12, 10, 9], flops: [130, 100] },
  'cross-d1000-b16': { times: [11, 10, 9], flops: [80, 100] },
};

function cellsOn(backend: CellResult['backend'], device: string, run = 0, slower = 1): TaggedCell[] {
  return VARIANTS.flatMap((scenario) => {
    const { times, flops } = MEASURED[scenario.name]!;
    const strategies: StrategyId[] = ['retain-graph', 'g-first', 'single-forward'];
    return strategies.map((strategy, index) => ({
      ...makeCell(strategy, {
        scenario: scenario.name,
        backend,
        device,
        batchSize: scenario.batchSize,
        timing: makeTiming(times[index]! * slower, 1),
        flops: index < 2 ? flops[index]! : 80,
      }),
      run,
    }));
  });
}

describe('crossoverGroups', () => {
  it('merges the shards of one backend, and splits by run only where two runs measured the same variant', () => {
    const wasm = cellsOn('wasm', 'wasm SIMD');
    const sharded = wasm.map((cell) => ({ ...cell, run: cell.scenario.endsWith('b4') ? 0 : 1 }));
    expect(crossoverGroups(VARIANTS, sharded).map((group) => [group.series, group.points.length])).toEqual([['wasm · wasm SIMD', 5]]);
    const twice = [...wasm, ...wasm.map((cell) => ({ ...cell, run: 1 }))];
    expect(crossoverGroups(VARIANTS, twice).map((group) => group.series)).toEqual(['wasm · wasm SIMD · run 1', 'wasm · wasm SIMD · run 2']);
    expect(sweepsOf([...VARIANTS, makeScenario({ name: 'alone' })])).toEqual(new Map([['cross', VARIANTS]]));
  });
});

describe('renderCrossoverSection', () => {
  const cells = [...cellsOn('wasm', 'wasm SIMD'), ...cellsOn('pytorch', 'pytorch cpu', 0, 0.5)];
  const section = renderCrossoverSection('cross', VARIANTS, cells, 'crossover-cross.svg');

  it('puts the measured, FLOP-predicted and rule crossovers of every backend side by side per batch size', () => {
    expect(section).toContain('![crossover: time per step relative to g-first against D/G](crossover-cross.svg)');
    // Batch 4: g-first faster at D/G 1 (gap +0.3), retain-graph at 10 (gap -0.2): 0.6 of the way in log, 10^0.6;
    // FLOPs +0.1 at 1 and -0.1 at 10: 10^0.5.
    expect(section).toContain('| 4 | wasm · wasm SIMD | 3 | D/G ≈ 3.98 (between 1.00 and 10.0) | D/G ≈ 3.16 (between 1.00 and 10.0) | D/G = 1 |');
    expect(section).toContain('| 4 | pytorch · pytorch cpu | 3 | D/G ≈ 3.98 (between 1.00 and 10.0) | D/G ≈ 3.16 (between 1.00 and 10.0) | D/G = 1 |');
    // Batch 16: FLOPs +0.3 at 0.1 and -0.2 at 10: 0.6 of the way from log -1 to log 1, 10^0.2.
    expect(section).toContain('| 16 | wasm · wasm SIMD | 2 | none in range (g-first faster throughout) | D/G ≈ 1.58 (between 0.100 and 10.0) | D/G = 1 |');
    expect(section.indexOf('| 4 | pytorch')).toBeLessThan(section.indexOf('| 16 | wasm'));
  });

  it('lists every variant with its FLOP and time ratios on each backend', () => {
    expect(section).toContain('| variant | batch | D/G | FLOPs | time on wasm · wasm SIMD | time on pytorch · pytorch cpu |');
    expect(section).toContain('| cross-d1000-b4 | 4 | 10.0 | 0.900× | 0.80× · retain-graph faster | 0.80× · retain-graph faster |');
    expect(section).toContain('| cross-d100-b4 | 4 | 1.00 | 1.100× | 1.30× · g-first faster | 1.30× · g-first faster |');
  });

  it("judges the post's rule over the whole sweep per backend, naming the variant that contradicts it", () => {
    expect(section).toContain('**Claim over the whole sweep**: If D is more complex than G take strategy one; if simpler, take three.');
    expect(section).toContain(
      '| wasm · wasm SIMD | **does not hold** | Contradicted by cross-d1000-b16 (D/G 10.0: g-first faster, retain-graph 11.0 ms ± 1.0%, g-first 10.0 ms ± 1.0%).',
    );
  });

  it('stands in the report before the scenario sections, one per sweep', () => {
    const report = renderReport(makeRun({ scenarios: [...VARIANTS, makeScenario()], cells: [...cells, ...makeRun().cells] }), {
      crossoverCharts: { cross: 'crossover-cross.svg' },
    });
    expect(report.match(/## Crossover map: cross\n/g)).toHaveLength(1);
    expect(report.indexOf('## Crossover map: cross')).toBeLessThan(report.indexOf('## cross-d10-b4'));
    expect(renderReport(makeRun())).not.toContain('Crossover map');
  });
});

describe('crossoverChartSpec', () => {
  const groups = crossoverGroups(VARIANTS, cellsOn('wasm', 'wasm SIMD'));

  it("charts each strategy's time over g-first's against D/G on log axes, a line per strategy and batch size, a panel per backend", () => {
    const rows = crossoverChartRows(groups);
    // 5 variants x 3 strategies.
    expect(rows).toHaveLength(15);
    expect(rows.find((row) => row.scenario === 'cross-d1000-b4' && row.strategy === 'retain-graph')).toEqual({
      series: 'wasm · wasm SIMD',
      strategy: 'retain-graph',
      batch: 4,
      scenario: 'cross-d1000-b4',
      dToG: 10,
      relative: 0.8,
      meanMs: 8,
      rmePct: 1,
    });
    const spec = crossoverChartSpec('cross', rows) as unknown as {
      facet: { column: { field: string } };
      spec: { layer: { encoding: Record<string, { field?: string; scale?: { type: string }; datum?: number }> }[] };
    };
    expect(spec.facet.column.field).toBe('series');
    const [lines, rule] = spec.spec.layer;
    expect(lines!.encoding['x']).toMatchObject({ field: 'dToG', scale: { type: 'log' } });
    expect(lines!.encoding['y']).toMatchObject({ field: 'relative', scale: { type: 'log' } });
    expect(lines!.encoding['color']!.field).toBe('strategy');
    expect(lines!.encoding['strokeDash']!.field).toBe('batch');
    expect(rule!.encoding['x']!.datum).toBe(1);
  });

  it('renders to SVG, and is left out for a sweep with nothing timed', async () => {
    const svg = await renderSvg(crossoverChartSpec('cross', crossoverChartRows(groups)));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('retain-graph');
    expect([...crossoverChartSpecs({ scenarios: VARIANTS, cells: cellsOn('wasm', 'wasm SIMD') }).keys()]).toEqual(['cross']);
    expect(crossoverChartSpecs({ scenarios: VARIANTS, cells: [] }).size).toBe(0);
  });
});
