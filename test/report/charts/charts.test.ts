import { describe, expect, it } from 'vitest';
import { chartRows, chartSpecs, renderSvg } from '../../../src/report/charts/charts.js';
import { makeCells, makeErroredCell } from '../fixtures.js';

describe('chartSpecs', () => {
  it('builds the time, memory and FLOPs charts with the data inline', () => {
    const specs = chartSpecs(makeCells());
    expect(Object.keys(specs)).toEqual(['time', 'memory', 'flops']);
    for (const spec of Object.values(specs)) {
      const values = (spec.data as { values: Array<Record<string, unknown>> }).values;
      expect(values).toHaveLength(4);
    }
    const values = (specs.time.data as { values: Array<Record<string, unknown>> }).values;
    expect(values[2]).toMatchObject({
      scenario: 'tiny',
      strategy: 'g-first',
      meanMs: 1,
      lowerMs: 0.99,
      upperMs: 1.01,
      flops: 110_000,
    });
    expect(values[2]!.peakKiB).toBe(32);
  });

  it('wraps the panels four a row, in the order the scenarios ran', () => {
    const cells = ['zulu', 'alpha', 'mike'].flatMap((scenario) => makeCells().map((cell) => ({ ...cell, scenario })));
    const spec = chartSpecs(cells).time as unknown as { columns: number; facet: { field: string; sort: string[] } };
    expect(spec.columns).toBe(4);
    expect(spec.facet).toMatchObject({ field: 'scenario', sort: ['zulu', 'alpha', 'mike'] });
  });

  it('leaves errored cells out and names the run when cells come from several', () => {
    const cells = [
      ...makeCells().map((cell) => ({ ...cell, run: 0 })),
      { ...makeErroredCell('g-first', 'boom'), run: 1 },
      { ...makeCells()[0]!, run: 1 },
    ];
    const rows = chartRows(cells);
    expect(rows).toHaveLength(5);
    expect(rows[4]!.series).toBe('cpu · cpu (JavaScript) · run 2');
  });
});

describe('renderSvg', () => {
  it('renders each chart to SVG in Node', async () => {
    const specs = chartSpecs(makeCells());
    for (const spec of Object.values(specs)) {
      const svg = await renderSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('g-first');
    }
  });
});
