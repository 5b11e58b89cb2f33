/**
 * The JSON-lines protocol between the pytorch backend and its Python worker (the gan_worker package beside this
 * file, run as `python -m gan_worker`): one request per line on the worker's stdin, answered by one line on its
 * stdout with the same id, progress lines before it. The shapes here are what the worker writes; docs/pytorch.md
 * describes every operation. No line ever carries NaN or an infinity (JSON has none): a non-finite value is a
 * `diverged` or a failure.
 */
import type { CalibrationLayer, Fp32Peak, ProductForm, RoundSamples } from '../../measure/calibration.js';
import type { StepRecord } from '../../measure/record.js';
import type { CompileMode, Precision } from '../../scenario/variants.js';
import type { Scenario } from '../../scenario/schema.js';
import { STRATEGY_IDS } from '../../strategies/ids.js';

/** Bumped with every incompatible change; hello answers with the worker's. */
export const PROTOCOL_VERSION = 5;

/** The strategies the worker runs: every strategy of the harness, the post's code as printed included. */
export const PYTORCH_STRATEGY_IDS = STRATEGY_IDS;
export type PytorchStrategyId = (typeof PYTORCH_STRATEGY_IDS)[number];

/** A failure as the worker reports it: the Python exception's type and message. */
export interface WorkerFailure {
  type: string;
  message: string;
  /**
   * Present where the failure is a divergence (type `DivergedError`): `observe` of a strategy whose step PyTorch
   * refused on non-finite values, which leaves no record to answer with.
   */
  diverged?: WorkerDiverged;
  /** `observe` under a step variant: what it measured before the step failed (its compile phase, skipped steps). */
  variant?: ObservedVariant;
}

export interface HelloResult {
  protocol: number;
  torch: string;
  python: string;
  device: { type: 'cpu' | 'cuda'; index: number | null; name: string; [detail: string]: unknown };
  /** What the `device` column says: PyTorch's version, the device, threads or TF32, the BLAS. */
  description: string;
  isGpu: boolean;
  blas: string;
  threads: number;
  interopThreads: number;
  /** GAN_BENCH_TORCH_THREADS as the worker read it, or null. */
  threadsSetting: string | null;
  /** How TF32 was turned off on CUDA; null on the CPU. */
  matmulPrecision: string | null;
  strategies: string[];
  /** The step variants setup accepts (whether this PyTorch and device run one is observe's answer). */
  variants: { compile: CompileMode[]; precision: Precision[] };
  /** How each measure is taken on this PyTorch and device. */
  measures: { flops: string; kernels: string; peakBytes: string };
}

/**
 * Where a strategy's training became non-finite: `step` is its own 1-based step count at the first check that saw
 * it (the observed step, the last step of a timing round, a training step or checkpoint), `detail` what was not
 * finite ("d_loss is NaN", "generator parameters are not finite", "generator samples are not finite").
 */
export interface WorkerDiverged {
  step: number;
  detail: string;
}

export interface SetupParams {
  scenario: Scenario;
  strategies: readonly PytorchStrategyId[];
  /** The equivalence check's reference (src/strategies/reference.ts); one of `strategies`. */
  referenceStrategy: PytorchStrategyId;
  /** Distinct batches the timed steps cycle through (at least 2: observe steps on batches 0 and 1). */
  batchPool: number;
  /**
   * The quality run's step timing: the GANs start from these initial weights and the pool is the first
   * `batchPool` of these batches, instead of the seed's weights and uniform batches.
   */
  training?: { data: TrainingDataWire; weights?: InitialWeights };
  /**
   * How every strategy's step runs in observe, time and checkVariant (gan_worker/variant.py): torch.compile and
   * mixed precision; default eager fp32. One this PyTorch or device cannot run fails each observe with the reason.
   */
  variant?: { compile: CompileMode; precision: Precision };
}

export interface SetupResult {
  strategies: PytorchStrategyId[];
  parameters: { generator: number; discriminator: number };
}

export interface EquivalenceParams {
  steps: number;
}

export interface EquivalenceResultLine {
  strategy: PytorchStrategyId;
  reference: PytorchStrategyId;
  /** Largest absolute parameter difference to the reference after `steps` float64 steps; null when it failed. */
  maxParamDiff: number | null;
  /** The same for D's BatchNorm running means and variances; null where D has none (absent from older workers). */
  maxRunningStatsDiff?: number | null;
  error: WorkerFailure | null;
  /** Where the strategy's float64 training became non-finite (its maxParamDiff is then null); null when it did not. */
  diverged: WorkerDiverged | null;
}

export interface EquivalenceResults {
  reference: PytorchStrategyId;
  results: EquivalenceResultLine[];
}

/** One calibration round: TypeScript decides how many (src/backends/pytorch/calibration.ts, anotherRoundFits). */
export interface CalibrateParams {
  /** The layer whose products are timed (src/measure/calibration.ts's calibrationLayer). */
  layer: CalibrationLayer;
}

/** One round's samples, each workload once, interleaved, and what ran them. */
export interface CalibrateResult {
  samplesMs: RoundSamples;
  /** The PyTorch call of each product form, e.g. `torch.addmm(b, x, W.t())`. */
  operations: Record<ProductForm, string>;
  elementwise: { kernel: string; elements: number };
}

/** The float32 peak on CUDA; null on the CPU. */
export interface PeakResult {
  fp32Peak: Fp32Peak | null;
}

export interface ObserveParams {
  strategy: PytorchStrategyId;
}

/**
 * What a step variant measured in `observe`: its compile phase (after a Dynamo reset, the steps until one compiles
 * nothing new, then as many compiled ones: compileMs is the first's time beyond the second's; Dynamo's graph breaks
 * and recompilations over them), and fp16's skipped steps so far. Null where it does not apply.
 */
export interface ObservedVariant {
  compileMs: number | null;
  graphBreaks: number | null;
  recompiles: number | null;
  skippedSteps: number | null;
  lossScales: number[] | null;
}

/**
 * What observe answers: the framework-neutral record of one observed step, and whether it diverged; under a step
 * variant (setup's `variant`), what the variant measured.
 */
export type ObserveResult = StepRecord & { diverged: WorkerDiverged | null; variant?: ObservedVariant };

export interface TimeParams {
  /** The strategies to time, in this order (default: every one set up). */
  strategies?: readonly PytorchStrategyId[];
  warmupSteps: number;
  iterations: number;
  timeMs: number;
}

export interface TimeResults {
  /** `diverged`: after the strategy's part of the round a parameter was not finite (checked untimed). */
  results: Array<{
    strategy: PytorchStrategyId;
    samplesMs: number[];
    error: WorkerFailure | null;
    diverged: WorkerDiverged | null;
    /** fp16 (setup's variant): skipped steps since setup, observed ones included, and the loss scales after every round so far ({} otherwise). */
    variant?: Pick<ObservedVariant, 'skippedSteps' | 'lossScales'>;
  }>;
  /** torch.cuda.memory_allocated() after the round on CUDA; null on the CPU. */
  deviceBytes: number | null;
}

export interface CheckVariantParams {
  steps: number;
  /** Default: every strategy set up. */
  strategies?: readonly PytorchStrategyId[];
}

/** Per strategy: `steps` steps under setup's variant and eager in float32 from the same weights and batches. */
export interface CheckVariantResults {
  results: Array<{ strategy: PytorchStrategyId; maxParamDiff: number | null; error: string | null }>;
}

/**
 * Arrays on the wire: base64 of 4-byte values in the machine's byte order (both ends run on one machine), float32
 * unless said otherwise: what a Float32Array's buffer holds (src/backends/pytorch/arrays.ts).
 */
export type WireArray = string;

/**
 * One seed's batches, steps 0 to `steps` - 1, as the harness draws them (src/quality/data.ts): `z` is
 * [steps x batchSize, latentSize]; the real samples are either `real`, [steps x batchSize, dataSize], or, where
 * they are rows of a fixed table (MNIST's training digits), `table` [rows, dataSize] once and `rows` (int32),
 * [steps x batchSize] indices into it. Batch `step` is rows [step x batchSize, (step + 1) x batchSize). Under
 * WGAN-GP `alpha`, [steps x batchSize], is each sample's interpolation weight.
 */
export type TrainingDataWire = { steps: number; z: WireArray; alpha?: WireArray } & ({ real: WireArray } | { table: WireArray; rows: WireArray });

/**
 * G's and D's initial values in the harness's layout (src/models/mlp.ts's `variables` order, each flattened: a
 * dense kernel is [in, out], which the worker transposes into nn.Linear's [out, in]).
 */
export interface InitialWeights {
  generator: WireArray[];
  discriminator: WireArray[];
}

export interface TrainParams {
  /** The scenario, its seed the seed's weight seed (src/quality/data.ts `scenarioForSeed`). */
  scenario: Scenario;
  strategy: PytorchStrategyId;
  steps: number;
  /** Steps at which G's samples are sent back (0: before the first step). */
  checkpoints: readonly number[];
  data: TrainingDataWire;
  /** G's input at every checkpoint, [samples, latentSize]. */
  evaluationNoise: WireArray;
  /** Whether checkpoints carry every parameter's values too. */
  withParameters: boolean;
  /** Absent: the worker initialises G from the scenario's seed and D from seed + 1 (PyTorch's own init). */
  weights?: InitialWeights;
}

/** A `train` progress line: a checkpoint, or a sign of life between checkpoints (at least every 10 s). */
export type TrainProgress =
  | { phase: 'checkpoint'; step: number; samples: WireArray; parameters?: InitialWeights }
  | { phase: 'train'; step: number };

/** How the training ended: steps taken and checkpoints sent; at a divergence both stop there. */
export interface TrainResult {
  steps: number;
  checkpoints: number;
  /** The first non-finite loss (checked every step) or parameters or samples (every checkpoint); null if none. */
  diverged: WorkerDiverged | null;
}

/** Every operation's parameters and answer. */
export interface Operations {
  hello: { params: Record<string, never>; result: HelloResult };
  setup: { params: SetupParams; result: SetupResult };
  equivalence: { params: EquivalenceParams; result: EquivalenceResults };
  calibrate: { params: CalibrateParams; result: CalibrateResult };
  peak: { params: Record<string, never>; result: PeakResult };
  observe: { params: ObserveParams; result: ObserveResult };
  time: { params: TimeParams; result: TimeResults };
  checkVariant: { params: CheckVariantParams; result: CheckVariantResults };
  train: { params: TrainParams; result: TrainResult };
  shutdown: { params: Record<string, never>; result: { bye: true } };
}
export type Operation = keyof Operations;

/** A line the worker writes: the ready line, a progress line, or an answer. */
export type WorkerLine =
  | { id: null; ready: true }
  | { id: number | null; progress: Record<string, unknown> }
  | { id: number | null; ok: true; result: unknown }
  | { id: number | null; ok: false; error: WorkerFailure };
