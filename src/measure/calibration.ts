/**
 * A backend's cost structure at a scenario's shapes, measured right after it starts: the throughput of the
 * step's own matrix products in the three forms a dense layer runs them (the forward's plain x·W, the
 * backward's dY·Wᵀ and Xᵀ·dY) and of one elementwise kernel. A reader sees from it whether a strategy that
 * does more backward work pays for the work or for a backend's kernel that is slow in one form (docs/costs.md).
 *
 * Pure: the work runs through injected workloads, the clock and the sync are injected too
 * (src/session/tfjs-calibration.ts binds them to TensorFlow.js). The pytorch backend's worker measures the
 * same forms in PyTorch, one round per request, through the same rounds loop (src/backends/pytorch/calibration.ts).
 */
import type { ConcreteBackendId } from '../scenario/backend-ids.js';
import type { DenseShape } from '../models/mlp.js';
import { isConvShape, layerMacs, type LayerShape } from '../scenario/shapes.js';
import { median } from './statistics.js';

/** A product as a dense layer runs it: forward `x·W`, input gradient `dY·Wᵀ`, weight gradient `Xᵀ·dY`. */
export const PRODUCT_FORMS = ['plain', 'transposeB', 'transposeA'] as const;
export type ProductForm = (typeof PRODUCT_FORMS)[number];

/** What each form computes, for reports. */
export const FORM_LABELS: Record<ProductForm, string> = {
  plain: 'x·W (forward)',
  transposeB: 'dY·Wᵀ (input gradient)',
  transposeA: 'Xᵀ·dY (weight gradient)',
};

/** The layer the calibration multiplies at: its network, index and shape, at the scenario's batch size. */
export interface CalibrationLayer extends DenseShape {
  network: 'G' | 'D';
  index: number;
  batchSize: number;
  /**
   * For a convolution: what it is ("conv2d 64→128, 4x4 stride 2 padding 1, 32x32 → 16x16"); the products timed are
   * then its im2col product (a row per output position for a convolution, per input position for a transposed
   * one, at `batchSize` rows in all), not the convolution kernels. Absent for a dense layer.
   */
  im2col?: string;
}

export interface ProductThroughput {
  form: ProductForm;
  /**
   * What ran it where that is not tfjs's dense-layer functions: PyTorch names its own call here (e.g.
   * `torch.addmm(b, x, W.t())`: PyTorch stores W as [out, in], so its forward is the one with a transposed view).
   */
  operation?: string;
  /** 2·batch·in·out: a multiply-add counted as 2, as the FLOP columns count. */
  flops: number;
  medianMs: number;
  /** flops / medianMs, in GFLOP/s. */
  gflops: number;
}

export interface ElementwiseThroughput {
  /** The kernel timed, e.g. tfjs's 'Multiply' or 'torch.mul'. */
  kernel: string;
  elements: number;
  /** Bytes read and written: two float32 inputs and one output per element. */
  bytes: number;
  medianMs: number;
  /** bytes / medianMs, in GB/s (10⁹ bytes). */
  gbPerS: number;
}

/** One calibration per scenario x backend, as results.json stores it. */
export interface Calibration {
  scenario: string;
  backend: ConcreteBackendId;
  device: string;
  layer: CalibrationLayer;
  products: ProductThroughput[];
  elementwise: ElementwiseThroughput | null;
  /** Timed rounds (every workload once per round, interleaved) after one untimed warm-up round: at least 1. */
  rounds: number;
  /** Wall time the whole calibration took, warm-up included. */
  elapsedMs: number;
  /** Why it failed, when it did: the products and elementwise figures are then empty. */
  error: string | null;
  /**
   * The device's measured float32 matrix-product peak, where the backend measures one (pytorch on CUDA, TF32
   * off); absent or null elsewhere. What the GPU check's "% of peak" divides by.
   */
  fp32Peak?: Fp32Peak | null;
}

/** The best of a few large float32 products on the device: the throughput its matrix units reach in float32. */
export interface Fp32Peak {
  /** The product is size x size by size x size. */
  size: number;
  /** 2·size³. */
  flops: number;
  repeats: number;
  bestMs: number;
  /** flops / bestMs, in FLOP/s. */
  flopsPerSecond: number;
  /** How TF32 was turned off, as the worker read it back. */
  precision: string | null;
}

/** A product form whose throughput is below this fraction of the fastest form's makes the backend's costs lopsided. */
export const LOPSIDED_FRACTION = 0.5;

/**
 * The layer a step's products cost most at: the one with the most multiply-adds over both networks (the
 * generator's first on a tie), at the scenario's batch size. A convolution counts as its im2col product: a
 * convolution's rows are its output positions (in·k² → out), a transposed convolution's its input positions
 * (in → out·k²), each at the same multiply-adds as the layer.
 */
export function calibrationLayer(layers: { generator: readonly LayerShape[]; discriminator: readonly LayerShape[] }, batchSize: number): CalibrationLayer {
  const candidates = [
    ...layers.generator.map((shape, index) => ({ shape, network: 'G' as const, index })),
    ...layers.discriminator.map((shape, index) => ({ shape, network: 'D' as const, index })),
  ];
  if (candidates.length === 0) throw new Error('calibrationLayer: the networks have no layers');
  const { shape, network, index } = candidates.reduce((best, layer) => (layerMacs(layer.shape) > layerMacs(best.shape) ? layer : best));
  if (!isConvShape(shape)) return { network, index, inputSize: shape.inputSize, outputSize: shape.outputSize, batchSize };
  const taps = shape.kernelSize * shape.kernelSize;
  const transposed = shape.layer === 'convTranspose2d';
  return {
    network,
    index,
    inputSize: transposed ? shape.inChannels : shape.inChannels * taps,
    outputSize: transposed ? shape.outChannels * taps : shape.outChannels,
    batchSize: batchSize * (transposed ? shape.inHeight * shape.inWidth : shape.outHeight * shape.outWidth),
    im2col:
      `${shape.layer} ${shape.inChannels}→${shape.outChannels}, ${shape.kernelSize}x${shape.kernelSize} stride ${shape.stride} ` +
      `padding ${shape.padding}, ${shape.inHeight}x${shape.inWidth} → ${shape.outHeight}x${shape.outWidth}, batch ${batchSize}`,
  };
}

/** 2·batch·in·out. */
export const layerFlops = ({ batchSize, inputSize, outputSize }: CalibrationLayer): number => 2 * batchSize * inputSize * outputSize;

/** One timed unit of work: fresh operands are made untimed, the call is timed, the cleanup untimed. */
export interface Workload {
  /** Makes the operands and returns the timed call, which returns its (untimed) cleanup. */
  prepare(): () => () => void;
}

export interface CalibrationWorkloads {
  products: Record<ProductForm, Workload>;
  elementwise: { kernel: string; elements: number; workload: Workload };
  /** Frees what the workloads keep between rounds; the caller calls it. */
  dispose(): void;
}

export interface CalibrationOptions {
  layer: CalibrationLayer;
  workloads: CalibrationWorkloads;
  /** Milliseconds, monotonic. */
  clock: () => number;
  /** Resolves when the backend has finished queued work (a no-op on synchronous backends). */
  sync: () => Promise<void>;
  /** Timed rounds are added while their estimated time fits this budget. */
  budgetMs?: number;
  maxRounds?: number;
}

export const DEFAULT_BUDGET_MS = 500;
export const DEFAULT_MAX_ROUNDS = 9;

/**
 * Whether another timed round fits: the first always runs (a measurement needs one, and a warm-up round says
 * little about later ones where it compiles shaders), the others while the time spent so far plus the last
 * round's fits the budget, up to `maxRounds`.
 */
export function anotherRoundFits(done: number, elapsedMs: number, lastRoundMs: number, budgetMs: number, maxRounds: number): boolean {
  if (done === 0) return true;
  return done < maxRounds && elapsedMs + lastRoundMs <= budgetMs;
}

/** One round's sample of each workload, in milliseconds: the three product forms and the elementwise kernel. */
export type RoundSamples = Record<ProductForm | 'elementwise', number>;

/**
 * A backend's calibration as rounds: each call of `round` runs every workload once, interleaved, and returns its
 * samples (tfjs's workloads here, the PyTorch worker's `calibrate` op in src/backends/pytorch/calibration.ts).
 */
export interface CalibrationRounds {
  round(): Promise<RoundSamples>;
  /** The elementwise kernel timed, and what ran each product form where that is not tfjs's dense-layer functions. */
  describe(): { elementwise: { kernel: string; elements: number }; operations?: Partial<Record<ProductForm, string>> };
}

export interface RoundsOptions {
  layer: CalibrationLayer;
  /** Milliseconds, monotonic. */
  clock: () => number;
  budgetMs?: number;
  maxRounds?: number;
}

/**
 * Runs one untimed warm-up round, then timed rounds while they fit the budget (see anotherRoundFits), and returns
 * each workload's median: the throughput of the step's product forms and of the elementwise kernel. A backend
 * slower than the budget allows still gets its warm-up and one timed round (the cpu backend and lavapipe at the
 * larger scenarios: about one training step's time). Throws what a round throws.
 */
export async function calibrateInRounds(
  rounds: CalibrationRounds,
  { layer, clock, budgetMs = DEFAULT_BUDGET_MS, maxRounds = DEFAULT_MAX_ROUNDS }: RoundsOptions,
): Promise<Omit<Calibration, 'scenario' | 'backend' | 'device' | 'error'>> {
  const names = [...PRODUCT_FORMS, 'elementwise'] as const;
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  const started = clock();
  await rounds.round(); // the warm-up: its samples are dropped
  let done = 0;
  let lastRoundMs = 0;
  while (anotherRoundFits(done, clock() - started, lastRoundMs, budgetMs, maxRounds)) {
    const roundStart = clock();
    const round = await rounds.round();
    for (const name of names) samples.get(name)!.push(round[name]);
    lastRoundMs = clock() - roundStart;
    done++;
  }
  const { elementwise, operations = {} } = rounds.describe();
  const flops = layerFlops(layer);
  const products = PRODUCT_FORMS.map((form): ProductThroughput => {
    const medianMs = median(samples.get(form)!);
    const operation = operations[form];
    return { form, ...(operation === undefined ? {} : { operation }), flops, medianMs, gflops: flops / medianMs / 1e6 };
  });
  const { kernel, elements } = elementwise;
  const bytes = 3 * 4 * elements;
  const elementwiseMs = median(samples.get('elementwise')!);
  return {
    layer,
    products,
    elementwise: { kernel, elements, bytes, medianMs: elementwiseMs, gbPerS: bytes / elementwiseMs / 1e6 },
    rounds: done,
    elapsedMs: clock() - started,
  };
}

/**
 * The calibration of in-process workloads (tfjs's): each sample is the clock around one workload's call, between
 * two syncs, its operands made and freed untimed; the rounds as calibrateInRounds runs them.
 */
export async function measureCalibration(options: CalibrationOptions): Promise<Omit<Calibration, 'scenario' | 'backend' | 'device' | 'error'>> {
  const { layer, workloads, clock, sync, budgetMs, maxRounds } = options;
  const items: Array<[ProductForm | 'elementwise', Workload]> = [
    ...PRODUCT_FORMS.map((form): [ProductForm, Workload] => [form, workloads.products[form]]),
    ['elementwise', workloads.elementwise.workload],
  ];
  const rounds: CalibrationRounds = {
    async round() {
      const samples: Partial<RoundSamples> = {};
      for (const [name, workload] of items) {
        const run = workload.prepare();
        await sync();
        const start = clock();
        const cleanup = run();
        await sync();
        samples[name] = clock() - start;
        cleanup();
      }
      return samples as RoundSamples;
    },
    describe: () => ({ elementwise: { kernel: workloads.elementwise.kernel, elements: workloads.elementwise.elements } }),
  };
  return calibrateInRounds(rounds, { layer, clock, ...(budgetMs === undefined ? {} : { budgetMs }), ...(maxRounds === undefined ? {} : { maxRounds }) });
}

/**
 * The product forms that run below LOPSIDED_FRACTION of the fastest form's throughput, each with that fraction
 * and the fastest form. Either direction counts: backward forms slower than the forward (wasm's transposed
 * products before src/kernels/wasm-transposed-matmul.ts) or the forward slower than the backward.
 */
export function lopsidedForms(
  calibration: Pick<Calibration, 'products'>,
  fraction = LOPSIDED_FRACTION,
): Array<{ form: ProductForm; ofFastest: number; fastest: ProductForm }> {
  const fastest = calibration.products.reduce<ProductThroughput | null>((best, product) => (best === null || product.gflops > best.gflops ? product : best), null);
  if (fastest === null || !(fastest.gflops > 0)) return [];
  return calibration.products
    .map((product) => ({ form: product.form, ofFastest: product.gflops / fastest.gflops, fastest: fastest.form }))
    .filter(({ ofFastest }) => ofFastest < fraction);
}
