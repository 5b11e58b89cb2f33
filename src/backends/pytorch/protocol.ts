/**
 * The JSON-lines protocol between the pytorch backend and its Python worker (worker.py): one request per line on
 * the worker's stdin, answered by one line on its stdout with the same id, progress lines before it. The shapes
 * here are what worker.py writes; docs/pytorch.md describes every operation.
 */
import type { Calibration, CalibrationLayer } from '../../measure/calibration.js';
import type { StepRecord } from '../../measure/record.js';
import type { Scenario } from '../../scenario/schema.js';
import { STRATEGY_IDS } from '../../strategies/ids.js';

/** Bumped with every incompatible change; hello answers with the worker's. */
export const PROTOCOL_VERSION = 3;

/** The strategies the worker runs: every strategy of the harness, the post's code as printed included. */
export const PYTORCH_STRATEGY_IDS = STRATEGY_IDS;
export type PytorchStrategyId = (typeof PYTORCH_STRATEGY_IDS)[number];

/** A failure as the worker reports it: the Python exception's type and message. */
export interface WorkerFailure {
  type: string;
  message: string;
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
  /** How each measure is taken on this PyTorch and device. */
  measures: { flops: string; kernels: string; peakBytes: string };
}

export interface SetupParams {
  scenario: Scenario;
  strategies: readonly PytorchStrategyId[];
  /**
   * The quality run's step timing: the GANs `train` builds (the scenario's optimizer, G loss, biases, these
   * initial weights) and these batches as the pool, instead of bench's GANs and uniform batches.
   */
  training?: { data: TrainingDataWire; weights?: InitialWeights };
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
}

export interface EquivalenceResults {
  reference: PytorchStrategyId;
  results: EquivalenceResultLine[];
}

export interface CalibrateParams {
  /** The layer whose products are timed (src/measure/calibration.ts's calibrationLayer). */
  layer: CalibrationLayer;
  budgetMs: number;
  maxRounds: number;
  /** Also measure the float32 peak (CUDA only; ignored on the CPU). */
  peak: boolean;
}

/** The calibration record without what the runner knows (scenario, backend, device, error). */
export type CalibrateResult = Omit<Calibration, 'scenario' | 'backend' | 'device' | 'error'>;

export interface ObserveParams {
  strategy: PytorchStrategyId;
}

/** What observe answers: the framework-neutral record of one observed step. */
export type ObserveResult = StepRecord;

export interface TimeParams {
  /** The strategies to time, in this order (default: every one set up). */
  strategies?: readonly PytorchStrategyId[];
  warmupSteps: number;
  iterations: number;
  timeMs: number;
}

export interface TimeResults {
  results: Array<{ strategy: PytorchStrategyId; samplesMs: number[]; error: WorkerFailure | null }>;
  /** torch.cuda.memory_allocated() after the round on CUDA; null on the CPU. */
  deviceBytes: number | null;
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
 * [steps x batchSize] indices into it. Batch `step` is rows [step x batchSize, (step + 1) x batchSize).
 */
export type TrainingDataWire = { steps: number; z: WireArray } & ({ real: WireArray } | { table: WireArray; rows: WireArray });

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

export interface TrainResult {
  steps: number;
  checkpoints: number;
}

/** Every operation's parameters and answer. */
export interface Operations {
  hello: { params: Record<string, never>; result: HelloResult };
  setup: { params: SetupParams; result: SetupResult };
  equivalence: { params: EquivalenceParams; result: EquivalenceResults };
  calibrate: { params: CalibrateParams; result: CalibrateResult };
  observe: { params: ObserveParams; result: ObserveResult };
  time: { params: TimeParams; result: TimeResults };
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
