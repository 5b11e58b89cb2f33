/**
 * The calibration (src/measure/calibration.ts) bound to TensorFlow.js: the step's own products, run by the very
 * functions a dense layer's forward and backward call (src/models/dense.ts) on fresh operands of the layer's
 * shapes (fresh as in a step, where every weight is a new tensor after each optimizer step: XNNPACK on wasm
 * repacks a new right-hand operand, as a BLAS packs its panels), and one elementwise Multiply over a weight
 * matrix's elements (the optimizer's kind of work).
 */
import type { BackendProvider, DeviceInfo } from '../backends/backend.js';
import { dense, inputGradientProduct, weightGradientProduct } from '../models/dense.js';
import { networkShapes } from '../models/network-shapes.js';
import type { Scenario } from '../scenario/schema.js';
import { tf, type Tensor } from '../tf.js';
import { calibrationLayer, measureCalibration, type Calibration, type CalibrationLayer, type CalibrationWorkloads, type Workload } from '../measure/calibration.js';
import { messageOf } from '../errors.js';

/** Seeded random operands, made once per shape; each round multiplies fresh copies of them. */
class Operands {
  private readonly bases = new Map<string, Tensor>();
  /** Copies and results not yet freed by a workload's cleanup (a failure between prepare and cleanup leaves some). */
  private readonly live = new Set<Tensor>();

  /** A new tensor (a new buffer, so no backend cache keyed on a buffer applies) with the base's values negated. */
  fresh(shape: number[]): Tensor {
    const key = shape.join('x');
    let base = this.bases.get(key);
    if (base === undefined) {
      base = tf.randomUniform(shape, -1, 1, 'float32', this.bases.size + 1);
      this.bases.set(key, base);
    }
    return this.track(tf.neg(base));
  }

  track(tensor: Tensor): Tensor {
    this.live.add(tensor);
    return tensor;
  }

  free(tensors: Tensor[]): void {
    for (const tensor of tensors) this.live.delete(tensor);
    tf.dispose(tensors);
  }

  dispose(): void {
    this.free([...this.live, ...this.bases.values()]);
    this.bases.clear();
  }
}

/** A workload that makes fresh operands of these shapes (untimed) and times `run` on them. */
function workloadOf(operands: Operands, shapes: number[][], run: (...inputs: Tensor[]) => Tensor): Workload {
  return {
    prepare() {
      const inputs = shapes.map((shape) => operands.fresh(shape));
      return () => {
        const output = operands.track(run(...inputs));
        return () => operands.free([output, ...inputs]);
      };
    },
  };
}

/** The layer's forward, input-gradient and weight-gradient products, and a Multiply over its weights' elements. */
export function tfjsCalibrationWorkloads({ batchSize: b, inputSize: i, outputSize: o }: CalibrationLayer): CalibrationWorkloads {
  const operands = new Operands();
  return {
    products: {
      // The forward runs one _FusedMatMul (here linear: the bias add is fused and costs no product FLOPs).
      plain: workloadOf(operands, [[b, i], [i, o], [o]], (x, kernel, bias) => dense(x!, kernel!, bias!, 'linear')),
      // The backward sees the fused kernel's rank-3 operands: dY [1, b, o], W [1, i, o], X [1, b, i].
      transposeB: workloadOf(operands, [[1, b, o], [1, i, o]], (dPre, kernel) => inputGradientProduct(dPre!, kernel!)),
      transposeA: workloadOf(operands, [[1, b, i], [1, b, o]], (x, dPre) => weightGradientProduct(x!, dPre!)),
    },
    elementwise: { kernel: 'Multiply', elements: i * o, workload: workloadOf(operands, [[i, o], [i, o]], (a, c) => tf.mul(a!, c!)) },
    dispose: () => operands.dispose(),
  };
}

/** The scenario's layers, as createGan builds them (src/models/network-shapes.ts). */
export function scenarioLayers(scenario: Scenario) {
  return networkShapes(scenario);
}

/**
 * Calibrates the active backend at the scenario's largest layer. Never throws: a failure is a calibration with
 * its `error` set, and the run goes on.
 */
export async function calibrateBackend(
  scenario: Scenario,
  provider: Pick<BackendProvider, 'id' | 'sync'>,
  device: Pick<DeviceInfo, 'description'>,
  clock: () => number = () => performance.now(),
): Promise<Calibration> {
  const layer = calibrationLayer(scenarioLayers(scenario), scenario.batchSize);
  const identity = { scenario: scenario.name, backend: provider.id, device: device.description };
  let workloads: CalibrationWorkloads | undefined;
  try {
    workloads = tfjsCalibrationWorkloads(layer);
    const measured = await measureCalibration({ layer, workloads, clock, sync: () => provider.sync() });
    return { ...identity, ...measured, error: null };
  } catch (error) {
    return { ...identity, layer, products: [], elementwise: null, rounds: 0, elapsedMs: 0, error: messageOf(error) };
  } finally {
    workloads?.dispose();
  }
}
