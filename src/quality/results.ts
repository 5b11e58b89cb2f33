/** What a quality run produces: quality.json's shape, one entry per scenario x backend x regularizer. */
import type { Divergence } from '../measure/divergence.js';
import type { MachineInfo } from '../types.js';
import type { ClassifierConfig } from './classifier/classifier-config.js';
import type { StrategyId } from '../strategies/ids.js';
import type { MetricValues } from './metrics/evaluate.js';
import type { DataSource, MetricId } from '../scenario/metric-ids.js';
import type { Regularizer } from '../scenario/regularizer.js';

/** One checkpoint of one training: its step, the seconds that many steps take, and the metrics. */
export interface CurvePoint {
  step: number;
  /** step x the strategy's measured mean ms per step / 1000. */
  seconds: number;
  values: MetricValues;
}

interface TrainingRunBase {
  strategy: StrategyId;
  seed: number;
  /** The checkpoints reached (and, for a diverged training, every one before the divergence). */
  curve: CurvePoint[];
}

/** One strategy trained for one seed, every step. */
export interface TrainingRunOk extends TrainingRunBase {
  status: 'ok';
  error: null;
}

/** A training that failed: it keeps the checkpoints it reached and says why. */
export interface TrainingRunErrored extends TrainingRunBase {
  status: 'errored';
  error: string;
}

/**
 * A training whose parameters (or G's samples) stopped being finite: it stopped at `diverged.step`, and no metric
 * exists after its last finite checkpoint. `error` says the same in words.
 */
export interface TrainingRunDiverged extends TrainingRunBase {
  status: 'diverged';
  error: string;
  diverged: Divergence;
}

/** One strategy trained for one seed, by how it ended. */
export type TrainingRun = TrainingRunOk | TrainingRunErrored | TrainingRunDiverged;

/** A strategy's step time on the scenario's backend, measured interleaved as `npm run bench` does. */
export interface StepTime {
  strategy: StrategyId;
  meanMs: number | null;
  /** Relative margin of error of the mean, 95%, in percent. */
  rmePct: number | null;
  samples: number;
  error: string | null;
  /** Where its values became non-finite while it was timed (its mean is of the steps timed until then). */
  diverged?: Divergence | null;
}

export interface Threshold {
  metric: MetricId;
  value: number;
  direction: 'above' | 'below';
}

/** What the classifier-based MNIST metrics rest on. */
export interface ClassifierInfo {
  config: ClassifierConfig;
  /** The backend that trained it ('wasm SIMD', 'wasm' or 'cpu'). */
  trainedOn: string;
  heldOutAccuracy: number;
  heldOutInceptionScore: number;
  heldOutCount: number;
  file: string;
  trainedNow: boolean;
  trainingSeconds: number | null;
}

export interface QualityScenarioResult {
  scenario: string;
  description: string;
  file: string;
  source: DataSource;
  backend: string;
  /** D's gradient penalty it trained with (`--regularizer`'s, or the scenario's own). */
  regularizer: Regularizer;
  device: string;
  /** Set when the scenario could not run at all on this backend (it failed to start, say). */
  error: string | null;
  strategies: StrategyId[];
  steps: number;
  seeds: number;
  evaluateEvery: number;
  samples: number;
  metrics: MetricId[];
  threshold: Threshold;
  stepTimes: StepTime[];
  /**
   * The regularizers whose steps were timed in the same interleaved rounds as this result's (its own included): the
   * backend's regularizers where the run had several, so their ms per step compare; just its own where timed alone.
   */
  timedWith: Regularizer[];
  classifier: ClassifierInfo | null;
  runs: TrainingRun[];
  /** Wall-clock seconds the scenario took here, timing, training and evaluation included. */
  wallSeconds: number;
}

export interface QualityResults {
  schemaVersion: 1;
  tool: { name: string; version: string };
  createdAt: string;
  /** With `torch` and `python` where the pytorch backend ran. */
  versions: { tfjs: string; node: string; torch?: string; python?: string };
  machine: MachineInfo;
  settings: {
    backend: string;
    strategies: StrategyId[] | 'per scenario';
    regularizer: Regularizer[] | 'per scenario';
    seeds: number | 'per scenario';
    steps: number | 'per scenario';
  };
  scenarios: QualityScenarioResult[];
}
