/**
 * The Frechet distance between two sets of feature vectors, as TF-GAN computes it
 * (tensorflow/gan, `tensorflow_gan/python/eval/classifier_metrics.py`,
 * `frechet_classifier_distance_from_activations`): in float64, with each set's mean and unbiased covariance,
 *
 *     FD = |m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)),
 *
 * where tr((C1 C2)^(1/2)) = tr((A C2 A)^(1/2)) with A = C1^(1/2), both square roots of symmetric matrices
 * (`trace_sqrt_product`). TF-GAN takes them by SVD; here by ml-matrix's eigendecomposition of the symmetric
 * matrix, with the same rule: a singular value below 1e-10 is kept as it is, larger ones are square-rooted (a
 * symmetric matrix's singular values are its eigenvalues' magnitudes, their sign kept).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** TF-GAN's `_symmetric_matrix_square_root` eps. */
const SQRT_EPSILON = 1e-10;

/** Mean and unbiased covariance (n - 1) of `count` rows of `dimension` values. */
export function meanAndCovariance(rows: ArrayLike<number>, dimension: number): { mean: number[]; covariance: Matrix } {
  const count = rows.length / dimension;
  if (count < 2) throw new RangeError(`a covariance needs at least 2 vectors, got ${count}`);
  const mean = new Array<number>(dimension).fill(0);
  for (let i = 0; i < count; i++) for (let d = 0; d < dimension; d++) mean[d]! += rows[i * dimension + d]!;
  for (let d = 0; d < dimension; d++) mean[d]! /= count;
  const covariance = Matrix.zeros(dimension, dimension);
  const centered = new Float64Array(dimension);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dimension; d++) centered[d] = rows[i * dimension + d]! - mean[d]!;
    for (let a = 0; a < dimension; a++) {
      for (let b = a; b < dimension; b++) covariance.set(a, b, covariance.get(a, b) + centered[a]! * centered[b]!);
    }
  }
  for (let a = 0; a < dimension; a++) {
    for (let b = a; b < dimension; b++) {
      const value = covariance.get(a, b) / (count - 1);
      covariance.set(a, b, value);
      covariance.set(b, a, value);
    }
  }
  return { mean, covariance };
}

/** The square root of a symmetric matrix, as TF-GAN's `_symmetric_matrix_square_root`. */
export function symmetricSquareRoot(matrix: Matrix): Matrix {
  const symmetric = matrix.add(matrix.transpose()).mul(0.5);
  const decomposition = new EigenvalueDecomposition(symmetric, { assumeSymmetric: true });
  const vectors = decomposition.eigenvectorMatrix;
  const roots = decomposition.realEigenvalues.map((value) => {
    const magnitude = Math.abs(value);
    return magnitude < SQRT_EPSILON ? value : Math.sign(value) * Math.sqrt(magnitude);
  });
  return vectors.mmul(Matrix.diag(roots)).mmul(vectors.transpose());
}

/** FD between the rows of `a` and of `b` (`dimension` values each). */
export function frechetDistance(a: ArrayLike<number>, b: ArrayLike<number>, dimension: number): number {
  const first = meanAndCovariance(a, dimension);
  const second = meanAndCovariance(b, dimension);
  const root = symmetricSquareRoot(first.covariance);
  const traceSqrtProduct = symmetricSquareRoot(root.mmul(second.covariance).mmul(root)).trace();
  let meanDistance = 0;
  for (let d = 0; d < dimension; d++) meanDistance += (first.mean[d]! - second.mean[d]!) ** 2;
  return meanDistance + first.covariance.trace() + second.covariance.trace() - 2 * traceSqrtProduct;
}
