/**
 * One session interface for every backend: what `npm run bench` (src/run/runner.ts) and `npm run quality`
 * (src/quality/training/run.ts) ask of a backend, whichever runs it. The tfjs backends run in this process
 * (src/session/tfjs.ts); `pytorch` runs in its Python worker (src/session/pytorch.ts). Neither caller asks which
 * backend it holds: they start a session, calibrate, check equivalence, prepare the strategies' GANs, observe a
 * step, time rounds (src/session/timing.ts decides the rounds), train to checkpoints, and close.
 *
 * Failures are data where they belong to one strategy (an observed step that threw, a round a strategy failed);
 * a method that throws means the session cannot go on (its worker is gone), and the caller fails what is left.
 */
import type { StartedBackend } from '../backends/index.js';
import type { Calibration } from '../measure/calibration.js';
import type { Divergence } from '../measure/divergence.js';
import type { EquivalenceResult } from '../measure/equivalence.js';
import type { StepRecord } from '../measure/record.js';
import type { RoundPlan } from '../measure/timing.js';
import type { Scenario } from '../scenario/schema.js';
import type { StrategyId } from '../strategies/ids.js';
import type { VariantFields } from '../results/cell.js';
import type { CompileMode, Precision } from '../results/key.js';

export type { Divergence } from '../measure/divergence.js';

/** Reports what the session is doing now ("calibrating the backend ..."), for progress lines. */
export type PhaseReporter = (phase: string) => void | Promise<void>;

/** One training step's inputs: `z` is [batchSize, latentSize], `real` [batchSize, dataSize], row-major. */
export interface BatchArrays {
  z: Float32Array;
  real: Float32Array;
  /** WGAN-GP's interpolation weights, one per sample ([batchSize]), broadcast over it; only under WGAN-GP. */
  alpha?: Float32Array;
}

/** Real samples that are rows of a fixed table (MNIST's training digits), read in a seeded order. */
export interface RowTable {
  /** The table, [rows, dataSize] row-major. */
  values: Float32Array;
  /** The rows step `step` reads, in batch order: `batch(step).real` is exactly these rows of `values`. */
  rows(step: number): Uint32Array;
}

/** The training data of one seed (src/quality/data/data.ts draws it). */
export interface TrainingData {
  /** The batch of step `step` (0-based). */
  batch(step: number): BatchArrays;
  /**
   * Set where the real samples are rows of a fixed table (the mnist source): a backend in another process is sent
   * the table once and each step's rows, not every batch's samples (src/session/pytorch-training.ts).
   */
  table?: RowTable;
}

/** One strategy's outcome of the equivalence check. */
export interface EquivalenceOutcome {
  /** Its difference to the reference strategy; null where it was not compared. */
  result: EquivalenceResult | null;
  /** Why it could not be compared (the check failed), as a remark for its cell; null otherwise. */
  note: string | null;
  /** Its parameters became non-finite during the check. */
  diverged: Divergence | null;
}

/** What one observed, profiled step gave. */
export interface ObservedOutcome {
  /** The step's record; null where the step threw before it was recorded. */
  record: StepRecord | null;
  /** What the session's step variant measured of this strategy (compile time, graph breaks, skipped steps...). */
  variant?: VariantFields;
  /** What the step threw (judged against the strategy: the post's printed code must raise); undefined if nothing. */
  error?: unknown;
  /** Its losses or parameters were not finite after the step. */
  diverged: Divergence | null;
}

/** One strategy's share of a timing round. */
export interface RoundOutcome {
  samplesMs: number[];
  /** Why it failed in this round; it is not timed again. */
  error: string | null;
  /** A parameter was not finite after the round (checked outside the timed region). */
  diverged: Divergence | null;
  /** What the session's step variant knows after the round (fp16: skipped steps so far, the loss scales after each round). */
  variant?: VariantFields;
}

/** Device memory as the backend reports it, and whether it calls that figure an estimate. */
export interface DeviceMemory {
  bytes: number | null;
  isEstimate: boolean | null;
}

/** The GANs (one per strategy, from the scenario's seed) and the batch pool that steps are observed and timed on. */
export interface PreparedStrategies {
  /** One unobserved step (caches warm), then one observed, profiled step of `strategy`. */
  observe(strategy: StrategyId): Promise<ObservedOutcome>;
  /** One interleaved timing round of `strategies` as `plan` says; a divergence check on each after it. */
  timeRound(strategies: readonly StrategyId[], plan: RoundPlan): Promise<Map<StrategyId, RoundOutcome>>;
  /** Device memory now (after the timing). */
  deviceMemory(): DeviceMemory;
  /** The harness's own cost inside a timed sample, in ms; null where the backend's own loop times (no harness). */
  harnessOverheadMs(): Promise<number | null>;
  dispose(): Promise<void>;
}

export interface PrepareOptions {
  /**
   * The quality run's timing: the GANs its training builds and the first batches of this data as the pool
   * (instead of bench's GANs and uniform batches). `scenario`'s seed is then the seed's weight seed.
   */
  training?: TrainingData;
}

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

/** How a training ended: every step taken, or stopped where it diverged. */
export interface TrainingOutcome {
  diverged: Divergence | null;
}

/**
 * How a unit's steps are written around the strategy (issue 22): torch.compile and mixed precision. Only the pytorch
 * backend has them; a tfjs session refuses any but the default, in one line.
 */
export interface StepVariant {
  compile: CompileMode;
  precision: Precision;
}

export const EAGER_FP32: StepVariant = { compile: 'eager', precision: 'fp32' };

/** One strategy's update under the variant against the same strategy eager in fp32 (same weights, data, steps; float32). */
export interface VariantCheck {
  maxParamDiff: number | null;
  /** Why it could not be compared (the variant raised, or diverged); null when compared. */
  error: string | null;
}

export interface BackendSession {
  readonly started: StartedBackend;
  /** The backend as results name it: `cpu (…device…)`. */
  readonly label: string;
  /** Versions beside tfjs's and Node's that the results record (PyTorch's and Python's). */
  readonly versions: Readonly<Record<string, string>>;
  /** Why the scenario's GANs and batches for these strategies would not fit on the backend; null if they fit. */
  misfit(scenario: Scenario, strategies: readonly StrategyId[]): string | null;
  /** The backend's speed at the scenario's largest layer. A failure is a calibration with its error. */
  calibrate(scenario: Scenario, phase: PhaseReporter): Promise<Calibration>;
  /**
   * From identical weights and data, every strategy trained `steps` steps, compared with `reference`'s parameters
   * (tfjs: on cpu, once per scenario for every tfjs backend of a run; PyTorch: in float64). Printed strategies
   * (which raise) are left out.
   */
  checkEquivalence(
    scenario: Scenario,
    strategies: readonly StrategyId[],
    reference: StrategyId,
    steps: number,
    phase: PhaseReporter,
  ): Promise<Map<StrategyId, EquivalenceOutcome>>;
  /** Builds the strategies' GANs and batch pool; throws where they cannot be allocated. */
  prepare(scenario: Scenario, strategies: readonly StrategyId[], options?: PrepareOptions): Promise<PreparedStrategies>;
  /**
   * Trains `request.strategy` for `request.steps` steps and calls `onCheckpoint` at each checkpoint, in order,
   * awaiting it before training on. Stops at the first step whose losses, or checkpoint whose parameters or
   * samples, are not finite. Rejects when a step fails (the run records the failure and goes on).
   */
  train(request: TrainingRequest, onCheckpoint: (checkpoint: Checkpoint) => void | Promise<void>): Promise<TrainingOutcome>;
  /**
   * Under a step variant other than eager fp32: each strategy trained `steps` steps under it and eager in fp32 from
   * the same weights and data, compared (absent where the session has no variants).
   */
  checkVariant?(scenario: Scenario, strategies: readonly StrategyId[], steps: number): Promise<Map<StrategyId, VariantCheck>>;
  /** Releases what the session holds (the worker); the session is unusable after. */
  close(): Promise<void>;
}
