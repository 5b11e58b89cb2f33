/**
 * The pytorch backend's calibration: the worker times one round of the step's products per `calibrate` request;
 * when another round fits, and the medians, are src/measure/calibration.ts's (calibrateInRounds), as on tfjs. On
 * CUDA the float32 peak follows (`peak`).
 */
import { calibrateInRounds, type Calibration, type CalibrationLayer, type CalibrationRounds } from '../../measure/calibration.js';
import type { PytorchWorker } from './client.js';
import type { CalibrateResult } from './protocol.js';

/** The calibration record without what the runner knows (scenario, backend, device, error). */
export type PytorchCalibration = Omit<Calibration, 'scenario' | 'backend' | 'device' | 'error'>;

export interface PytorchCalibrationOptions {
  budgetMs?: number;
  maxRounds?: number;
  /** Also ask for the float32 peak (the worker answers null on the CPU). */
  peak?: boolean;
  /** Milliseconds, monotonic. */
  clock?: () => number;
}

/** Calibrates at `layer` through `worker`; throws what a request throws. */
export async function calibratePytorch(worker: PytorchWorker, layer: CalibrationLayer, options: PytorchCalibrationOptions = {}): Promise<PytorchCalibration> {
  const { clock = () => performance.now(), peak = true, budgetMs, maxRounds } = options;
  let latest: CalibrateResult | null = null;
  const rounds: CalibrationRounds = {
    async round() {
      latest = await worker.request('calibrate', { layer });
      return latest.samplesMs;
    },
    describe() {
      if (latest === null) throw new Error('no calibration round ran');
      return { elementwise: latest.elementwise, operations: latest.operations };
    },
  };
  const measured = await calibrateInRounds(rounds, {
    layer,
    clock,
    ...(budgetMs === undefined ? {} : { budgetMs }),
    ...(maxRounds === undefined ? {} : { maxRounds }),
  });
  const fp32Peak = peak ? (await worker.request('peak', {})).fp32Peak : null;
  return { ...measured, fp32Peak };
}
