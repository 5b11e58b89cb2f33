/**
 * Pure statistics for timing samples: summaries (what `TimingStats` holds) and the Mann–Whitney U test
 * that comparisons run on raw samples. Every function is checked against hand-computed values.
 */

/** Time per training step, from the timed (unobserved, unprofiled) steps. */
export interface TimingStats {
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  sdMs: number;
  /** Relative margin of error of the mean at 95% confidence (Student's t), in percent. */
  rmePct: number;
  /** Every timed step's duration in milliseconds (ascending within each round): comparisons test these. */
  samplesMs: number[];
}

function requireSamples(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what} needs at least one value`);
}

/** Arithmetic mean; throws on an empty list. */
export function mean(values: readonly number[]): number {
  requireSamples(values, 'mean');
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The q-quantile (0 <= q <= 1) by linear interpolation between closest ranks: Hyndman & Fan type 7,
 * the default of R, NumPy and Excel's PERCENTILE.INC. Position h = (n - 1) q on the sorted values.
 */
export function quantile(values: readonly number[], q: number): number {
  requireSamples(values, 'quantile');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be within [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const lowerValue = sorted[lower]!;
  const upperValue = sorted[upper]!;
  return lowerValue + (upperValue - lowerValue) * (position - lower);
}

/** The median: `quantile(values, 0.5)`, the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
export function sampleStandardDeviation(values: readonly number[]): number {
  requireSamples(values, 'sampleStandardDeviation');
  if (values.length < 2) return 0;
  const center = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - center) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Student's t 0.975 quantiles for 1..30 degrees of freedom (scipy.stats.t.ppf, 6 decimals). */
const T_975_BY_DF = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
  2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
  2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
] as const;

/** The standard normal 0.975 quantile. */
export const Z_975 = 1.959963984540054;

/**
 * Student's t critical value for a 95% two-sided interval with `df` degrees of freedom. Exact (table) for
 * df <= 30; beyond, the Cornish–Fisher expansion around z, which is within 1e-7 there and tends to 1.96.
 */
export function tCritical95(df: number): number {
  if (!(df >= 1)) throw new RangeError(`tCritical95 needs df >= 1, got ${df}`);
  const whole = Math.floor(df);
  if (whole <= T_975_BY_DF.length) return T_975_BY_DF[whole - 1]!;
  const z = Z_975;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  const g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160;
  return z + g1 / whole + g2 / whole ** 2 + g3 / whole ** 3 + g4 / whole ** 4;
}

/**
 * Relative margin of error of the mean at 95% confidence, in percent: t(n-1) * sd / sqrt(n) / mean * 100.
 * 0 with fewer than two values or no spread: there is nothing to estimate it from.
 */
export function relativeMarginOfError(values: readonly number[]): number {
  requireSamples(values, 'relativeMarginOfError');
  const sd = sampleStandardDeviation(values);
  if (values.length < 2 || sd === 0) return 0;
  const marginOfError = (tCritical95(values.length - 1) * sd) / Math.sqrt(values.length);
  return (marginOfError / Math.abs(mean(values))) * 100;
}

/** The `TimingStats` fields computed from raw step times (p50 and p99 by `quantile`); throws on no samples. */
export function summarize(samplesMs: readonly number[]): Omit<TimingStats, 'samplesMs'> {
  requireSamples(samplesMs, 'summarize');
  return {
    samples: samplesMs.length,
    meanMs: mean(samplesMs),
    p50Ms: quantile(samplesMs, 0.5),
    p99Ms: quantile(samplesMs, 0.99),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    sdMs: sampleStandardDeviation(samplesMs),
    rmePct: relativeMarginOfError(samplesMs),
  };
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(-z * z + poly);
  return x >= 0 ? value : 2 - value;
}

/** Two-sided p-value of a standard normal statistic: P(|Z| >= |z|). */
export function twoSidedNormalPValue(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, plus half the tied pairs. U of the second is n1 n2 - u. */
  u: number;
  /** Normal-approximation statistic (tie-corrected, continuity-corrected); sign: positive when `a` ranks higher. */
  z: number;
  /** Two-sided p-value, from `method`. */
  pValue: number;
  /** 'exact' (no ties and both samples <= 8) or 'normal' (the approximation with tie correction). */
  method: 'exact' | 'normal';
}

/** Samples up to this size with no ties get the exact null distribution of U, as scipy's 'auto' does. */
export const MANN_WHITNEY_EXACT_MAX_SIZE = 8;

/** Average (mid) ranks of the values, 1-based, ties sharing the mean of the ranks they span. */
function midRanks(values: readonly number[]): { ranks: number[]; tieGroupSizes: number[] } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  const tieGroupSizes: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end += 1;
    const rank = (start + end + 2) / 2;
    for (let k = start; k <= end; k += 1) ranks[order[k]!.index] = rank;
    tieGroupSizes.push(end - start + 1);
    start = end + 1;
  }
  return { ranks, tieGroupSizes };
}

/** How many arrangements of n1 + n2 distinct values give each U (index = U), by c(m,n,u) = c(m-1,n,u-n) + c(m,n-1,u). */
function exactUCounts(n1: number, n2: number): number[] {
  // counts[m][n] is the distribution for sizes (m, n); built up from the empty samples.
  const counts: number[][][] = [];
  for (let m = 0; m <= n1; m += 1) {
    counts.push([]);
    for (let n = 0; n <= n2; n += 1) {
      if (m === 0 || n === 0) {
        counts[m]!.push([1]);
        continue;
      }
      const distribution = new Array<number>(m * n + 1).fill(0);
      const withoutFirst = counts[m - 1]![n]!;
      const withoutSecond = counts[m]![n - 1]!;
      withoutFirst.forEach((count, u) => (distribution[u + n]! += count));
      withoutSecond.forEach((count, u) => (distribution[u]! += count));
      counts[m]!.push(distribution);
    }
  }
  return counts[n1]![n2]!;
}

/** Binomial coefficient C(n, k) as a float (exact for the sizes the exact test uses). */
export function binomialCoefficient(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= Math.min(k, n - k); i += 1) result = (result * (n - i + 1)) / i;
  return Math.round(result);
}

/**
 * Mann–Whitney U two-sided test of whether `a` and `b` come from the same distribution. Exact for small
 * samples without ties; otherwise the normal approximation with tie correction
 * sigma^2 = n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))) and a 0.5 continuity correction
 * (scipy.stats.mannwhitneyu's defaults give the same p-values).
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  requireSamples(a, 'mannWhitneyU (first sample)');
  requireSamples(b, 'mannWhitneyU (second sample)');
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const { ranks, tieGroupSizes } = midRanks([...a, ...b]);
  let rankSumA = 0;
  for (let i = 0; i < n1; i += 1) rankSumA += ranks[i]!;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;

  const meanU = (n1 * n2) / 2;
  const tieTerm = tieGroupSizes.reduce((sum, t) => sum + (t ** 3 - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const distance = Math.max(0, Math.abs(u - meanU) - 0.5);
  const z = variance > 0 ? (Math.sign(u - meanU) * distance) / Math.sqrt(variance) : 0;

  const hasTies = tieGroupSizes.some((size) => size > 1);
  if (!hasTies && n1 <= MANN_WHITNEY_EXACT_MAX_SIZE && n2 <= MANN_WHITNEY_EXACT_MAX_SIZE) {
    const counts = exactUCounts(n1, n2);
    const total = binomialCoefficient(n, n1);
    const smallerU = Math.min(u, n1 * n2 - u);
    let tail = 0;
    for (let k = 0; k <= smallerU; k += 1) tail += counts[k]!;
    return { u, z, pValue: Math.min(1, (2 * tail) / total), method: 'exact' };
  }
  return { u, z, pValue: variance > 0 ? twoSidedNormalPValue(z) : 1, method: 'normal' };
}

/**
 * The smallest two-sided p-value the Mann–Whitney test can give for these sizes (all of one sample below
 * all of the other): 2 / C(n1 + n2, n1). When it is not below alpha, the test can never say "different".
 */
export function smallestMannWhitneyPValue(n1: number, n2: number): number {
  return Math.min(1, 2 / binomialCoefficient(n1 + n2, n1));
}
