/**
 * The MNIST classifier the digit metrics run through, as TF-GAN's MNIST evaluation uses one
 * (tensorflow/gan, `tensorflow_gan/examples/mnist/util.py`: a pretrained classifier with ~99% accuracy whose
 * logits feed the classifier score and the Frechet distance). Here a small CNN (tf.layers) trained by the
 * harness on the training split, deterministically: seeded initialisers, no dropout, batches in a seeded order
 * (src/quality/data/random.ts), no `Math.random`. Its weights are cached on disk (src/quality/classifier/classifier-cache.ts).
 */
import { tf } from '../../tf.js';
import type { DigitSet } from '../data/mnist-data.js';
import { MNIST_CLASSES, MNIST_PIXELS } from '../data/mnist-data.js';
import { createRandom, deriveSeed, permutation } from '../data/random.js';
import type { ClassifierConfig } from './classifier-config.js';

export { MNIST_CLASSIFIER, type ClassifierConfig } from './classifier-config.js';

/** A classifier's trained weights, as plain arrays (what the cache stores). */
export interface ClassifierWeights {
  config: ClassifierConfig;
  weights: Array<{ shape: number[]; values: Float32Array }>;
}

/** The CNN of `config`, with every initialiser seeded. */
export function buildClassifier(config: ClassifierConfig): tf.Sequential {
  let next = 0;
  const seeded = () => tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'init', next++) });
  const model = tf.sequential();
  config.conv.forEach(({ filters, kernelSize }, i) => {
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [28, 28, 1] } : {}),
        filters,
        kernelSize,
        activation: 'relu',
        kernelInitializer: seeded(),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  model.add(tf.layers.flatten(config.conv.length === 0 ? { inputShape: [28, 28, 1] } : {}));
  for (const units of config.dense) model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: seeded() }));
  model.add(tf.layers.dense({ units: MNIST_CLASSES, kernelInitializer: seeded() }));
  return model;
}

const imagesTensor = (images: Float32Array) => tf.tensor4d(images, [images.length / MNIST_PIXELS, 28, 28, 1]);

/** Logits of `model` for `images` (rows of 784 values in [-1, 1]), in chunks. */
export async function classifierLogits(model: tf.LayersModel, images: Float32Array, chunk = 500): Promise<Float32Array> {
  const count = images.length / MNIST_PIXELS;
  const logits = new Float32Array(count * MNIST_CLASSES);
  for (let start = 0; start < count; start += chunk) {
    const end = Math.min(count, start + chunk);
    const output = tf.tidy(() => model.predict(imagesTensor(images.subarray(start * MNIST_PIXELS, end * MNIST_PIXELS))) as tf.Tensor);
    logits.set((await output.data()) as Float32Array, start * MNIST_CLASSES);
    output.dispose();
  }
  return logits;
}

/** The fraction of `set` whose argmax logit is its label. */
export async function accuracy(model: tf.LayersModel, set: DigitSet): Promise<number> {
  const logits = await classifierLogits(model, set.images);
  let correct = 0;
  for (let i = 0; i < set.count; i++) {
    let best = 0;
    for (let c = 1; c < MNIST_CLASSES; c++) if (logits[i * MNIST_CLASSES + c]! > logits[i * MNIST_CLASSES + best]!) best = c;
    if (best === set.labels[i]) correct++;
  }
  return correct / set.count;
}

/**
 * Trains the CNN of `config` on `train` with softmax cross-entropy, epoch by epoch, each epoch's batches in a
 * seeded order, and returns its weights.
 */
export async function trainClassifier(
  config: ClassifierConfig,
  train: DigitSet,
  /** Called after each epoch, with the model as trained so far. */
  onEpoch?: (epoch: number, epochs: number, model: tf.LayersModel) => void | Promise<void>,
): Promise<ClassifierWeights> {
  const model = buildClassifier(config);
  const optimizer = tf.train.adam(config.learningRate);
  model.compile({ optimizer, loss: tf.losses.softmaxCrossEntropy });
  const batch = new Float32Array(config.batchSize * MNIST_PIXELS);
  const labels = new Float32Array(config.batchSize * MNIST_CLASSES);
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      // tfjs's Adam reads its rate at every step; the field is protected in its typings only.
      (optimizer as unknown as { learningRate: number }).learningRate = config.learningRate * config.learningRateDecay ** epoch;
      const order = permutation(train.count, createRandom(deriveSeed(config.seed, 'epoch', epoch)));
      for (let start = 0; start < train.count; start += config.batchSize) {
        const size = Math.min(config.batchSize, train.count - start);
        labels.fill(0);
        for (let i = 0; i < size; i++) {
          const index = order[start + i]!;
          batch.set(train.images.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
          labels[i * MNIST_CLASSES + train.labels[index]!] = 1;
        }
        const x = imagesTensor(batch.subarray(0, size * MNIST_PIXELS));
        const y = tf.tensor2d(labels.subarray(0, size * MNIST_CLASSES), [size, MNIST_CLASSES]);
        await model.trainOnBatch(x, y);
        x.dispose();
        y.dispose();
      }
      await onEpoch?.(epoch + 1, config.epochs, model);
    }
    const weights = await Promise.all(
      model.getWeights().map(async (weight) => ({ shape: [...weight.shape], values: (await weight.data()) as Float32Array })),
    );
    return { config, weights };
  } finally {
    model.optimizer.dispose();
    model.dispose();
  }
}

/** The CNN of `trained.config` with its trained weights set, ready for `classifierLogits`. */
export function loadClassifier(trained: ClassifierWeights): tf.Sequential {
  const model = buildClassifier(trained.config);
  const tensors = trained.weights.map(({ shape, values }) => tf.tensor(values, shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}
