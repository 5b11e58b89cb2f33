import { describe, expect, it } from 'vitest';
import { compareRuns, statusVerdict } from '../../src/compare/compare.js';
import { renderComparison } from '../../src/compare/markdown.js';
import { makeCell, makeRun } from './fixtures.js';

const diverged = { status: 'diverged' as const, error: 'diverged at step 5: d_loss is NaN', diverged: { step: 5, detail: 'd_loss is NaN' } };

describe('comparing a diverged cell', () => {
  it('is a regression against an ok baseline, compared by its status alone, with where it diverged as the note', () => {
    const comparison = compareRuns(makeRun({ cells: [makeCell()] }), makeRun({ cells: [makeCell(diverged)] }));
    expect(comparison.rows).toEqual([
      expect.objectContaining({ metric: 'status', baseline: 'ok', current: 'diverged', verdict: 'regressed', note: 'diverged at step 5: d_loss is NaN' }),
    ]);
    expect(comparison.failed).toBe(true);
    expect(renderComparison(comparison)).toContain('| status | ok | diverged | — | — | ❌ regressed: diverged at step 5: d_loss is NaN |');
  });

  it('is an improvement once it trains again, and a change when it errors instead', () => {
    expect(compareRuns(makeRun({ cells: [makeCell(diverged)] }), makeRun({ cells: [makeCell()] })).rows[0]).toMatchObject({ verdict: 'improved' });
    expect(statusVerdict('diverged', 'errored')).toBe('changed');
    expect(statusVerdict('errored', 'diverged')).toBe('changed');
    expect(statusVerdict('raised', 'diverged')).toBe('regressed');
    expect(statusVerdict('diverged', 'diverged')).toBe('same');
    // A regularizer's refusal, run after run, is no change; a refused cell that now errors is a regression.
    expect(statusVerdict('refused', 'refused')).toBe('same');
    expect(statusVerdict('refused', 'errored')).toBe('regressed');
  });
});
