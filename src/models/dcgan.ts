/**
 * The DCGAN of pytorch/examples `dcgan/main.py` as scenario layer lists (src/scenario/schema.ts's `kind: 'conv'`
 * networks), and a 28x28 variant sized for MNIST. main.py (pytorch/examples at 77f55b9, 2025-08-25):
 *
 *     G: ConvTranspose2d(nz, ngf*8, 4, 1, 0, bias=False), BatchNorm2d, ReLU     # 1x1   -> 4x4
 *        ConvTranspose2d(ngf*8, ngf*4, 4, 2, 1, bias=False), BatchNorm2d, ReLU  # 4x4   -> 8x8
 *        ConvTranspose2d(ngf*4, ngf*2, 4, 2, 1, bias=False), BatchNorm2d, ReLU  # 8x8   -> 16x16
 *        ConvTranspose2d(ngf*2, ngf, 4, 2, 1, bias=False), BatchNorm2d, ReLU    # 16x16 -> 32x32
 *        ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), Tanh                    # 32x32 -> 64x64
 *     D: Conv2d(nc, ndf, 4, 2, 1, bias=False), LeakyReLU(0.2)                   # 64x64 -> 32x32
 *        Conv2d(ndf, ndf*2, 4, 2, 1, bias=False), BatchNorm2d, LeakyReLU(0.2)   # -> 16x16
 *        Conv2d(ndf*2, ndf*4, 4, 2, 1, bias=False), BatchNorm2d, LeakyReLU(0.2) # -> 8x8
 *        Conv2d(ndf*4, ndf*8, 4, 2, 1, bias=False), BatchNorm2d, LeakyReLU(0.2) # -> 4x4
 *        Conv2d(ndf*8, 1, 4, 1, 0, bias=False), Sigmoid                         # -> 1x1
 *     netG.apply(weights_init); netD.apply(weights_init)
 *
 * D's output is `output.view(-1, 1).squeeze(1)` there, [batch]; here [batch, 1], the harness's label shape (the
 * same BCE). main.py runs MNIST through the 64x64 network (its loader resizes the digits to 64x64).
 *
 * The 28x28 variant keeps the pattern (transposed convolutions with BatchNorm and ReLU, Tanh out; strided
 * convolutions with LeakyReLU 0.2 and BatchNorm after the first, Sigmoid out; no biases) and departs from main.py
 * where 28 = 7·2·2 asks: three layers each instead of five (1x1 -> 7x7 -> 14x14 -> 28x28 and back), a 7x7 kernel
 * at the 7x7 end (main.py's 4x4 kernel at its 4x4 end), and widths ngf x 4, ngf x 2 in G and ndf, ndf x 2 in D
 * (main.py's go up to x 8).
 */
import type { ScenarioInput } from '../scenario/schema.js';

type ConvGeneratorInput = Extract<ScenarioInput['generator'], { kind: 'conv' }>;
type ConvDiscriminatorInput = Extract<ScenarioInput['discriminator'], { kind: 'conv' }>;
type LayerInput = ConvGeneratorInput['layers'][number];

export interface DcganOptions {
  /** Size of the latent vector z (main.py's `--nz`, default 100). */
  nz: number;
  /** G's and D's base widths (main.py's `--ngf`, `--ndf`, default 64). */
  ngf: number;
  ndf: number;
  /** Image channels (main.py's `nc`: 3 for colour, 1 for MNIST). */
  channels: number;
  /** 64: main.py's network; 28: the MNIST-sized variant. */
  imageSize: 64 | 28;
  /** 'dcgan' (the default): main.py's `weights_init`; 'pytorch': PyTorch's default initialisation. */
  init?: 'dcgan' | 'pytorch';
}

const up = (filters: number, kernelSize: number, stride: number, padding: number, last = false): LayerInput => ({
  layer: 'convTranspose2d',
  filters,
  kernelSize,
  stride,
  padding,
  bias: false,
  batchNorm: !last,
  activation: last ? 'tanh' : 'relu',
});

const down = (filters: number, kernelSize: number, stride: number, padding: number, batchNorm: boolean, last = false): LayerInput => ({
  layer: 'conv2d',
  filters,
  kernelSize,
  stride,
  padding,
  bias: false,
  batchNorm,
  activation: last ? 'sigmoid' : 'leakyRelu',
});

/** G and D of pytorch/examples dcgan/main.py (imageSize 64) or its MNIST-sized variant (imageSize 28), as scenario fields. */
export function dcgan({ nz, ngf, ndf, channels, imageSize, init = 'dcgan' }: DcganOptions): { generator: ConvGeneratorInput; discriminator: ConvDiscriminatorInput } {
  if (imageSize === 64) {
    return {
      generator: {
        kind: 'conv',
        latentSize: nz,
        init,
        layers: [up(ngf * 8, 4, 1, 0), up(ngf * 4, 4, 2, 1), up(ngf * 2, 4, 2, 1), up(ngf, 4, 2, 1), up(channels, 4, 2, 1, true)],
      },
      discriminator: {
        kind: 'conv',
        init,
        layers: [
          down(ndf, 4, 2, 1, false),
          down(ndf * 2, 4, 2, 1, true),
          down(ndf * 4, 4, 2, 1, true),
          down(ndf * 8, 4, 2, 1, true),
          down(1, 4, 1, 0, false, true),
        ],
      },
    };
  }
  return {
    generator: {
      kind: 'conv',
      latentSize: nz,
      init,
      layers: [up(ngf * 4, 7, 1, 0), up(ngf * 2, 4, 2, 1), up(channels, 4, 2, 1, true)],
    },
    discriminator: {
      kind: 'conv',
      init,
      layers: [down(ndf, 4, 2, 1, false), down(ndf * 2, 4, 2, 1, true), down(1, 7, 1, 0, false, true)],
    },
  };
}
