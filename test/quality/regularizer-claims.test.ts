import { describe, expect, it } from 'vitest';
import type { QualityResults, QualityScenarioResult } from '../../src/quality/results.js';
import { renderQualityReport } from '../../src/quality/report/markdown.js';
import { lazyR1CostsLess, regularizerClaims, updatesTrainAlike } from '../../src/quality/report/regularizer-claims.js';
import { renderRegularizersSideBySide } from '../../src/quality/report/regularizers.js';
import { renderBackendsSideBySide } from '../../src/quality/report/side-by-side.js';
import type { Regularizer } from '../../src/scenario/regularizer.js';
import type { StrategyId } from '../../src/strategies/ids.js';
import { stepTime, toyResult, trainingRun } from './fixtures.js';

/** A strategy's seeds: when each reached the threshold (null: never), its ms per step, and optionally each seed's final value. */
interface Trained {
  reachedAt: Array<number | null>;
  ms: number;
  finals?: number[];
}

function result(regularizer: Regularizer, trained: Partial<Record<StrategyId, Trained>>, backend = 'cpu'): QualityScenarioResult {
  const ids = Object.keys(trained) as StrategyId[];
  return toyResult({
    backend,
    regularizer,
    strategies: ids,
    stepTimes: ids.map((id) => stepTime(id, trained[id]!.ms)),
    runs: ids.flatMap((id) => trained[id]!.reachedAt.map((at, seed) => trainingRun(id, seed, at, trained[id]!.ms, { final: trained[id]!.finals?.[seed] }))),
  });
}

const SOON = [100, 100, 200, 200, 300];
const LATE = [300, 400, 400, null, null];
const NEVER = [null, null, null, null, null];

describe('"lazy R1 costs less per step than R1 at the same quality"', () => {
  const r1 = result('r1', { 'g-first': { reachedAt: SOON, ms: 20 } });
  const lazy = (trained: Trained) => result('r1-lazy', { 'g-first': trained });

  it("holds when r1-lazy's step is faster beyond the margins and its seeds need no more steps and end no worse", () => {
    const claim = lazyR1CostsLess('g-first', r1, lazy({ reachedAt: SOON, ms: 10 }));
    expect(claim.verdict).toBe('holds');
    expect(claim.evidence).toContain('r1-lazy 10.0 ms ± 1.0%, r1 20.0 ms ± 1.0%: r1-lazy is faster than r1 per step.');
    expect(claim.evidence).toContain('r1-lazy [100, 100, 200, 200, 300], r1 [100, 100, 200, 200, 300]: r1-lazy needs no more or fewer steps than r1 (p = 1.0)');
    expect(claim.rule).toMatch(/^Per strategy, r1-lazy against r1: the mean ms per step beyond both margins of error/);
    expect(claim.rule).toContain('the steps to reach high-quality >= 0.5 (never = infinitely late) and the final high-quality, two-sided Mann-Whitney U, alpha 0.05');
  });

  it('does not hold when its step is slower, when it needs more steps, or when it ends worse', () => {
    expect(lazyR1CostsLess('g-first', r1, lazy({ reachedAt: SOON, ms: 30 })).verdict).toBe('does not hold');
    const more = lazyR1CostsLess('g-first', r1, lazy({ reachedAt: LATE, ms: 10 }));
    expect(more.verdict).toBe('does not hold');
    expect(more.evidence).toMatch(/r1-lazy needs more steps than r1 \(p = 0\.0\d+\)/);
    // The same steps to the threshold, but every lazy seed ends at 0.6 where r1's end at 0.9: worse, the threshold being "above".
    const worse = lazyR1CostsLess('g-first', r1, lazy({ reachedAt: SOON, ms: 10, finals: [0.6, 0.61, 0.62, 0.63, 0.64] }));
    expect(worse.verdict).toBe('does not hold');
    expect(worse.evidence).toMatch(/Final high-quality: r1-lazy \[0\.600, 0\.610, 0\.620, 0\.630, 0\.640\], r1 \[0\.900, 0\.900, 0\.900, 0\.900, 0\.900\]: worse \(p = 0\.00\d+\)/);
  });

  it('is inconclusive where r1 or r1-lazy is missing, no seed reached the threshold, the steps overlap, or the seeds are too few', () => {
    expect(lazyR1CostsLess('g-first', r1, undefined).evidence).toBe('r1 and r1-lazy did not both run.');
    expect(lazyR1CostsLess('g-first', undefined, lazy({ reachedAt: SOON, ms: 10 })).verdict).toBe('inconclusive');
    const never = lazyR1CostsLess('g-first', result('r1', { 'g-first': { reachedAt: NEVER, ms: 20 } }), lazy({ reachedAt: NEVER, ms: 10 }));
    expect([never.verdict, never.evidence]).toEqual(['inconclusive', 'No seed of g-first reached high-quality >= 0.5 under r1 or r1-lazy.']);
    expect(lazyR1CostsLess('g-first', r1, lazy({ reachedAt: SOON, ms: 19.9 })).verdict).toBe('inconclusive');
    const two = lazyR1CostsLess('g-first', result('r1', { 'g-first': { reachedAt: [100, 200], ms: 20 } }), lazy({ reachedAt: [100, 200], ms: 10 }));
    expect(two.verdict).toBe('inconclusive');
    expect(two.evidence).toContain('With 2 and 2 seeds no test can reach 0.05 (smallest p 0.33), so "no different" says nothing.');
    expect(lazyR1CostsLess('detach-d-first', r1, lazy({ reachedAt: SOON, ms: 10 })).evidence).toMatch(/detach-d-first did not train/);
  });
});

describe('"with R1 the simultaneous and alternating updates train alike"', () => {
  it('holds when no simultaneous strategy differs from an alternating one in steps to the threshold or in final value', () => {
    const claim = updatesTrainAlike(result('r1', { 'retain-graph': { reachedAt: SOON, ms: 20 }, 'g-first': { reachedAt: SOON, ms: 10 }, 'detach-d-first': { reachedAt: SOON, ms: 15 } }), 'r1');
    expect(claim.verdict).toBe('holds');
    expect(claim.evidence).toContain('retain-graph reaches it no sooner or later than detach-d-first (p = 1.0) and ends no different from it (p = 1.0)');
    expect(claim.evidence).toContain('g-first reaches it no sooner or later than detach-d-first');
    expect(claim.rule).toMatch(/^Under r1, every simultaneous strategy \(retain-graph, g-first, single-forward: one update, retain-graph's\) against every alternating one \(detach-d-first, frozen-d\)/);
    expect(claim.rule).toContain('Steps, not seconds');
  });

  it('does not hold when any pair differs, whichever way', () => {
    const sooner = updatesTrainAlike(result('r1', { 'g-first': { reachedAt: SOON, ms: 10 }, 'frozen-d': { reachedAt: LATE, ms: 15 } }), 'r1');
    expect(sooner.verdict).toBe('does not hold');
    expect(sooner.evidence).toMatch(/g-first reaches it sooner than frozen-d \(p = 0\.0\d+\)/);
    const later = updatesTrainAlike(result('r1', { 'g-first': { reachedAt: LATE, ms: 10 }, 'detach-d-first': { reachedAt: SOON, ms: 15 } }), 'r1');
    expect(later.verdict).toBe('does not hold');
  });

  it('is inconclusive without both kinds of update, when no seed reached the threshold, or with too few seeds', () => {
    expect(updatesTrainAlike(result('r1', { 'g-first': { reachedAt: SOON, ms: 10 }, 'retain-graph': { reachedAt: SOON, ms: 20 } }), 'r1').verdict).toBe('inconclusive');
    expect(updatesTrainAlike(undefined, 'r1').evidence).toBe('Nothing trained under r1.');
    const never = updatesTrainAlike(result('r1', { 'g-first': { reachedAt: NEVER, ms: 10 }, 'detach-d-first': { reachedAt: NEVER, ms: 15 } }), 'r1');
    expect([never.verdict, never.evidence]).toEqual(['inconclusive', 'No seed reached high-quality >= 0.5 under r1.']);
    const two = updatesTrainAlike(result('r1', { 'g-first': { reachedAt: [100, 200], ms: 10 }, 'detach-d-first': { reachedAt: [100, 200], ms: 15 } }), 'r1');
    expect(two.verdict).toBe('inconclusive');
  });
});

const alike = { 'g-first': { reachedAt: SOON, ms: 10 }, 'detach-d-first': { reachedAt: SOON, ms: 12 } };
const apart = { 'g-first': { reachedAt: SOON, ms: 5 }, 'detach-d-first': { reachedAt: LATE, ms: 6 } };
const none = result('none', apart);
const r1 = result('r1', { 'g-first': { reachedAt: SOON, ms: 20 }, 'detach-d-first': { reachedAt: SOON, ms: 24 } });
const lazy = result('r1-lazy', alike);

describe('the regularizer claims of a run', () => {
  it('judge the lazy claim per strategy where r1 and r1-lazy ran, and the updates claim under r1 with none as its contrast', () => {
    const claims = regularizerClaims([none, r1, lazy]);
    expect(claims.map(({ claim, subject, contrast, result: { verdict } }) => [claim, subject, contrast, verdict])).toEqual([
      ['lazy R1 costs less per step than R1 at the same quality', 'g-first', false, 'holds'],
      ['lazy R1 costs less per step than R1 at the same quality', 'detach-d-first', false, 'holds'],
      ['with R1 the simultaneous and alternating updates train alike', 'r1', false, 'holds'],
      ['with R1 the simultaneous and alternating updates train alike', 'none', true, 'does not hold'],
    ]);
    expect(regularizerClaims([none, lazy])).toEqual([]);
    expect(regularizerClaims([none])).toEqual([]);
    expect(regularizerClaims([r1]).map(({ subject }) => subject)).toEqual(['r1']);
  });

  it('put each strategy x regularizer in a row, then each verdict beside its claim, the evidence and the rules below', () => {
    const text = renderRegularizersSideBySide([none, r1, lazy]);
    expect(text).toMatch(/^### toy on cpu: the regularizers side by side\n/);
    expect(text).toContain('| strategy | regularizer | update | ms per step | final high-quality samples (fraction) | seeds that reached it | steps to threshold | seconds to threshold |');
    const rows = text.split('\n').filter((line) => /^\| (g-first|detach-d-first) \|/.test(line));
    expect(rows.map((row) => row.split(' | ').slice(0, 2).join(' | '))).toEqual([
      '| g-first | none',
      '| g-first | r1',
      '| g-first | r1-lazy',
      '| detach-d-first | none',
      '| detach-d-first | r1',
      '| detach-d-first | r1-lazy',
    ]);
    expect(text).toContain('| lazy R1 costs less per step than R1 at the same quality: g-first | holds |');
    expect(text).toContain('| with R1 the simultaneous and alternating updates train alike | holds |');
    expect(text).toContain('| contrast: the same under none | **does not hold** |');
    expect(text).toContain('- Lazy R1, detach-d-first: r1-lazy 12.0 ms ± 1.0%, r1 24.0 ms ± 1.0%');
    expect(text).toMatch(/^- Rule \(StyleGAN2's claim\): Per strategy, r1-lazy against r1/m);
    expect(text).toMatch(/^- Rule \(ours to test\): Under r1, .* The contrast applies the same rule under none\.$/m);
    expect(text).toContain('- R1 changed the verdict: **does not hold** without it, holds with it.');
    // Timed one regularizer after the other (each result timed with itself alone), the section and the rule say so.
    expect(text).toContain("The regularizers' steps were not all timed in the same rounds");
    expect(text).toContain('(as npm run bench judges it; each timed in its own interleaved rounds, one after the other)');
    const together = renderRegularizersSideBySide([none, r1, lazy].map((entry) => ({ ...entry, timedWith: ['none', 'r1', 'r1-lazy'] })));
    expect(together).toContain("Every regularizer's steps were timed in the same interleaved rounds");
    expect(together).toContain('(as npm run bench judges it; both timed in the same interleaved rounds)');
    expect(together).not.toContain('not all timed in the same rounds');
    const undecided = renderRegularizersSideBySide([result('none', alike), result('r1', { 'g-first': { reachedAt: NEVER, ms: 20 }, 'detach-d-first': { reachedAt: NEVER, ms: 24 } })]);
    expect(undecided).toContain('- Whether R1 changed it cannot be told: holds without it, inconclusive with it.');
    expect(renderRegularizersSideBySide([none])).toBe('');
    expect(renderRegularizersSideBySide([none, { ...r1, error: 'could not start' }])).toBe('');
  });
});

const report = (scenarios: QualityScenarioResult[]) =>
  renderQualityReport({
    schemaVersion: 1,
    tool: { name: 'gan-update-bench', version: '0' },
    createdAt: '2026-11-28T00:00:00.000Z',
    versions: { tfjs: '4.22.0', node: 'v20' },
    machine: { cpuModel: 'test', cpus: 2 },
    settings: { backend: 'cpu', strategies: 'per scenario', regularizer: 'per scenario', seeds: 'per scenario', steps: 'per scenario' },
    scenarios,
  } as unknown as QualityResults);

const headings = (text: string) => [...text.matchAll(/^### (.+)$/gm)].map((match) => match[1]);

describe('the quality report under several regularizers', () => {
  it("names each unit's regularizer, then puts them side by side with the claims, per backend, before the backends side by side", () => {
    const onPytorch = (entry: QualityScenarioResult) => ({ ...entry, backend: 'pytorch', device: 'pytorch' });
    const text = report([none, r1, lazy, onPytorch(none), onPytorch(r1), onPytorch(lazy)]);
    expect(headings(text)).toEqual([
      'toy on cpu, regularizer none',
      'toy on cpu, regularizer r1',
      'toy on cpu, regularizer r1-lazy',
      'toy on cpu: the regularizers side by side',
      'toy on pytorch, regularizer none',
      'toy on pytorch, regularizer r1',
      'toy on pytorch, regularizer r1-lazy',
      'toy on pytorch: the regularizers side by side',
      'toy: the backends side by side',
    ]);
    const backends = renderBackendsSideBySide([none, r1, lazy, onPytorch(none), onPytorch(r1), onPytorch(lazy)]);
    expect(backends).toContain('| strategy | regularizer | ms per step (cpu) | ms per step (pytorch) |');
    expect(backends).toContain('| g-first | r1-lazy | 10.0 ms ± 1.0% | 10.0 ms ± 1.0% |');
    expect(backends).toContain('| three is the best (r1) |');
    expect(backends).toContain('- Seed for seed (r1-lazy), cpu and pytorch first reached the threshold at the same checkpoint (or both never did) in 10 of 10 trainings.');
  });

  it('looks as it did with one regularizer, and carries the R1 claim in its section where R1 ran alone', () => {
    const plain = report([none]);
    expect(headings(plain)).toEqual(['toy on cpu']);
    expect(plain).not.toMatch(/regularizer|R1/);
    const alone = report([r1]);
    expect(headings(alone)).toEqual(['toy on cpu']);
    expect(alone).toContain('| with R1 the simultaneous and alternating updates train alike | holds |');
    expect(alone).not.toContain('lazy R1');
  });
});
