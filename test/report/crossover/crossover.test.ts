import { describe, expect, it } from 'vitest';
import {
  crossoverPoints,
  describeCrossover,
  flopCrossover,
  interpolateCrossover,
  judgeSweepRule,
  locateCrossover,
  measuredCrossover,
  type CrossoverPoint,
  type Standing,
} from '../../../src/report/crossover/crossover.js';
import { makeCell, makeScenario, makeTiming } from '../fixtures.js';

const standing = (dToG: number, ahead: Standing['ahead'], gap: number): Standing => ({ dToG, ahead, gap });

/** A variant where retain-graph and g-first took these means (ms) with these margins (%). */
function point(dToG: number, retain: [number, number] | null, gFirst: [number, number] | null, batchSize = 64, flops?: [number, number]): CrossoverPoint {
  return {
    scenario: `v-${dToG}-b${batchSize}`,
    batchSize,
    dToG,
    times: {
      ...(retain ? { 'retain-graph': { meanMs: retain[0], rmePct: retain[1] } } : {}),
      ...(gFirst ? { 'g-first': { meanMs: gFirst[0], rmePct: gFirst[1] } } : {}),
    },
    flops: flops ? { 'retain-graph': flops[0], 'g-first': flops[1] } : {},
  };
}

describe('interpolateCrossover', () => {
  it('finds where the gap reaches zero on a straight line over log10 D/G', () => {
    // Gaps +0.2 at D/G 1 and -0.2 at 10: halfway in log, 10^0.5.
    expect(interpolateCrossover(standing(1, -1, 0.2), standing(10, 1, -0.2))).toBeCloseTo(3.16228, 5);
    // +0.3 at 0.5 and -0.1 at 8: three quarters of the way from log10 0.5 to log10 8 = log10 4.
    expect(interpolateCrossover(standing(0.5, -1, 0.3), standing(8, 1, -0.1))).toBeCloseTo(4, 10);
  });
});

describe('locateCrossover', () => {
  it('interpolates between the two decided variants where g-first ahead turns to retain-graph ahead', () => {
    const crossover = locateCrossover([standing(0.1, -1, 0.3), standing(0.5, -1, 0.2), standing(8, 1, -0.2)]);
    // 0.2 and -0.2 at 0.5 and 8: halfway in log, 2.
    expect(crossover).toMatchObject({ kind: 'at', between: [0.5, 8], flips: 1 });
    expect((crossover as { dToG: number }).dToG).toBeCloseTo(2, 10);
  });

  it('reads where the mean ratio crosses 1 from the variants within the margins between the two', () => {
    // A tie at 2 whose mean is already below g-first's (gap -0.1): between 0.5 (+0.2) and 2, two thirds of the way in
    // log, 0.5 * 4^(2/3) = 2^(1/3).
    const before = locateCrossover([standing(0.5, -1, 0.2), standing(2, 0, -0.1), standing(8, 1, -0.2)]);
    expect(before).toMatchObject({ kind: 'at', between: [0.5, 8] });
    expect((before as { dToG: number }).dToG).toBeCloseTo(2 ** (1 / 3), 10);
    // A tie at 2 still above (+0.1): between 2 and 8 (-0.2), a third of the way, 2 * 4^(1/3) = 2^(5/3).
    const after = locateCrossover([standing(0.5, -1, 0.2), standing(2, 0, 0.1), standing(8, 1, -0.2)]);
    expect((after as { dToG: number }).dToG).toBeCloseTo(2 ** (5 / 3), 10);
    // A tie exactly at the mean: the crossover is that variant.
    expect(locateCrossover([standing(0.5, -1, 0.2), standing(2, 0, 0), standing(8, 1, -0.2)])).toMatchObject({ kind: 'at', dToG: 2 });
  });

  it('sorts the variants by D/G, takes the first upward flip, and counts every flip', () => {
    const crossover = locateCrossover([standing(10, 1, -0.2), standing(1, -1, 0.2), standing(100, -1, 0.1), standing(1000, 1, -0.1)]);
    expect(crossover).toMatchObject({ kind: 'at', between: [1, 10], flips: 3 });
    expect(describeCrossover(crossover)).toBe('D/G ≈ 3.16 (between 1.00 and 10.0; the ordering flips 3 times along the sweep)');
  });

  it('says none in range where one of the two is ahead at every variant, and at the end of the range where the other would take over', () => {
    expect(locateCrossover([standing(0.1, -1, 0.3), standing(1, -1, 0.2), standing(10, -1, 0.1)])).toEqual({ kind: 'none', ahead: 'g-first' });
    // A tie in the middle, g-first still ahead at the top of the range.
    expect(locateCrossover([standing(0.1, -1, 0.3), standing(1, 0, 0.02), standing(10, -1, 0.1)])).toEqual({ kind: 'none', ahead: 'g-first' });
    expect(locateCrossover([standing(0.1, 1, -0.3), standing(10, 1, -0.1)])).toEqual({ kind: 'none', ahead: 'retain-graph' });
    expect(describeCrossover({ kind: 'none', ahead: 'g-first' })).toBe('none in range (g-first faster throughout)');
  });

  it('is inconclusive where the ordering is within the margins where the crossover would have to be', () => {
    expect(locateCrossover([standing(0.1, -1, 0.3), standing(1, -1, 0.2), standing(10, 0, -0.01)])).toEqual({
      kind: 'inconclusive',
      reason: 'g-first is ahead up to D/G 1.00, within the margins above it',
    });
    expect(locateCrossover([standing(0.1, 0, 0.01), standing(10, 1, -0.1)])).toEqual({
      kind: 'inconclusive',
      reason: 'retain-graph is ahead from D/G 10.0, within the margins below it',
    });
    expect(locateCrossover([standing(0.1, 0, 0.01), standing(10, 0, -0.01)])).toEqual({
      kind: 'inconclusive',
      reason: 'every variant is within the margins of error',
    });
    expect(locateCrossover([])).toMatchObject({ kind: 'inconclusive' });
  });

  it('reports the opposite flip as reversed, not as a crossover', () => {
    const crossover = locateCrossover([standing(1, 1, -0.2), standing(10, -1, 0.2)]);
    expect(crossover).toMatchObject({ kind: 'reversed', between: [1, 10], flips: 1 });
    expect(describeCrossover(crossover)).toBe(
      'none in range: reversed, retain-graph faster below D/G ≈ 3.16 and g-first above (between 1.00 and 10.0)',
    );
  });
});

describe('measuredCrossover', () => {
  it('orders each variant beyond the margins of error and interpolates the time ratio', () => {
    // 12 ± 1% against 10 ± 1%: g-first faster (11.88 > 10.1), gap +0.2; 8 ± 1% against 10 ± 1%: retain-graph faster, gap -0.2.
    const crossover = measuredCrossover([point(1, [12, 1], [10, 1]), point(10, [8, 1], [10, 1])]);
    expect(crossover.kind).toBe('at');
    expect((crossover as { dToG: number }).dToG).toBeCloseTo(3.16228, 5);
  });

  it('is inconclusive where the margins overlap, and leaves out a variant without both timings', () => {
    // 9.5 ± 5% (9.975 at most) against 10 ± 5% (9.5 at least): within the margins.
    expect(measuredCrossover([point(1, [12, 1], [10, 1]), point(10, [9.5, 5], [10, 5])])).toMatchObject({ kind: 'inconclusive' });
    expect(measuredCrossover([point(1, [12, 1], [10, 1]), point(10, null, [10, 1])])).toEqual({ kind: 'none', ahead: 'g-first' });
  });
});

describe('flopCrossover', () => {
  it('interpolates where the FLOP ratio reaches one, exactly at a variant where the FLOPs are equal', () => {
    // Gaps +0.3 at 1 and -0.1 at 10: three quarters of the way, 10^0.75.
    const between = flopCrossover([point(1, null, null, 64, [130, 100]), point(10, null, null, 64, [90, 100])]);
    expect((between as { dToG: number }).dToG).toBeCloseTo(5.62341, 5);
    const exact = flopCrossover([point(1, null, null, 64, [130, 100]), point(3, null, null, 64, [100, 100]), point(10, null, null, 64, [90, 100])]);
    expect(exact).toEqual({ kind: 'at', dToG: 3, between: [3, 3], flips: 0 });
    expect(describeCrossover(exact, { ahead: 'cheaper', behind: 'dearer' })).toBe('D/G ≈ 3.00 (at the variant 3.00)');
    expect(flopCrossover([point(1, null, null, 64, [130, 100])])).toEqual({ kind: 'none', ahead: 'g-first' });
  });
});

describe('judgeSweepRule', () => {
  it('holds when g-first is faster at every D/G < 1 variant and retain-graph at every D/G > 1 variant, beyond the margins', () => {
    const result = judgeSweepRule([point(0.1, [12, 1], [10, 1]), point(1, [12, 1], [10, 1]), point(10, [8, 1], [10, 1])]);
    expect(result.verdict).toBe('holds');
    // D/G = 1 is judged on neither side.
    expect(result.evidence).toBe(
      'D/G < 1: g-first faster at 1 of 1 variants; D/G > 1: retain-graph faster at 1 of 1 variants. ' +
        'Measured crossover, batch 64: D/G ≈ 3.16 (between 1.00 and 10.0).',
    );
  });

  it('does not hold when a variant contradicts it beyond the margins, naming the variant and the measured crossover', () => {
    const result = judgeSweepRule([point(0.1, [12, 1], [10, 1]), point(4, [12, 1], [10, 1]), point(16, [8, 1], [10, 1]), point(0.1, [12, 1], [10, 1], 256)]);
    expect(result.verdict).toBe('does not hold');
    expect(result.evidence).toBe(
      'Contradicted by v-4-b64 (D/G 4.00: g-first faster, retain-graph 12.0 ms ± 1.0%, g-first 10.0 ms ± 1.0%). ' +
        'D/G < 1: g-first faster at 2 of 2 variants; D/G > 1: retain-graph faster at 1 of 2 variants (the other faster at 1). ' +
        'Measured crossover, batch 64: D/G ≈ 8.00 (between 4.00 and 16.0); batch 256: none in range (g-first faster throughout).',
    );
  });

  it('is inconclusive where a variant is within the margins, untimed, or one side of 1 has no variant', () => {
    const tie = judgeSweepRule([point(0.1, [12, 1], [10, 1]), point(10, [10, 5], [10, 5])]);
    expect(tie.verdict).toBe('inconclusive');
    expect(tie.evidence).toMatch(/^D\/G < 1: g-first faster at 1 of 1 variants; D\/G > 1: retain-graph faster at 0 of 1 variants \(within the margins at 1\)\./);
    const untimed = judgeSweepRule([point(0.1, [12, 1], [10, 1]), point(10, null, [10, 1])]);
    expect(untimed).toMatchObject({ verdict: 'inconclusive', evidence: expect.stringMatching(/not timed at 1/) });
    const oneSide = judgeSweepRule([point(0.1, [12, 1], [10, 1]), point(0.5, [12, 1], [10, 1])]);
    expect(oneSide).toMatchObject({ verdict: 'inconclusive', evidence: expect.stringMatching(/No variant has D\/G > 1\.$/) });
  });
});

describe('crossoverPoints', () => {
  it("takes each variant's D/G from its MACs and its ok cells' times and FLOPs, sorted by batch then D/G", () => {
    const variants = [
      makeScenario({ name: 'big', batchSize: 4, generatorMacsPerSample: 100, discriminatorMacsPerSample: 400 }),
      makeScenario({ name: 'small', batchSize: 4, generatorMacsPerSample: 100, discriminatorMacsPerSample: 25 }),
    ];
    const cells = [
      makeCell('retain-graph', { scenario: 'big', timing: makeTiming(2, 3), flops: null, flopsPredicted: 900 }),
      makeCell('g-first', { scenario: 'big', status: 'errored', error: 'boom' }),
      makeCell('g-first', { scenario: 'small', timing: makeTiming(1, 2), flops: 500 }),
    ];
    expect(crossoverPoints(variants, cells)).toEqual([
      { scenario: 'small', batchSize: 4, dToG: 0.25, times: { 'g-first': { meanMs: 1, rmePct: 2 } }, flops: { 'g-first': 500 } },
      { scenario: 'big', batchSize: 4, dToG: 4, times: { 'retain-graph': { meanMs: 2, rmePct: 3 } }, flops: { 'retain-graph': 900 } },
    ]);
  });
});
