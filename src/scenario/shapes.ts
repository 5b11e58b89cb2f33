/**
 * The shapes of a network's layers, whatever their kind, and the arithmetic every count reads from them: the
 * multiply-adds of one forward pass over one sample, the parameters, the activations a step keeps. A dense layer
 * is `DenseShape` (src/models/mlp.ts builds those); a convolution or transposed convolution is `ConvShape`
 * (src/models/conv-net.ts builds those), its sizes in PyTorch's terms: channels, and height x width per sample.
 */

/** One fully connected layer's shape: `inputSize x outputSize` weights plus a bias (unless `bias` is false). */
export interface DenseShape {
  inputSize: number;
  outputSize: number;
  /** False for a layer without a bias (the Dirac-GAN's); absent or true: with one. */
  bias?: boolean;
}

/** The two convolution kinds, as PyTorch names their modules (`nn.Conv2d`, `nn.ConvTranspose2d`). */
export const CONV_LAYERS = ['conv2d', 'convTranspose2d'] as const;
export type ConvLayerKind = (typeof CONV_LAYERS)[number];

/** One convolution's shape, its input and output as [channels, height, width] per sample. */
export interface ConvShape {
  layer: ConvLayerKind;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  bias: boolean;
  /** Followed by a BatchNorm2d over its output channels (two parameters per channel: weight and bias). */
  batchNorm: boolean;
}

/** Any layer whose products the FLOP counts, parameters and activations are computed from. */
export type LayerShape = DenseShape | ConvShape;

export const isConvShape = (shape: LayerShape): shape is ConvShape => 'kernelSize' in shape;

/**
 * One spatial side of a convolution's output, PyTorch's formulas: `floor((in + 2p - k) / s) + 1` for `nn.Conv2d`,
 * `(in - 1) s - 2p + k` for `nn.ConvTranspose2d` (no output_padding, no dilation).
 */
export function convOutputSide(layer: ConvLayerKind, input: number, kernelSize: number, stride: number, padding: number): number {
  return layer === 'conv2d'
    ? Math.floor((input + 2 * padding - kernelSize) / stride) + 1
    : (input - 1) * stride - 2 * padding + kernelSize;
}

/**
 * Multiply-adds of one forward pass of the layer over one sample. A convolution: every output element sums
 * `k² x in` products; a transposed convolution: every input element scatters into `k² x out` outputs (PyTorch's
 * flop_counter: `prod(conv spatial shape) x prod(weight shape)`, the spatial shape the output's for a convolution
 * and the input's for a transposed one). Each backward product (input gradient, weight gradient) costs the same.
 */
export function layerMacs(shape: LayerShape): number {
  if (!isConvShape(shape)) return shape.inputSize * shape.outputSize;
  const weights = shape.inChannels * shape.outChannels * shape.kernelSize * shape.kernelSize;
  return shape.layer === 'conv2d' ? shape.outHeight * shape.outWidth * weights : shape.inHeight * shape.inWidth * weights;
}

/** Elements of the layer's output per sample (its input's, for `inputElements`). */
export const outputElements = (shape: LayerShape): number =>
  isConvShape(shape) ? shape.outChannels * shape.outHeight * shape.outWidth : shape.outputSize;
export const inputElements = (shape: LayerShape): number =>
  isConvShape(shape) ? shape.inChannels * shape.inHeight * shape.inWidth : shape.inputSize;

/** Elements of the layer's weight tensor (a convolution's: in x out x k x k). */
export const weightElements = (shape: LayerShape): number =>
  isConvShape(shape) ? shape.inChannels * shape.outChannels * shape.kernelSize * shape.kernelSize : shape.inputSize * shape.outputSize;

/** Multiply-accumulate count of one forward pass over one sample: the sum over the layers. */
export function macsPerSample(layers: readonly LayerShape[]): number {
  return layers.reduce((sum, shape) => sum + layerMacs(shape), 0);
}

/** Number of scalar parameters: weights, biases and (after a convolution) BatchNorm's weight and bias per channel. */
export function parameterCount(layers: readonly LayerShape[]): number {
  return layers.reduce((sum, shape) => {
    const outputs = isConvShape(shape) ? shape.outChannels : shape.outputSize;
    const bias = shape.bias === false ? 0 : outputs;
    const batchNorm = isConvShape(shape) && shape.batchNorm ? 2 * outputs : 0;
    return sum + weightElements(shape) + bias + batchNorm;
  }, 0);
}

/** Element sizes per sample along the network: its input, then every layer's output (an MLP's widths). */
export function elementSizes(layers: readonly LayerShape[]): number[] {
  return layers.length === 0 ? [] : [inputElements(layers[0]!), ...layers.map(outputElements)];
}

/** How many BatchNorm layers a network has: each training-mode forward updates each one's running statistics once. */
export const batchNormLayers = (layers: readonly LayerShape[]): number => layers.filter((shape) => isConvShape(shape) && shape.batchNorm).length;
