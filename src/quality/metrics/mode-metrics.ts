/**
 * PacGAN's metrics for the 2-D mixtures, as its `MetricLogger` computes them (github.com/fjxmlzn/PacGAN,
 * `synthetic_data_experiments/PacGAN/pacgan/extensions.py`): each generated sample is mapped to the mode whose
 * mean is nearest in standardised distance, sqrt(sum((x - mean)^2 / variance)), the first mode winning a tie; it
 * is high quality when that distance is below 3 (`dis_thre`), and only high-quality samples enter the mode
 * histogram (`detail_of_coverage`). A mode is covered when its count is not zero. The reverse KL is that
 * histogram, normalised, against the uniform distribution over the modes, with the logger's own `KLD(p, q) =
 * sum(p log(p / q) for p != 0)` (the logger itself writes JSD and entropy; PacGAN's Table 1 reports this KL).
 */
import type { GaussianMixture } from '../data/mixtures.js';

/** PacGAN's `dis_thre`: standardised distances below it are high quality. */
export const HIGH_QUALITY_DISTANCE = 3;

export interface ModeMetrics {
  /** Fraction of samples within 3 standard deviations of their nearest mean. */
  highQuality: number;
  /** Modes with at least one high-quality sample. */
  modes: number;
  /** KL(histogram || uniform) of the high-quality samples' modes; null when no sample is high quality. */
  reverseKl: number | null;
  /** High-quality samples per mode. */
  histogram: number[];
}

/** `MetricLogger.do` on `samples` ([count, 2] row-major). */
export function modeMetrics(samples: Float32Array, mixture: GaussianMixture): ModeMetrics {
  const count = samples.length / 2;
  const variance = mixture.std ** 2;
  const histogram = new Array<number>(mixture.means.length).fill(0);
  for (let i = 0; i < count; i++) {
    const x = samples[2 * i]!;
    const y = samples[2 * i + 1]!;
    let nearest = -1;
    let nearestDistance = Infinity;
    mixture.means.forEach(([mx, my], j) => {
      const distance = Math.sqrt(((x - mx) ** 2 + (y - my) ** 2) / variance);
      if (distance < nearestDistance) {
        nearestDistance = distance;
        nearest = j;
      }
    });
    if (nearestDistance < HIGH_QUALITY_DISTANCE) histogram[nearest]! += 1;
  }
  const highQualityCount = histogram.reduce((a, b) => a + b, 0);
  return {
    highQuality: count === 0 ? 0 : highQualityCount / count,
    modes: histogram.filter((n) => n > 0).length,
    reverseKl: reverseKlFromUniform(histogram),
    histogram,
  };
}

/** sum(p log(p / q)) over the non-empty bins, p the normalised histogram and q uniform; null for an empty one. */
export function reverseKlFromUniform(histogram: readonly number[]): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const q = 1 / histogram.length;
  let kl = 0;
  for (const n of histogram) {
    if (n === 0) continue;
    const p = n / total;
    kl += p * Math.log(p / q);
  }
  return kl;
}
