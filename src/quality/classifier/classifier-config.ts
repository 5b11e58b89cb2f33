/**
 * The MNIST classifier's architecture and training settings, as data (no TensorFlow.js here, so that the
 * scenario schema can validate a scenario's own `quality.classifier`): the default one the quality run uses and
 * its shape. src/quality/classifier/classifier.ts builds and trains it.
 */

export interface ClassifierConfig {
  /** Convolutions in order, each 'valid', ReLU, then 2x2 max pooling. */
  conv: ReadonlyArray<{ filters: number; kernelSize: number }>;
  /** Hidden dense widths (ReLU) between the last pooling and the 10 logits. */
  dense: readonly number[];
  epochs: number;
  batchSize: number;
  /** Adam's learning rate in the first epoch (tf.train.adam, betas 0.9/0.999). */
  learningRate: number;
  /** The rate is multiplied by this after every epoch (1: constant). */
  learningRateDecay: number;
  /** Seeds the initialisers and the batch order. */
  seed: number;
}

/** The classifier the quality run uses unless a scenario names another (docs/quality.md gives its accuracy). */
export const MNIST_CLASSIFIER: ClassifierConfig = {
  conv: [
    { filters: 16, kernelSize: 5 },
    { filters: 32, kernelSize: 5 },
  ],
  dense: [],
  epochs: 6,
  batchSize: 32,
  learningRate: 2e-3,
  learningRateDecay: 0.6,
  seed: 1,
};

