import { describe, expect, it } from 'vitest';
import { compareRuns, IncomparableRunsError } from '../../src/compare/compare.js';
import type { ComparisonRow } from '../../src/compare/comparison.js';
import { makeCell, makeRun, normalSamples, seededRandom, type CellSpec } from './fixtures.js';
import { asCellState } from '../helpers/cell-state.js';

function row(rows: ComparisonRow[], strategy: string, metric: string): ComparisonRow {
  const found = rows.find((candidate) => candidate.cell.strategy === strategy && candidate.metric === metric);
  if (!found) throw new Error(`no ${metric} row for ${strategy}`);
  return found;
}

describe('compareRuns on the same machine (absolute times)', () => {
  it('a planted 30% slowdown with clearly separated samples is a regression with a tiny p-value', () => {
    const random = seededRandom(1);
    const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10, 0.2) })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 13, 0.2) })] });
    const comparison = compareRuns(baseline, current);
    const time = row(comparison.rows, 'retain-graph', 'time');
    expect(comparison.mode).toBe('absolute');
    expect(time.verdict).toBe('regressed');
    expect(time.change).toBeCloseTo(0.3, 1);
    expect(time.pValue).toBeLessThan(1e-6);
    expect(time.test).toBe('mann-whitney-normal');
    expect(comparison.regressions).toBe(1);
    expect(comparison.regressed).toBe(true);
  });

  it('a 30% speed-up is an improvement, not a regression', () => {
    const random = seededRandom(2);
    const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 13, 0.2) })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10, 0.2) })] });
    const comparison = compareRuns(baseline, current);
    expect(row(comparison.rows, 'retain-graph', 'time').verdict).toBe('improved');
    expect(comparison.regressed).toBe(false);
  });

  it('noise alone (same distribution, different seeded draws) is never a regression across 50 seed pairs', () => {
    for (let seed = 0; seed < 50; seed += 1) {
      const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(seededRandom(seed), 30, 10, 1) })] });
      const current = makeRun({ cells: [makeCell({ samplesMs: normalSamples(seededRandom(seed + 1000), 30, 10, 1) })] });
      const comparison = compareRuns(baseline, current);
      expect(comparison.regressed, `seed ${seed}`).toBe(false);
    }
  });

  it('one outlier that drags the mean past the threshold is not a regression: the rank test does not move', () => {
    const random = seededRandom(3);
    const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10, 0.5) })] });
    const noisy = normalSamples(random, 30, 10, 0.5);
    noisy[7] = 200; // a GC pause: the mean grows by ~60%
    const current = makeRun({ cells: [makeCell({ samplesMs: noisy })] });
    const time = row(compareRuns(baseline, current).rows, 'retain-graph', 'time');
    expect(time.change).toBeGreaterThan(0.5);
    expect(time.verdict).toBe('same');
    expect(time.note).toMatch(/not significant/);
  });

  it('a significant change smaller than the threshold stays the same', () => {
    const random = seededRandom(4);
    const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10, 0.1) })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10.5, 0.1) })] });
    const time = row(compareRuns(baseline, current).rows, 'retain-graph', 'time');
    expect(time.pValue).toBeLessThan(0.001);
    expect(time.verdict).toBe('same');
  });

  it('a per-metric threshold overrides the default: 30% slower passes a 50% time threshold', () => {
    const random = seededRandom(5);
    const baseline = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 10, 0.2) })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 30, 13, 0.2) })] });
    const comparison = compareRuns(baseline, current, { metricThresholds: { time: 0.5 } });
    expect(comparison.thresholds).toEqual({ time: 0.5, timeRatio: 0.1 });
    expect(comparison.regressed).toBe(false);
  });

  it('three samples a side cannot reach alpha with the U test, so disjoint 95% intervals decide', () => {
    const baseline = makeRun({ cells: [makeCell({ samplesMs: [10, 10.1, 9.9] })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: [13, 13.1, 12.9] })] });
    const time = row(compareRuns(baseline, current).rows, 'retain-graph', 'time');
    expect(time.test).toBe('ci-overlap');
    expect(time.pValue).toBeUndefined();
    expect(time.verdict).toBe('regressed');
  });

  it('a single sample a side cannot tell anything, whatever the ratio', () => {
    const baseline = makeRun({ cells: [makeCell({ samplesMs: [10] })] });
    const current = makeRun({ cells: [makeCell({ samplesMs: [20] })] });
    const time = row(compareRuns(baseline, current).rows, 'retain-graph', 'time');
    expect(time.test).toBe('too-few-samples');
    expect(time.verdict).toBe('same');
    expect(time.note).toMatch(/too few samples/);
  });
});

describe('compareRuns on deterministic counts', () => {
  it('one more kernel is drift, and drift is a regression', () => {
    const baseline = makeRun({ cells: [makeCell({ kernels: 42 })] });
    const current = makeRun({ cells: [makeCell({ kernels: 43 })] });
    const comparison = compareRuns(baseline, current);
    const kernels = row(comparison.rows, 'retain-graph', 'kernels');
    expect(kernels).toMatchObject({ baseline: 42, current: 43, change: 1, changeKind: 'difference', verdict: 'changed' });
    expect(comparison.regressed).toBe(true);
  });

  it('fewer FLOPs is drift too: counts must match exactly in both directions', () => {
    const baseline = makeRun({ cells: [makeCell({ flops: 1000 })] });
    const current = makeRun({ cells: [makeCell({ flops: 900 })] });
    expect(row(compareRuns(baseline, current).rows, 'retain-graph', 'flops').verdict).toBe('changed');
  });

  it('peak and retained bytes are compared on the cpu and pytorch backends only', () => {
    const onWebgpu = { backend: 'webgpu' as const, device: 'lavapipe' };
    const onPytorch = { backend: 'pytorch' as const, device: 'pytorch 1.13.0 cpu', strategy: 'single-forward' as const };
    const cells = (bytes: number) => [
      makeCell({ ...onWebgpu, peakBytes: bytes }),
      makeCell({ peakBytes: bytes, strategy: 'g-first' }),
      makeCell({ ...onPytorch, retainedBytes: bytes }),
    ];
    const comparison = compareRuns(makeRun({ cells: cells(1000) }), makeRun({ cells: cells(2000) }));
    expect(comparison.rows.some((r) => r.cell.backend === 'webgpu' && r.metric === 'peakBytes')).toBe(false);
    expect(row(comparison.rows, 'g-first', 'peakBytes').verdict).toBe('changed');
    expect(row(comparison.rows, 'single-forward', 'retainedBytes')).toMatchObject({ baseline: 1000, current: 2000, verdict: 'changed' });
  });

  it('warns that PyTorch versions differ, as it does for tfjs', () => {
    const cells = [makeCell()];
    const baseline = { ...makeRun({ cells }), versions: { tfjs: '4.22.0', torch: '1.13.0' } };
    const current = { ...makeRun({ cells }), versions: { tfjs: '4.22.0', torch: '2.11.0' } };
    expect(compareRuns(baseline, current).warnings).toEqual([
      "PyTorch 1.13.0 → 2.11.0: the pytorch cells' kernel counts and bytes may legitimately differ.",
    ]);
  });
});

describe('compareRuns across machines (time ratios)', () => {
  const baselineRandom = seededRandom(6);
  const fastReference = normalSamples(baselineRandom, 30, 10, 0.3);
  const fastGFirst = normalSamples(baselineRandom, 30, 7, 0.2);
  const baseline = makeRun({
    cells: [makeCell({ samplesMs: fastReference }), makeCell({ strategy: 'g-first', samplesMs: fastGFirst })],
  });

  it('a uniformly 2x slower machine is no regression: auto mode compares ratios to the reference strategy', () => {
    const random = seededRandom(7);
    const current = makeRun({
      machine: { cpuModel: 'Intel Xeon E5-2680', cpus: 4 },
      cells: [
        makeCell({ samplesMs: normalSamples(random, 30, 20, 0.6) }),
        makeCell({ strategy: 'g-first', samplesMs: normalSamples(random, 30, 14, 0.4) }),
      ],
    });
    const comparison = compareRuns(baseline, current);
    expect(comparison.mode).toBe('ratio');
    expect(comparison.modeReason).toMatch(/cpuModel: AMD EPYC 7B13 vs Intel Xeon E5-2680/);
    const ratio = row(comparison.rows, 'g-first', 'timeRatio');
    expect(ratio.baseline).toBeCloseTo(0.7, 1);
    expect(ratio.current).toBeCloseTo(0.7, 1);
    expect(ratio.verdict).toBe('same');
    expect(comparison.regressed).toBe(false);
    // The same data compared in absolute ms would be a regression everywhere.
    expect(compareRuns(baseline, current, { mode: 'absolute' }).regressions).toBe(2);
  });

  it('a strategy that got slower relative to the reference is caught across machines', () => {
    const random = seededRandom(8);
    const current = makeRun({
      machine: { cpuModel: 'Intel Xeon E5-2680' },
      cells: [
        makeCell({ samplesMs: normalSamples(random, 30, 20, 0.6) }),
        makeCell({ strategy: 'g-first', samplesMs: normalSamples(random, 30, 20, 0.4) }),
      ],
    });
    const ratio = row(compareRuns(baseline, current).rows, 'g-first', 'timeRatio');
    expect(ratio.verdict).toBe('regressed');
    expect(ratio.change).toBeCloseTo(1 / 0.7 - 1, 1);
  });

  it('per-sample ratios need no reference cell in the same file, so shards compare too', () => {
    const random = seededRandom(9);
    const shardOnlyGFirst = makeRun({ machine: { cpus: 8 }, cells: [makeCell({ strategy: 'g-first', samplesMs: normalSamples(random, 30, 14, 0.4) })] });
    const withRatio = { ...shardOnlyGFirst, cells: shardOnlyGFirst.cells.map((cell) => asCellState({ ...cell, timeRatio: 0.7 })) };
    const ratio = row(compareRuns(baseline, withRatio).rows, 'g-first', 'timeRatio');
    expect(ratio.verdict).toBe('same');
    expect(ratio.current).toBe(0.7);
  });

  it('ratios to different reference strategies do not compare', () => {
    const current = makeRun({ machine: { cpus: 8 }, referenceStrategy: 'g-first', cells: [makeCell({ samplesMs: fastReference })] });
    expect(() => compareRuns(baseline, current)).toThrow(/relative to retain-graph, current ones to g-first/);
  });

  it('in auto mode a cell whose device changed on the same machine is compared by ratio, with a warning', () => {
    const current = makeRun({
      cells: [makeCell({ samplesMs: fastReference }), makeCell({ strategy: 'g-first', device: 'other', samplesMs: fastGFirst })],
    });
    const comparison = compareRuns(baseline, current);
    expect(comparison.mode).toBe('absolute');
    expect(row(comparison.rows, 'g-first', 'timeRatio').verdict).toBe('same');
    expect(comparison.warnings.join('\n')).toMatch(/device changed/);
  });
});

describe('compareRuns on cells present on one side or failing', () => {
  it('a cell only in the current run is added, not a failure; one missing from it fails unless allowed', () => {
    const baseline = makeRun({ cells: [makeCell(), makeCell({ strategy: 'detach-d-first' })] });
    const current = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' })] });
    const comparison = compareRuns(baseline, current);
    expect(row(comparison.rows, 'g-first', 'cell').verdict).toBe('added');
    expect(row(comparison.rows, 'detach-d-first', 'cell').verdict).toBe('removed');
    expect(comparison).toMatchObject({ regressed: false, missing: 1, allowMissing: false, failed: true });
    expect(compareRuns(baseline, current, { allowMissing: true })).toMatchObject({ missing: 1, allowMissing: true, failed: false });
    expect(compareRuns(baseline, makeRun({ cells: [makeCell(), makeCell({ strategy: 'detach-d-first' }), makeCell({ strategy: 'g-first' })] })).failed).toBe(false);
  });

  it('a current run with no cell at all fails: a gate cannot pass on nothing', () => {
    const baseline = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' })] });
    const comparison = compareRuns(baseline, makeRun({ cells: [] }));
    expect(comparison).toMatchObject({ regressions: 0, missing: 2, failed: true });
  });

  it('warns when the current run did not finish', () => {
    const current = { ...makeRun({ cells: [makeCell()] }), complete: false };
    expect(compareRuns(makeRun({ cells: [makeCell()] }), current).warnings).toEqual([
      'The current run did not finish (interrupted, or still running): its missing cells are missing.',
    ]);
  });

  it('a cell that errors now but was ok in the baseline is a regression, with the error as its note', () => {
    const baseline = makeRun({ cells: [makeCell()] });
    const current = makeRun({ cells: [makeCell({ status: 'errored', error: 'out of memory' })] });
    const comparison = compareRuns(baseline, current);
    expect(row(comparison.rows, 'retain-graph', 'status')).toMatchObject({
      baseline: 'ok',
      current: 'errored',
      verdict: 'regressed',
      note: 'out of memory',
    });
    expect(comparison.regressed).toBe(true);
  });

  it('a cell that errored in the baseline and works now is an improvement', () => {
    const baseline = makeRun({ cells: [makeCell({ status: 'errored', error: 'boom' })] });
    const current = makeRun({ cells: [makeCell()] });
    const comparison = compareRuns(baseline, current);
    expect(row(comparison.rows, 'retain-graph', 'status').verdict).toBe('improved');
    expect(comparison.regressed).toBe(false);
  });

  it("compares the post's printed code by its status alone: raised in both runs is the same, without notes", () => {
    const raised = { strategy: 'retain-graph-printed' as const, status: 'raised' as const, error: 'one of the variables ...', flops: null };
    const comparison = compareRuns(makeRun({ cells: [makeCell(raised)] }), makeRun({ cells: [makeCell(raised)] }));
    expect(comparison.rows).toEqual([expect.objectContaining({ metric: 'status', baseline: 'raised', current: 'raised', verdict: 'same' })]);
    expect(comparison.rows[0]!.note).toBeUndefined();
    expect(comparison.failed).toBe(false);
  });

  it('a printed strategy that stops raising, or starts, is a change; one that errors is a regression', () => {
    const raised = { strategy: 'retain-graph-printed' as const, status: 'raised' as const, error: 'one of the variables ...' };
    const statusOf = (baseline: CellSpec, current: CellSpec) =>
      row(compareRuns(makeRun({ cells: [makeCell(baseline)] }), makeRun({ cells: [makeCell(current)] })).rows, 'retain-graph-printed', 'status').verdict;
    expect(statusOf(raised, { ...raised, status: 'ok', error: null })).toBe('changed');
    expect(statusOf({ ...raised, status: 'ok', error: null }, raised)).toBe('changed');
    expect(statusOf(raised, { ...raised, status: 'errored', error: 'expected ...' })).toBe('regressed');
  });

  it('two cells with the same key in one run are refused', () => {
    const run = makeRun({ cells: [makeCell(), makeCell()] });
    expect(() => compareRuns(run, run)).toThrow(IncomparableRunsError);
    expect(() => compareRuns(run, run)).toThrow(/baseline has two cells for tiny \/ cpu \/ retain-graph/);
  });

  it('a tfjs version change is a warning, not a failure by itself', () => {
    const comparison = compareRuns(makeRun({ cells: [makeCell()] }), makeRun({ tfjs: '4.23.0', cells: [makeCell()] }));
    expect(comparison.warnings).toEqual(['tfjs 4.22.0 → 4.23.0: kernel counts may legitimately differ.']);
    expect(comparison.regressed).toBe(false);
  });
});
