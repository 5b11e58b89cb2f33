/**
 * The training loop's interface to a backend. A backend trains one strategy for one seed and hands back, at each
 * checkpoint, what G generates from the seed's fixed evaluation noise (and, where asked, every parameter's
 * values); the metrics are computed from those once, in TypeScript (src/quality/metrics/evaluate.ts), whatever backend
 * trained. The tfjs backends implement it in src/quality/training/tfjs-trainer.ts; a backend in another process (the
 * PyTorch worker) implements the same `train` by shipping the request and streaming checkpoints back.
 */
import type { Scenario } from '../../scenario/schema.js';
import type { StrategyId } from '../../strategies/ids.js';
import type { TrainingData } from '../data/data.js';

export interface TrainingRequest {
  /** The scenario, its `seed` already the seed's weight seed (src/quality/data/data.ts `scenarioForSeed`). */
  scenario: Scenario;
  strategy: StrategyId;
  /** Training steps. */
  steps: number;
  /** Ascending steps after which to hand back samples; 0 is the initial generator. */
  checkpoints: readonly number[];
  /** The batch of every step: the same for every strategy of this seed. */
  data: TrainingData;
  /** G's input at every checkpoint, [samples, latentSize] row-major. */
  evaluationNoise: Float32Array;
  /** Whether checkpoints also carry every parameter's values (the Dirac-GAN's theta and psi are parameters). */
  withParameters: boolean;
}

export interface Checkpoint {
  /** Training steps taken before this checkpoint. */
  step: number;
  /** G(evaluationNoise), [samples, dataSize] row-major. */
  samples: Float32Array;
  /** With `withParameters`: G's and D's parameters in `parameters()` order, each flattened. */
  parameters?: { generator: Float32Array[]; discriminator: Float32Array[] };
}

export interface QualityTrainer {
  /**
   * Trains `request.strategy` for `request.steps` steps and calls `onCheckpoint` at each checkpoint, in order,
   * awaiting it before training on. Rejects when a step fails (the run records the failure and goes on).
   */
  train(request: TrainingRequest, onCheckpoint: (checkpoint: Checkpoint) => void | Promise<void>): Promise<void>;
}
