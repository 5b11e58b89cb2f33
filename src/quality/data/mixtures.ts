/**
 * PacGAN's two synthetic data sets (Lin et al., NeurIPS 2018; github.com/fjxmlzn/PacGAN,
 * `synthetic_data_experiments/2DRing_GAN&PacGAN/config.py` and `2DGrid_GAN&PacGAN/config.py`): mixtures of
 * equally likely isotropic Gaussians in the plane.
 */
import type { Random } from './random.js';

export interface GaussianMixture {
  /** The modes' means, [x, y]. */
  means: ReadonlyArray<readonly [number, number]>;
  /** Every mode's standard deviation, the same along both axes. */
  std: number;
}

/** `MEANS = [[cos(2 pi k / 8), sin(2 pi k / 8)] for k in range(8)]`, `VARIANCES = 0.01 ** 2 * I`. */
export const RING: GaussianMixture = {
  means: Array.from({ length: 8 }, (_, k) => [Math.cos((k * Math.PI * 2) / 8), Math.sin((k * Math.PI * 2) / 8)] as const),
  std: 0.01,
};

/** `MEANS = [[i, j] for i, j in product(range(-4, 5, 2), range(-4, 5, 2))]`, `VARIANCES = 0.05 ** 2 * I`. */
export const GRID: GaussianMixture = {
  means: [-4, -2, 0, 2, 4].flatMap((i) => [-4, -2, 0, 2, 4].map((j) => [i, j] as const)),
  std: 0.05,
};

/** `count` samples, row-major [count, 2]: a mode chosen uniformly, then its Gaussian (PacGAN's priors=None). */
export function sampleMixture(mixture: GaussianMixture, random: Random, count: number): Float32Array {
  const samples = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const [x, y] = mixture.means[random.integer(mixture.means.length)]!;
    samples[2 * i] = x + mixture.std * random.normal();
    samples[2 * i + 1] = y + mixture.std * random.normal();
  }
  return samples;
}
