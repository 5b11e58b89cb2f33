/**
 * A grid of generated digits as a PNG (pngjs): rows of 28x28 digits, white on black as MNIST draws them, a
 * 2-pixel gap between them. Data in, bytes out; the CLI writes the file.
 */
import { PNG } from 'pngjs';
import { MNIST_PIXELS } from '../data/mnist-data.js';

const SIDE = 28;
const GAP = 2;

/** The PNG of the digits in `images` (rows of 784 values in [-1, 1]), `columns` to a row. */
export function renderDigitGrid(images: Float32Array, columns = 10): Buffer {
  const count = Math.floor(images.length / MNIST_PIXELS);
  const rows = Math.max(1, Math.ceil(count / columns));
  const width = columns * SIDE + (columns + 1) * GAP;
  const height = rows * SIDE + (rows + 1) * GAP;
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  // pngjs keeps RGBA in memory whatever it writes: fill grey gaps, then each digit.
  for (let i = 0; i < width * height; i++) png.data.writeUInt32BE(0x404040ff, i * 4);
  for (let digit = 0; digit < count; digit++) {
    const left = GAP + (digit % columns) * (SIDE + GAP);
    const top = GAP + Math.floor(digit / columns) * (SIDE + GAP);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const value = images[digit * MNIST_PIXELS + y * SIDE + x]!;
        const grey = Math.round(Math.min(1, Math.max(0, (value + 1) / 2)) * 255);
        const offset = ((top + y) * width + left + x) * 4;
        png.data[offset] = grey;
        png.data[offset + 1] = grey;
        png.data[offset + 2] = grey;
        png.data[offset + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png, { colorType: 0 });
}
