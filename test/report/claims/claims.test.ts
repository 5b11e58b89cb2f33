import { describe, expect, it } from 'vitest';
import {
  compareTimes,
  evaluateClaims,
  evaluateClaimsPerBackend,
  type ClaimId,
  type ClaimResult,
} from '../../../src/report/claims/claims.js';
import { makeCell, makeCells, makeDistributedOnlyCell, makeErroredCell, makeScenario, makeTiming } from '../fixtures.js';

const scenario = makeScenario();

function claim(results: ClaimResult[], id: ClaimId): ClaimResult {
  const found = results.find((result) => result.id === id);
  if (!found) throw new Error(`no claim ${id}`);
  return found;
}

describe('compareTimes', () => {
  it('calls A faster when its upper bound is below B lower bound', () => {
    // 1.0 * 1.01 = 1.01 < 1.1 * 0.99 = 1.089
    expect(compareTimes({ meanMs: 1, rmePct: 1 }, { meanMs: 1.1, rmePct: 1 })).toBe('faster');
    expect(compareTimes({ meanMs: 1.1, rmePct: 1 }, { meanMs: 1, rmePct: 1 })).toBe('slower');
  });

  it('finds no difference when the intervals overlap', () => {
    // 1.0 * 1.05 = 1.05 is not below 1.05 * 0.95 = 0.9975
    expect(compareTimes({ meanMs: 1, rmePct: 5 }, { meanMs: 1.05, rmePct: 5 })).toBe('indistinguishable');
  });

  it('finds no difference when the intervals just touch', () => {
    // 100 * 1.25 = 125 = 250 * 0.5, exactly
    expect(compareTimes({ meanMs: 100, rmePct: 25 }, { meanMs: 250, rmePct: 50 })).toBe('indistinguishable');
  });

  it('orders nothing when a margin of error is not finite', () => {
    expect(compareTimes({ meanMs: 1, rmePct: Number.NaN }, { meanMs: 100, rmePct: 1 })).toBe('indistinguishable');
  });
});

describe('evaluateClaims', () => {
  it('judges all seven claims, and all hold on cells that behave as the post says', () => {
    const results = evaluateClaims(scenario, makeCells());
    expect(results.map((result) => result.id)).toEqual([
      'three-best',
      'two-second-one-worst',
      'one-needless-g-gradient',
      'three-needless-d-forward',
      'g-gradient-costs-more',
      'complexity-rule',
      'two-holds-g-graph',
    ]);
    for (const result of results) expect(result.verdict, result.id).toBe('holds');
    expect(claim(results, 'g-gradient-costs-more').evidence).toContain('120 kFLOP');
    expect(claim(results, 'two-holds-g-graph').evidence).toContain(
      'detach-d-first 2.00 KiB, g-first 0 B, retain-graph 8.00 KiB',
    );
  });

  it('three-best does not hold when retain-graph is faster than g-first beyond the margin', () => {
    const results = evaluateClaims(scenario, makeCells({ 'retain-graph': { timing: makeTiming(0.5) } }));
    expect(claim(results, 'three-best').verdict).toBe('does not hold');
  });

  it('three-best is inconclusive when g-first and detach-d-first differ by less than the margins', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { timing: makeTiming(1.01, 2) } }));
    const result = claim(results, 'three-best');
    expect(result.verdict).toBe('inconclusive');
    expect(result.evidence).toContain('no different beyond the margin of error from detach-d-first');
  });

  it('two-second-one-worst does not hold when retain-graph beats detach-d-first', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { timing: makeTiming(2) } }));
    expect(claim(results, 'two-second-one-worst').verdict).toBe('does not hold');
  });

  it('two-second-one-worst is inconclusive when detach-d-first ties g-first: second means slower than three', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { timing: makeTiming(1.0) } }));
    const result = claim(results, 'two-second-one-worst');
    expect(result.verdict).toBe('inconclusive');
    expect(result.evidence).toBe(
      'g-first 1.00 ms ± 1.0%, detach-d-first 1.00 ms ± 1.0%, retain-graph 1.40 ms ± 1.0%: ' +
        'detach-d-first is no different beyond the margin of error from g-first; detach-d-first is faster than retain-graph; ' +
        'g-first is faster than retain-graph.',
    );
  });

  it('two-second-one-worst does not hold when detach-d-first beats g-first: two would be first', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { timing: makeTiming(0.8) } }));
    expect(claim(results, 'two-second-one-worst').verdict).toBe('does not hold');
  });

  it('two-second-one-worst does not hold when retain-graph beats g-first, whatever detach-d-first does', () => {
    const results = evaluateClaims(
      scenario,
      makeCells({ 'retain-graph': { timing: makeTiming(0.9) }, 'detach-d-first': { timing: makeTiming(0.9, 20) } }),
    );
    expect(claim(results, 'two-second-one-worst').verdict).toBe('does not hold');
  });

  it('two-second-one-worst is inconclusive when detach-d-first and retain-graph overlap', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { timing: makeTiming(1.39, 5) } }));
    expect(claim(results, 'two-second-one-worst').verdict).toBe('inconclusive');
  });

  it('one-needless-g-gradient does not hold when retain-graph wastes no more than g-first', () => {
    const results = evaluateClaims(
      scenario,
      makeCells({ 'retain-graph': { generatorBackwards: 1, wastedGradientElements: 545 } }),
    );
    expect(claim(results, 'one-needless-g-gradient').verdict).toBe('does not hold');
  });

  it('one-needless-g-gradient is inconclusive when the counts were not recorded', () => {
    const results = evaluateClaims(scenario, makeCells({ 'g-first': { wastedGradientElements: null } }));
    const result = claim(results, 'one-needless-g-gradient');
    expect(result.verdict).toBe('inconclusive');
    expect(result.evidence).toContain('g-first');
  });

  it('three-needless-d-forward does not hold when g-first runs as many D forwards as retain-graph', () => {
    const results = evaluateClaims(scenario, makeCells({ 'g-first': { discriminatorForwards: 2 } }));
    expect(claim(results, 'three-needless-d-forward').verdict).toBe('does not hold');
  });

  it('g-gradient-costs-more does not hold when g-first costs more FLOPs, whatever the times', () => {
    const results = evaluateClaims(scenario, makeCells({ 'g-first': { flops: 130_000 } }));
    const result = claim(results, 'g-gradient-costs-more');
    expect(result.verdict).toBe('does not hold');
    expect(result.evidence).toContain('retain-graph 120 kFLOP, g-first 130 kFLOP (-7.7%)');
    expect(result.evidence).toContain('retain-graph is slower than g-first');
  });

  it('g-gradient-costs-more falls back to predicted FLOPs when the step was not profiled', () => {
    const results = evaluateClaims(
      scenario,
      makeCells({ 'retain-graph': { flops: null }, 'g-first': { flops: null } }),
    );
    const result = claim(results, 'g-gradient-costs-more');
    expect(result.verdict).toBe('holds');
    expect(result.evidence).toContain('(predicted)');
  });

  it('complexity-rule picks retain-graph when D is more complex, and does not hold when g-first is faster', () => {
    const complexD = makeScenario({ discriminatorMacsPerSample: 10_000 });
    const result = claim(evaluateClaims(complexD, makeCells()), 'complexity-rule');
    expect(result.verdict).toBe('does not hold');
    expect(result.evidence).toContain('D is more complex, so the rule picks retain-graph');
  });

  it('complexity-rule is inconclusive when the picked strategy is not faster beyond the margin', () => {
    const results = evaluateClaims(scenario, makeCells({ 'g-first': { timing: makeTiming(1.4, 3) } }));
    expect(claim(results, 'complexity-rule').verdict).toBe('inconclusive');
  });

  it('complexity-rule does not apply when D and G are equally complex', () => {
    const equal = makeScenario({ discriminatorMacsPerSample: 640 });
    expect(claim(evaluateClaims(equal, makeCells()), 'complexity-rule').verdict).toBe('not applicable');
  });

  it('two-holds-g-graph does not hold when detach-d-first retains nothing', () => {
    const results = evaluateClaims(scenario, makeCells({ 'detach-d-first': { retainedBytes: 0 } }));
    expect(claim(results, 'two-holds-g-graph').verdict).toBe('does not hold');
  });

  it('claims on a strategy that errored or was not run are inconclusive and say which is missing', () => {
    const cells = [makeCell('retain-graph'), makeErroredCell('g-first', 'out of memory'), makeCell('single-forward')];
    const results = evaluateClaims(scenario, cells);
    const threeBest = claim(results, 'three-best');
    expect(threeBest.verdict).toBe('inconclusive');
    expect(threeBest.evidence).toBe('Not measured: g-first (errored: out of memory), detach-d-first (not run).');
    expect(claim(results, 'three-needless-d-forward').evidence).toContain('g-first (errored: out of memory)');
  });

  it('refuses cells of several backends', () => {
    const cells = [...makeCells(), makeCell('g-first', { backend: 'wasm', device: 'wasm (SIMD)' })];
    expect(() => evaluateClaims(scenario, cells)).toThrow(/one backend and device/);
  });

  it('evaluateClaimsPerBackend judges each backend and device separately', () => {
    const wasm = makeCells({ 'g-first': { timing: makeTiming(3) } }).map((cell) => ({
      ...cell,
      backend: 'wasm' as const,
      device: 'wasm',
    }));
    const groups = evaluateClaimsPerBackend(scenario, [...makeCells(), ...wasm]);
    expect(groups.map((group) => group.backend)).toEqual(['cpu', 'wasm']);
    expect(claim(groups[0]!.claims, 'three-best').verdict).toBe('holds');
    expect(claim(groups[1]!.claims, 'three-best').verdict).toBe('does not hold');
  });
});

describe("evaluateClaims and gan_ddp's distributed-only strategies", () => {
  it('judges no claim on them: the verdicts are those of the registry cells beside them', () => {
    const atWorldSize2 = makeCells().map((cell) => ({ ...cell, backend: 'pytorch' as const, device: 'world size 2 (gloo)', worldSize: 2 }));
    const withThem = [...atWorldSize2, makeDistributedOnlyCell('stylegan2-ada', { timing: makeTiming(0.01) }), makeDistributedOnlyCell('stylegan3-flat')];
    expect(evaluateClaims(scenario, withThem)).toEqual(evaluateClaims(scenario, atWorldSize2));
  });
});
