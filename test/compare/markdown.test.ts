import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { renderComparison } from '../../src/compare/markdown.js';
import { makeCell, makeRun } from './fixtures.js';

describe('renderComparison', () => {
  it('with no change says so in the headline and collapses every cell into the details', () => {
    const run = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' })] });
    const markdown = renderComparison(compareRuns(run, run));
    expect(markdown.startsWith('## ✅ No regression\n')).toBe(true);
    expect(markdown).toContain('Nothing: every compared metric stayed the same.');
    expect(markdown).toMatch(/<details><summary>\d+ metrics unchanged<\/summary>/);
    expect(markdown).toContain('| tiny / cpu / g-first | time: 10.0 ms → 10.0 ms | ±0.0% | p = 1.000, n = 8/8 | 12 equal |  |');
    expect(markdown).toContain('12 equal');
  });

  it('lists regressions first with their change and confidence, and counts them in the headline', () => {
    // Eight samples of mean 10 against the same times 30% longer: fully separated, exact p = 2 / C(16, 8).
    const samplesMs = [10, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10];
    const baseline = makeRun({ cells: [makeCell({ samplesMs }), makeCell({ strategy: 'g-first', kernels: 40 })] });
    const current = makeRun({
      cells: [
        makeCell({ samplesMs: samplesMs.map((sample) => sample * 1.3) }),
        makeCell({ strategy: 'g-first', kernels: 41 }),
        makeCell({ strategy: 'single-forward' }),
      ],
    });
    const markdown = renderComparison(compareRuns(baseline, current));
    expect(markdown.startsWith('## ❌ 2 regressions\n')).toBe(true);
    expect(markdown).toContain('0 improved · 1 added · 0 removed · 24 metrics unchanged');
    expect(markdown).toContain('| tiny / cpu / retain-graph | time | 10.0 ms | 13.0 ms | +30.0% | p < 0.001, n = 8/8 | ❌ regressed |');
    expect(markdown).toContain('| tiny / cpu / retain-graph | changed (above) | — | — | 12 equal |  |');
    expect(markdown).toContain('| tiny / cpu / g-first | kernels | 40 | 41 | +1 | exact | ❌ changed |');
    expect(markdown).toContain('| tiny / cpu / single-forward | cell | — | ok | — | — | ➕ added |');
    const changesTable = markdown.slice(markdown.indexOf('### What changed'), markdown.indexOf('<details>'));
    expect(changesTable.indexOf('regressed')).toBeLessThan(changesTable.indexOf('added'));
  });

  it('keeps an error message on one line and escapes pipes so the table holds', () => {
    const baseline = makeRun({ cells: [makeCell()] });
    const current = makeRun({ cells: [makeCell({ status: 'errored', error: 'shape [2|3]\nmismatch' })] });
    const markdown = renderComparison(compareRuns(baseline, current));
    expect(markdown).toContain('| status | ok | errored | — | — | ❌ regressed: shape [2\\|3] mismatch |');
  });

  it('heads a comparison with missing cells as a failure, listed first, and as allowed with --allow-missing', () => {
    const baseline = makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' }), makeCell({ strategy: 'detach-d-first', kernels: 40 })] });
    const current = makeRun({ cells: [makeCell({ strategy: 'detach-d-first', kernels: 41 })] });
    const markdown = renderComparison(compareRuns(baseline, current));
    expect(markdown.startsWith('## ❌ 1 regression and 2 baseline cells missing from the current run\n')).toBe(true);
    expect(markdown).toContain('| tiny / cpu / retain-graph | cell | ok | — | — | — | ❌ missing from the current run |');
    const changes = markdown.slice(markdown.indexOf('### What changed'));
    expect(changes.indexOf('❌ changed')).toBeLessThan(changes.indexOf('❌ missing'));
    const allowed = renderComparison(compareRuns(baseline, makeRun({ cells: [makeCell({ strategy: 'detach-d-first', kernels: 40 })] }), { allowMissing: true }));
    expect(allowed.startsWith('## ✅ No regression (2 baseline cells missing, allowed by --allow-missing)\n')).toBe(true);
    expect(allowed).toContain('| ➖ missing (allowed) |');
  });

  it('keeps HTML-like text in a note from opening a tag', () => {
    const current = makeRun({ cells: [makeCell({ status: 'errored', error: 'at <anonymous>:1' })] });
    expect(renderComparison(compareRuns(makeRun({ cells: [makeCell()] }), current))).toContain('❌ regressed: at &lt;anonymous>:1 |');
  });
});
