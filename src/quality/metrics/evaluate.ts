/**
 * Computes a checkpoint's metrics from what the backend handed back (src/session/session.ts), in TypeScript,
 * whatever backend trained: PacGAN's mode metrics for the ring and the grid, TF-GAN's classifier metrics for
 * MNIST (through the cached classifier, on the active tfjs backend), ||(theta, psi)|| for the Dirac-GAN.
 */
import type { Scenario } from '../../scenario/schema.js';
import { tf } from '../../tf.js';
import { classesCovered } from './classes-covered.js';
import { accuracy, classifierLogits, loadClassifier, type ClassifierWeights } from '../classifier/classifier.js';
import { frechetDistance } from './frechet-distance.js';
import { inceptionScore } from './inception-score.js';
import { METRICS_BY_SOURCE, type MetricId } from '../../scenario/metric-ids.js';
import { GRID, RING } from '../data/mixtures.js';
import { modeMetrics } from './mode-metrics.js';
import { MNIST_CLASSES, type DigitSet } from '../data/mnist-data.js';
import type { Checkpoint } from '../../session/session.js';

/** A metric's value at a checkpoint; null where it is undefined (a KL of an empty histogram). */
export type MetricValues = Partial<Record<MetricId, number | null>>;

/** The metrics a scenario's quality run computes: its list, or every metric of its data source. */
export function scenarioMetrics(scenario: Scenario): readonly MetricId[] {
  return scenario.quality?.metrics ?? METRICS_BY_SOURCE[scenario.data.source];
}

/** What the classifier says about real held-out digits: the reference generated digits are measured against. */
export interface MnistReference {
  model: tf.LayersModel;
  heldOutLogits: Float32Array;
  /** Held-out accuracy on the active backend. */
  heldOutAccuracy: number;
  /** The Inception score of the held-out digits: the ceiling a generator can hope for at this sample size. */
  heldOutInceptionScore: number;
  heldOutCount: number;
}

/** Loads the trained classifier on the active backend and runs it over the held-out digits. */
export async function createMnistReference(trained: ClassifierWeights, heldOut: DigitSet): Promise<MnistReference> {
  const model = loadClassifier(trained);
  const heldOutLogits = await classifierLogits(model, heldOut.images);
  return {
    model,
    heldOutLogits,
    heldOutAccuracy: await accuracy(model, heldOut),
    heldOutInceptionScore: inceptionScore(heldOutLogits, MNIST_CLASSES),
    heldOutCount: heldOut.count,
  };
}

/** The metrics of one checkpoint. `mnist` is needed for the mnist source. */
export async function evaluateCheckpoint(
  scenario: Scenario,
  checkpoint: Checkpoint,
  mnist?: MnistReference,
): Promise<MetricValues> {
  const wanted = scenarioMetrics(scenario);
  const all: MetricValues = {};
  switch (scenario.data.source) {
    case 'ring':
    case 'grid': {
      const metrics = modeMetrics(checkpoint.samples, scenario.data.source === 'ring' ? RING : GRID);
      Object.assign(all, { 'high-quality': metrics.highQuality, modes: metrics.modes, 'reverse-kl': metrics.reverseKl });
      break;
    }
    case 'mnist': {
      if (!mnist) throw new Error('the mnist metrics need the classifier');
      const logits = await classifierLogits(mnist.model, checkpoint.samples);
      Object.assign(all, {
        'inception-score': inceptionScore(logits, MNIST_CLASSES),
        'frechet-distance': frechetDistance(logits, mnist.heldOutLogits, MNIST_CLASSES),
        classes: classesCovered(logits, MNIST_CLASSES),
      });
      break;
    }
    case 'dirac': {
      const parameters = checkpoint.parameters;
      if (!parameters) throw new Error('the Dirac-GAN metrics need the checkpoint parameters');
      const theta = parameters.generator[0]![0]!;
      const psi = parameters.discriminator[0]![0]!;
      Object.assign(all, { distance: Math.hypot(theta, psi), theta, psi });
      break;
    }
    case 'uniform':
      throw new Error("the 'uniform' source has no quality metric");
  }
  return Object.fromEntries(wanted.map((id) => [id, all[id] ?? null]));
}
