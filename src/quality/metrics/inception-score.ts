/**
 * The classifier-based Inception score, as TF-GAN computes it (tensorflow/gan,
 * `tensorflow_gan/python/eval/classifier_metrics.py`, `classifier_score_from_logits`, which its MNIST evaluation
 * `examples/mnist/util.py` `mnist_score` uses): in float64, p(y|x) = softmax(logits), p(y) their mean, and
 *
 *     score = exp(mean over x of KL(p(y|x) || p(y))),   KL = sum p(y|x) (log_softmax(logits) - log p(y)).
 *
 * 1 when every sample gets the same class distribution; the number of classes (10) at most, reached only when
 * every sample is classified with certainty and the classes are equally frequent.
 */

/** The score of `count` rows of `classes` logits. */
export function inceptionScore(logits: ArrayLike<number>, classes: number): number {
  const count = logits.length / classes;
  if (!(count >= 1)) throw new RangeError('the Inception score needs at least one sample');
  const logProbabilities = new Float64Array(logits.length);
  const marginal = new Float64Array(classes);
  for (let i = 0; i < count; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c]! - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < classes; c++) {
      const logP = logits[i * classes + c]! - logSum;
      logProbabilities[i * classes + c] = logP;
      marginal[c]! += Math.exp(logP) / count;
    }
  }
  let meanKl = 0;
  for (let i = 0; i < count; i++) {
    let kl = 0;
    for (let c = 0; c < classes; c++) {
      const logP = logProbabilities[i * classes + c]!;
      const p = Math.exp(logP);
      if (p > 0) kl += p * (logP - Math.log(marginal[c]!)); // p log p -> 0 as p -> 0
    }
    meanKl += kl / count;
  }
  return Math.exp(meanKl);
}
