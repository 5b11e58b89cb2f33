import { describe, expect, it } from 'vitest';
import { classesCovered } from '../../src/quality/metrics/classes-covered.js';
import { frechetDistance, meanAndCovariance, symmetricSquareRoot } from '../../src/quality/metrics/frechet-distance.js';
import { inceptionScore } from '../../src/quality/metrics/inception-score.js';
import { GRID, RING, sampleMixture } from '../../src/quality/data/mixtures.js';
import { modeMetrics, reverseKlFromUniform } from '../../src/quality/metrics/mode-metrics.js';
import { createRandom } from '../../src/quality/data/random.js';
import { Matrix } from 'ml-matrix';

const points = (list: ReadonlyArray<readonly [number, number]>) => Float32Array.from(list.flat());
const repeat = <T>(value: T, n: number): T[] => Array.from({ length: n }, () => value);

describe("PacGAN's mode metrics on planted samples", () => {
  it('the 8 ring means themselves: all 8 modes covered, 100% high quality, reverse KL 0', () => {
    const metrics = modeMetrics(points(RING.means), RING);
    expect(metrics).toEqual({ highQuality: 1, modes: 8, reverseKl: 0, histogram: repeat(1, 8) });
  });

  it('the 25 grid means themselves: all 25 modes covered, 100% high quality, reverse KL 0', () => {
    expect(modeMetrics(points(GRID.means), GRID)).toMatchObject({ highQuality: 1, modes: 25, reverseKl: 0 });
  });

  it('2,500 samples at one mean: 1 mode, 100% high quality, reverse KL log 8', () => {
    const metrics = modeMetrics(points(repeat(RING.means[3]!, 2500)), RING);
    expect(metrics.modes).toBe(1);
    expect(metrics.highQuality).toBe(1);
    expect(metrics.histogram[3]).toBe(2500);
    expect(metrics.reverseKl).toBeCloseTo(Math.log(8), 12);
  });

  it('samples far from every mean: 0% high quality, no mode, no histogram to take a KL of', () => {
    expect(modeMetrics(points(repeat([10, -10] as const, 100)), RING)).toEqual({
      highQuality: 0,
      modes: 0,
      reverseKl: null,
      histogram: repeat(0, 8),
    });
    // The ring's centre is a whole radius (100 standard deviations) from every mean.
    expect(modeMetrics(points([[0, 0]]), RING).highQuality).toBe(0);
  });

  it('high quality means a standardised distance below 3: 2.99 std counts, 3.01 does not', () => {
    const [x, y] = GRID.means[12]!; // (0, 0)
    const near = modeMetrics(points([[x + 2.99 * GRID.std, y]]), GRID);
    const far = modeMetrics(points([[x + 3.01 * GRID.std, y]]), GRID);
    expect([near.highQuality, far.highQuality]).toEqual([1, 0]);
  });

  it("samples drawn from the ring itself: all modes and ~99.9% high quality (3 std in 2-D: 1 - e^-4.5)", () => {
    const metrics = modeMetrics(sampleMixture(RING, createRandom(7), 2500), RING);
    expect(metrics.modes).toBe(8);
    expect(metrics.highQuality).toBeGreaterThan(0.98);
    expect(metrics.reverseKl!).toBeLessThan(0.01);
  });

  it('reverse KL by hand: histogram [2, 1, 1, 0] against uniform is 1/2 log 2', () => {
    expect(reverseKlFromUniform([2, 1, 1, 0])).toBeCloseTo(0.5 * Math.log(2), 15);
    expect(reverseKlFromUniform([5, 5, 5, 5])).toBe(0);
    expect(reverseKlFromUniform([0, 0])).toBeNull();
  });
});

describe('the Frechet distance', () => {
  it('of a set to itself is 0', () => {
    const random = createRandom(3);
    const set = Float64Array.from({ length: 500 * 10 }, () => random.normal() * 3 + 1);
    expect(Math.abs(frechetDistance(set, set, 10))).toBeLessThan(1e-9);
  });

  it('of two 1-D sets by hand: (m1 - m2)^2 + (s1 - s2)^2 with unbiased variances', () => {
    // [0, 2]: mean 1, variance 2; [1, 2, 3]: mean 2, variance 1. FD = 1 + 2 + 1 - 2 sqrt(2).
    expect(frechetDistance([0, 2], [1, 2, 3], 1)).toBeCloseTo(4 - 2 * Math.SQRT2, 12);
  });

  it('of two 2-D sets with diagonal covariances: |dm|^2 + sum of (s1 - s2)^2 per axis', () => {
    // Corners of a 2x4 and of a 6x2 rectangle: independent axes, variances by hand.
    const a = [-1, -2, 1, -2, -1, 2, 1, 2];
    const b = [-3 + 5, -1, 3 + 5, -1, -3 + 5, 1, 3 + 5, 1];
    const va = [4 / 3, 16 / 3];
    const vb = [36 / 3, 4 / 3];
    const expected = 25 + (Math.sqrt(va[0]!) - Math.sqrt(vb[0]!)) ** 2 + (Math.sqrt(va[1]!) - Math.sqrt(vb[1]!)) ** 2;
    expect(frechetDistance(a, b, 2)).toBeCloseTo(expected, 12);
  });

  it("takes a symmetric matrix's square root: R R = M", () => {
    const m = new Matrix([
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ]);
    const root = symmetricSquareRoot(m);
    expect(root.mmul(root).sub(m).norm()).toBeLessThan(1e-12);
    expect(meanAndCovariance([1, 2, 3, 4], 2).covariance.to2DArray()).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });
});

describe('the classifier Inception score and classes covered', () => {
  it('is 1 when every sample gets the same class distribution', () => {
    expect(inceptionScore([1, 2, 3, 1, 2, 3], 3)).toBeCloseTo(1, 12);
  });

  it('by hand on two classes: p = (1/4, 3/4) and (3/4, 1/4) give exp(1/4 log 1/2 + 3/4 log 3/2)', () => {
    const score = inceptionScore([0, Math.log(3), Math.log(3), 0], 2);
    expect(score).toBeCloseTo(Math.exp(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5)), 12);
  });

  it('is 10 for certain, balanced classifications of 10 classes; 10 classes covered', () => {
    const logits = Array.from({ length: 100 }, (_, i) => Array.from({ length: 10 }, (_, c) => (c === i % 10 ? 100 : 0))).flat();
    expect(inceptionScore(logits, 10)).toBeCloseTo(10, 6);
    expect(classesCovered(logits, 10)).toBe(10);
    expect(classesCovered(logits.slice(0, 30), 10)).toBe(3);
  });
});
