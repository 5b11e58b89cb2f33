import { describe, expect, it } from 'vitest';
import {
  binomialCoefficient,
  mannWhitneyU,
  mean,
  median,
  quantile,
  relativeMarginOfError,
  sampleStandardDeviation,
  smallestMannWhitneyPValue,
  summarize,
  tCritical95,
  twoSidedNormalPValue,
} from '../../src/measure/statistics.js';

// The classic small data set: mean 5, population sd 2, sum of squared deviations 32.
const DATA = [2, 4, 4, 4, 5, 5, 7, 9];

describe('summary statistics', () => {
  it('the mean of 2, 4, 4, 4, 5, 5, 7, 9 is 40 / 8 = 5', () => {
    expect(mean(DATA)).toBe(5);
  });

  it('the median of an even count is the mean of the two middle values, and of an odd count the middle one', () => {
    expect(median(DATA)).toBe(4.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([7])).toBe(7);
  });

  it('quantiles interpolate linearly at position (n - 1) q of the sorted values (type 7)', () => {
    // n = 8: q = 0.25 -> h = 1.75, between sorted[1] = 4 and sorted[2] = 4.
    expect(quantile(DATA, 0.25)).toBe(4);
    // q = 0.9 -> h = 6.3: 7 + 0.3 * (9 - 7) = 7.6.
    expect(quantile(DATA, 0.9)).toBeCloseTo(7.6, 12);
    // q = 0.99 -> h = 6.93: 7 + 0.93 * 2 = 8.86.
    expect(quantile(DATA, 0.99)).toBeCloseTo(8.86, 12);
    expect(quantile(DATA, 0)).toBe(2);
    expect(quantile(DATA, 1)).toBe(9);
  });

  it('quantiles do not depend on the input order and do not sort the input in place', () => {
    const shuffled = [9, 2, 5, 4, 7, 4, 5, 4];
    expect(quantile(shuffled, 0.9)).toBeCloseTo(7.6, 12);
    expect(shuffled).toEqual([9, 2, 5, 4, 7, 4, 5, 4]);
  });

  it('the sample standard deviation divides the squared deviations by n - 1: sqrt(32 / 7)', () => {
    expect(sampleStandardDeviation(DATA)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleStandardDeviation([3])).toBe(0);
  });

  it('Student t critical values are exact for small df and tend to 1.96 for large df', () => {
    expect(tCritical95(1)).toBeCloseTo(12.7062, 4);
    expect(tCritical95(7)).toBeCloseTo(2.3646, 4);
    expect(tCritical95(30)).toBeCloseTo(2.0423, 4);
    expect(tCritical95(40)).toBeCloseTo(2.0211, 4);
    expect(tCritical95(120)).toBeCloseTo(1.9799, 4);
    expect(tCritical95(1e9)).toBeCloseTo(1.96, 2);
  });

  it('the relative margin of error is t(7) * sd / sqrt(8) / mean in percent, about 35.75%', () => {
    const expected = ((2.364624 * Math.sqrt(32 / 7)) / Math.sqrt(8) / 5) * 100;
    expect(relativeMarginOfError(DATA)).toBeCloseTo(expected, 6);
    expect(relativeMarginOfError(DATA)).toBeCloseTo(35.7498, 3);
    expect(relativeMarginOfError([4])).toBe(0);
  });

  it('summarize fills every TimingStats field from the raw samples', () => {
    expect(summarize(DATA)).toEqual({
      samples: 8,
      meanMs: 5,
      p50Ms: 4.5,
      p99Ms: expect.closeTo(8.86, 12),
      minMs: 2,
      maxMs: 9,
      sdMs: expect.closeTo(Math.sqrt(32 / 7), 12),
      rmePct: expect.closeTo(35.7498, 3),
    });
  });

  it('summaries of no samples throw instead of returning NaN', () => {
    expect(() => mean([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(/at least one value/);
  });
});

describe('Mann–Whitney U', () => {
  it('counts the pairs where the first sample is larger and gets the exact p-value for small samples', () => {
    // Pairs a > b: 19 beats 11, 12, 17 (3); 22 all four (4); 16 beats 11, 12 (2); 29 and 24 all four (8): U = 17.
    // U of the other sample is 5 * 4 - 17 = 3. Arrangements of 5 + 4 values with U <= 3: 1 + 1 + 2 + 3 = 7
    // out of C(9, 4) = 126, so p = 2 * 7 / 126 = 1/9.
    const result = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(result.u).toBe(17);
    expect(result.method).toBe('exact');
    expect(result.pValue).toBeCloseTo(1 / 9, 12);
  });

  it('completely separated samples of three give the smallest exact p-value, 2 / C(6, 3) = 0.1', () => {
    const result = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(result.u).toBe(0);
    expect(result.pValue).toBeCloseTo(0.1, 12);
    expect(smallestMannWhitneyPValue(3, 3)).toBeCloseTo(0.1, 12);
    expect(binomialCoefficient(16, 8)).toBe(12870);
  });

  it('with ties uses mid-ranks, the tie-corrected variance and the continuity correction', () => {
    // Combined and sorted: 1.1 | 2.3 2.3 2.3 | 3.5 3.5 | 4.0 | 5.1 | 6.2 | 7.0 7.0, ranks 1 | 3 3 3 | 5.5 5.5 | 7 | 8 | 9 | 10.5 10.5.
    // First sample's ranks 1 + 3 + 3 + 5.5 + 7 = 19.5, so U = 19.5 - 5 * 6 / 2 = 4.5; E[U] = 5 * 6 / 2 = 15.
    // Ties: t = 3, 2, 2, so sum(t^3 - t) = 24 + 6 + 6 = 36; n = 11.
    // Var[U] = 30 / 12 * (12 - 36 / 110) = 29.1818...; z = -(10.5 - 0.5) / sqrt(29.1818) = -1.85116.
    // Two-sided p = 2 * (1 - Phi(1.85116)) = 0.06415 (scipy.stats.mannwhitneyu: 0.0641466).
    const result = mannWhitneyU([1.1, 2.3, 2.3, 3.5, 4.0], [2.3, 3.5, 5.1, 6.2, 7.0, 7.0]);
    expect(result.u).toBe(4.5);
    expect(result.method).toBe('normal');
    expect(result.z).toBeCloseTo(-10 / Math.sqrt(2.5 * (12 - 36 / 110)), 9);
    expect(result.pValue).toBeCloseTo(0.0641466, 5);
  });

  it('larger samples use the normal approximation', () => {
    // 1..20 against 9.5..28.5: a = 10, 11, ..., 20 beats 1, 2, ..., 11 values of the second, U = 66 (scipy: p = 0.000305).
    const first = Array.from({ length: 20 }, (_, i) => i + 1);
    const second = first.map((value) => value + 8.5);
    const result = mannWhitneyU(first, second);
    expect(result.u).toBe(66);
    expect(result.method).toBe('normal');
    expect(result.pValue).toBeCloseTo(0.000305, 5);
  });

  it('identical samples are not different: p = 1 when every value ties', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });

  it('the normal p-value is the two-sided tail: 0.05 at z = 1.96', () => {
    expect(twoSidedNormalPValue(1.959964)).toBeCloseTo(0.05, 6);
    expect(twoSidedNormalPValue(0)).toBeCloseTo(1, 6);
  });
});
