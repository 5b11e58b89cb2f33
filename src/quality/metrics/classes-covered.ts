/**
 * Digit classes covered: how many classes at least one generated sample is classified as (the argmax of the
 * classifier's logits), as PacGAN and VEEGAN count the modes of stacked MNIST. Noise is classified too, so read
 * it next to the Inception score and the Frechet distance: 10 classes of blobs is not 10 digits.
 */

/** The number of distinct argmax classes among `count` rows of `classes` logits. */
export function classesCovered(logits: ArrayLike<number>, classes: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < logits.length / classes; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    seen.add(best);
  }
  return seen.size;
}
