import { describe, expect, it } from 'vitest';
import { chartRows } from '../../src/report/charts/charts.js';
import { evaluateClaims } from '../../src/report/claims/claims.js';
import { crossoverPoints } from '../../src/report/crossover/crossover.js';
import { renderReport } from '../../src/report/markdown.js';
import { renderPrintedStrategies } from '../../src/report/claims/printed.js';
import { makeCell, makeCells, makeRun, makeScenario, makeTiming } from './fixtures.js';

/** retain-graph diverged at its 7th step, its observed step's counts kept. */
const divergedOne = { status: 'diverged' as const, error: 'diverged at step 7: d_loss is NaN', diverged: { step: 7, detail: 'd_loss is NaN' } };

describe('a diverged cell in the report', () => {
  it("leaves every claim that needs it not judged, naming the step, and judges the others from the ok cells", () => {
    const claims = evaluateClaims(makeScenario(), makeCells({ 'retain-graph': divergedOne }));
    const needsOne = claims.filter((claim) => claim.id !== 'two-holds-g-graph');
    expect(needsOne.map((claim) => claim.verdict)).toEqual(Array(6).fill('not judged'));
    expect(needsOne[0]!.evidence).toBe('Not judged: retain-graph (diverged at step 7: d_loss is NaN).');
    expect(claims.find((claim) => claim.id === 'two-holds-g-graph')).toMatchObject({
      verdict: 'holds',
      evidence: 'Graph bytes held across an optimizer step: detach-d-first 2.00 KiB, g-first 0 B, retain-graph not measured.',
    });
  });

  it('an errored cell still leaves its claims inconclusive, not "not judged"', () => {
    const claims = evaluateClaims(makeScenario(), makeCells({ 'retain-graph': { status: 'errored', error: 'boom' } }));
    expect(claims[0]).toMatchObject({ verdict: 'inconclusive', evidence: 'Not measured: retain-graph (errored: boom).' });
  });

  it('lists the diverged cell with its step, marks its row, and keeps its numbers out of the claims', () => {
    const report = renderReport(makeRun({ cells: makeCells({ 'retain-graph': divergedOne }) }));
    expect(report).toContain('- **retain-graph diverged** at step 7: d_loss is NaN; its numbers are left out of the claims.');
    expect(report).toMatch(/^\| retain-graph \(post's 1\) \| \*\*diverged at step 7\*\* \| — \| — \| — \| — \|/m);
    expect(report).toContain("| Strategy three is the best | **not judged** | Not judged: retain-graph (diverged at step 7: d_loss is NaN).");
    expect(report).not.toMatch(/NaN \|/);
  });

  it('is in no chart and no crossover point', () => {
    const cells = makeCells({ 'retain-graph': divergedOne });
    expect(chartRows(cells).map((row) => row.strategy)).not.toContain('retain-graph');
    const variant = makeScenario();
    const [point] = crossoverPoints([variant], [...cells, makeCell('retain-graph', { ...divergedOne, timing: makeTiming(5) })]);
    expect(Object.keys(point!.times)).not.toContain('retain-graph');
    expect(Object.keys(point!.flops)).not.toContain('retain-graph');
  });

  it("says a printed strategy that diverged did not raise as PyTorch does, with where it diverged", () => {
    const printed = makeCell('retain-graph-printed', { ...divergedOne, backend: 'cpu' });
    const section = renderPrintedStrategies([{ cell: printed, place: 'tfjs 4.22.0 (cpu)' }]);
    expect(section).toContain('tfjs 4.22.0 (cpu) **did not raise as PyTorch does**: it diverged at step 7 (d_loss is NaN)');
  });
});
