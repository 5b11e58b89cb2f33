/**
 * Whether two sets of step times differ, the way asv decides it: the Mann–Whitney U test on the raw
 * samples when the sample sizes let it reach alpha, else whether the 95% confidence intervals of the
 * means overlap. The ratio threshold is applied separately (compare.ts); a change needs both.
 */
import { mannWhitneyU, smallestMannWhitneyPValue } from '../measure/statistics.js';

/** One side of a timing comparison: raw samples (possibly none) and the recorded mean and margin. */
export interface TimingSide {
  samples: readonly number[];
  mean: number;
  /** Relative margin of error of `mean` in percent (95%), for the interval fallback. */
  rmePct: number;
}

export type SignificanceMethod = 'mann-whitney-exact' | 'mann-whitney-normal' | 'ci-overlap' | 'too-few-samples';

export interface Significance {
  different: boolean;
  /** The test's two-sided p-value; absent when no test ran. */
  pValue?: number;
  method: SignificanceMethod;
}

/** Fewer samples than this on either side: no test and no interval can tell anything. */
const MINIMUM_SAMPLES = 2;

export function testSignificance(baseline: TimingSide, current: TimingSide, alpha: number): Significance {
  const baselineCount = baseline.samples.length;
  const currentCount = current.samples.length;
  if (baselineCount >= MINIMUM_SAMPLES && currentCount >= MINIMUM_SAMPLES) {
    if (smallestMannWhitneyPValue(baselineCount, currentCount) < alpha) {
      const test = mannWhitneyU(baseline.samples, current.samples);
      return {
        different: test.pValue < alpha,
        pValue: test.pValue,
        method: test.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal',
      };
    }
  }
  // Too few raw samples for the test to ever reach alpha (or none recorded): fall back to intervals,
  // which need a spread on both sides to mean anything.
  if (baselineCount > 0 && baselineCount < MINIMUM_SAMPLES) return { different: false, method: 'too-few-samples' };
  if (currentCount > 0 && currentCount < MINIMUM_SAMPLES) return { different: false, method: 'too-few-samples' };
  if (baseline.rmePct <= 0 && current.rmePct <= 0 && baselineCount + currentCount === 0) {
    return { different: false, method: 'too-few-samples' };
  }
  const baselineMargin = (Math.abs(baseline.mean) * baseline.rmePct) / 100;
  const currentMargin = (Math.abs(current.mean) * current.rmePct) / 100;
  const overlap =
    baseline.mean - baselineMargin <= current.mean + currentMargin &&
    current.mean - currentMargin <= baseline.mean + baselineMargin;
  return { different: !overlap, method: 'ci-overlap' };
}
