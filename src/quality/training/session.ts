/**
 * What a quality run needs of a backend, whatever runs it: what started (for the report's `device`), each
 * strategy's step time measured as `npm run bench` measures it there, a trainer (src/quality/training/trainer.ts), and an
 * end. The tfjs backends run in this process (src/quality/training/tfjs-session.ts); `pytorch` in its Python worker
 * (src/quality/training/pytorch-session.ts).
 */
import type { StartedBackend } from '../../backends/index.js';
import { mean, relativeMarginOfError } from '../../measure/statistics.js';
import type { Scenario } from '../../scenario/schema.js';
import type { StrategyId } from '../../strategies/ids.js';
import type { StepTime } from '../results.js';
import type { QualityTrainer } from './trainer.js';

export interface QualitySession {
  started: StartedBackend;
  /** Versions beside tfjs's and Node's that the results record (PyTorch's and Python's). */
  versions: { torch?: string; python?: string };
  /** Each strategy's step time: the scenario's interleaved timing rounds, on seed 0's GAN and first batches. */
  timeSteps(scenario: Scenario, strategies: readonly StrategyId[]): Promise<StepTime[]>;
  trainer: QualityTrainer;
  /** Releases what the session holds (the worker); the session is unusable after. */
  close(): Promise<void>;
}

/** Distinct batches the timing cycles through, as `npm run bench`. */
export const TIMING_BATCHES = 4;

/** A strategy's step time from its timed samples; a strategy that failed has no mean. */
export function stepTimeOf(strategy: StrategyId, samplesMs: readonly number[], error: string | null): StepTime {
  const timed = samplesMs.length > 0 && !error;
  return {
    strategy,
    meanMs: timed ? mean(samplesMs) : null,
    rmePct: timed ? relativeMarginOfError(samplesMs) : null,
    samples: samplesMs.length,
    error,
  };
}
