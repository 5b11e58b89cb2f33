/**
 * A convolutional network built from a scenario's layer list: `nn.Conv2d` and `nn.ConvTranspose2d` layers, each
 * optionally followed by `nn.BatchNorm2d` (training mode) and an activation, as PyTorch's `nn.Sequential` runs
 * them. Shapes are PyTorch's ([channels, height, width] per sample, PyTorch's padding); tfjs computes NHWC inside
 * (a FLOP count does not depend on the layout). One kernel per PyTorch kernel: Conv2D (or, for a transposed
 * convolution, Conv2DBackpropInput, which is what tfjs's conv2dTranspose runs), an Add for a bias, the BatchNorm
 * kernel, the activation's kernel; the backward: tfjs's convolution gradients (lazy: an input gradient only where
 * it is needed), the BatchNorm backward kernel, the activation-gradient kernel.
 */
import { Parameter } from '../autograd/parameter.js';
// The cpu backend's filter gradient in tfjs's arithmetic without its per-element index computations.
import '../kernels/cpu-conv-filter-gradient.js';
import type { ConvLayerSpec, NetworkInit } from '../scenario/schema.js';
import { tf, type Tensor, type Variable } from '../tf.js';
import { activate } from './activation.js';
import { batchNorm2d, type BatchNormState } from './batchnorm.js';
import { keepLogit as keepLogitOf } from './logit.js';
import type { NetworkModule } from './network.js';
import { convOutputSide, type ConvShape } from '../scenario/shapes.js';

/** A convolutional network (the shared members: src/models/network.ts). */
export type ConvNet = NetworkModule<ConvShape>;

export interface ConvNetOptions {
  name: string;
  /** The input per sample, [channels, height, width] (G: [latentSize, 1, 1]). */
  inputShape: readonly [number, number, number];
  layers: readonly ConvLayerSpec[];
  init: NetworkInit;
  seed: number;
  /**
   * The output per sample as the rest of the harness expects it: G's is the data's NHWC image; D's is [1] (one
   * unit per sample, as the MLP's). Default: the last layer's NHWC output.
   */
  flattenOutput?: boolean;
  /** Keep each output's logit (src/models/logit.ts): the last layer's input to its activation, flattened as the output is. */
  keepLogit?: boolean;
}

/** The layers' shapes, from the input shape through each layer (PyTorch's output-size formulas). */
export function convShapes(inputShape: readonly [number, number, number], layers: readonly ConvLayerSpec[]): ConvShape[] {
  let [channels, height, width] = inputShape;
  return layers.map((spec) => {
    const outHeight = convOutputSide(spec.layer, height, spec.kernelSize, spec.stride, spec.padding);
    const outWidth = convOutputSide(spec.layer, width, spec.kernelSize, spec.stride, spec.padding);
    const shape: ConvShape = {
      layer: spec.layer,
      inChannels: channels,
      outChannels: spec.filters,
      kernelSize: spec.kernelSize,
      stride: spec.stride,
      padding: spec.padding,
      inHeight: height,
      inWidth: width,
      outHeight,
      outWidth,
      bias: spec.bias,
      batchNorm: spec.batchNorm,
    };
    [channels, height, width] = [spec.filters, outHeight, outWidth];
    return shape;
  });
}

/**
 * PyTorch's fan-in for its default initialisation, `_calculate_fan_in_and_fan_out(weight)`: dimension 1 of the
 * weight times the kernel's area. nn.Conv2d's weight is [out, in, k, k] (fan-in: in·k²); nn.ConvTranspose2d's is
 * [in, out, k, k], so its fan-in is out·k² (PyTorch's own convention for transposed convolutions).
 */
export const pytorchFanIn = (shape: ConvShape): number =>
  (shape.layer === 'conv2d' ? shape.inChannels : shape.outChannels) * shape.kernelSize * shape.kernelSize;

/** DCGAN's weights_init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02). */
export const DCGAN_INIT_STD = 0.02;

let instances = 0;

interface LayerState {
  shape: ConvShape;
  spec: ConvLayerSpec;
  kernel: Variable;
  bias: Variable | null;
  batchNorm: BatchNormState | null;
}

/**
 * Builds the network with PyTorch's default initialisation ('pytorch': weights and biases uniform in
 * ±1/sqrt(fan_in), kaiming_uniform with a = sqrt(5); BatchNorm weight 1, bias 0) or pytorch/examples dcgan's
 * `weights_init` ('dcgan': conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0; a convolution's
 * bias, which weights_init leaves alone, keeps PyTorch's default), seeded; running statistics start at mean 0 and
 * variance 1. tfjs's filters: [k, k, in, out] for a convolution, [k, k, out, in] for a transposed one.
 */
export function createConvNet({ name, inputShape, layers: specs, init, seed, flattenOutput = false, keepLogit = false }: ConvNetOptions): ConvNet {
  const prefix = `${name}${instances++}`; // tfjs variable names are global to the engine
  const shapes = convShapes(inputShape, specs);
  const variables: Variable[] = [];
  const names: string[] = [];
  const buffers: Variable[] = [];
  const states: LayerState[] = [];
  const add = (variable: Variable, parameterName: string) => {
    variables.push(variable);
    names.push(parameterName);
    return variable;
  };
  shapes.forEach((shape, i) => {
    const spec = specs[i]!;
    const k = shape.kernelSize;
    const filterShape = shape.layer === 'conv2d' ? [k, k, shape.inChannels, shape.outChannels] : [k, k, shape.outChannels, shape.inChannels];
    const bound = 1 / Math.sqrt(pytorchFanIn(shape));
    const layerSeed = seed * 1000 + 4 * i;
    tf.tidy(() => {
      const kernelValue =
        init === 'dcgan'
          ? tf.randomNormal(filterShape, 0, DCGAN_INIT_STD, 'float32', layerSeed)
          : tf.randomUniform(filterShape, -bound, bound, 'float32', layerSeed);
      const kernel = add(tf.variable(kernelValue, true, `${prefix}/conv${i}/kernel`), `${name}/conv${i}/kernel`);
      const bias = shape.bias
        ? add(tf.variable(tf.randomUniform([shape.outChannels], -bound, bound, 'float32', layerSeed + 1), true, `${prefix}/conv${i}/bias`), `${name}/conv${i}/bias`)
        : null;
      let batchNorm: BatchNormState | null = null;
      if (shape.batchNorm) {
        const channels = shape.outChannels;
        const gammaValue = init === 'dcgan' ? tf.randomNormal([channels], 1, DCGAN_INIT_STD, 'float32', layerSeed + 2) : tf.ones([channels]);
        const gamma = add(tf.variable(gammaValue, true, `${prefix}/bn${i}/gamma`), `${name}/bn${i}/gamma`);
        const beta = add(tf.variable(tf.zeros([channels]), true, `${prefix}/bn${i}/beta`), `${name}/bn${i}/beta`);
        const running = tf.variable(tf.stack([tf.zeros([channels]), tf.ones([channels])]), false, `${prefix}/bn${i}/running`);
        buffers.push(running);
        batchNorm = { gamma, beta, running };
      }
      states.push({ shape, spec, kernel, bias, batchNorm });
    });
  });
  const parameters = variables.map((variable, i) => new Parameter(variable, names[i]!));
  if (init === 'dcgan') {
    // weights_init writes conv weights and BatchNorm's weight and bias a second time, in place, after the modules'
    // own initialisation: in PyTorch they are at version 2 when first used (the in-place error's numbers).
    for (const parameter of parameters) {
      if (!parameter.name.endsWith('/bias') || parameter.name.includes('/bn')) parameter.variable.assign(tf.tidy(() => tf.clone(parameter.variable)));
    }
  }
  let batchNormUpdates = 0;
  const [inChannels, inHeight, inWidth] = inputShape;
  return {
    name,
    layers: shapes,
    parameters,
    variables,
    buffers,
    get batchNormUpdates() {
      return batchNormUpdates;
    },
    apply(input) {
      const { output, logit } = tf.tidy(() => {
        const batch = input.shape[0]!;
        let x = input.rank === 4 ? input : tf.reshape(input, [batch, inHeight, inWidth, inChannels]);
        let pre = x;
        for (const { shape, spec, kernel, bias, batchNorm } of states) {
          x =
            shape.layer === 'conv2d'
              ? tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, shape.stride, shape.padding)
              : tf.conv2dTranspose(x as tf.Tensor4D, kernel as tf.Tensor4D, [batch, shape.outHeight, shape.outWidth, shape.outChannels], shape.stride, shape.padding);
          if (bias) x = tf.add(x, bias);
          if (batchNorm) {
            const { y, running } = batchNorm2d(x, batchNorm);
            batchNorm.running.assign(running);
            batchNormUpdates++;
            x = y;
          }
          pre = x;
          x = activate(x, spec.activation);
        }
        const flatten = (tensor: Tensor) => (flattenOutput ? tf.reshape(tensor, [batch, -1]) : tensor);
        const out = flatten(x);
        // The logit as PyTorch's nn.Flatten leaves it (a view); a linear output is its own logit.
        return { output: out, logit: keepLogit && pre !== x ? flatten(pre) : out };
      });
      return keepLogit ? keepLogitOf(output, logit) : output;
    },
    copyFrom(other) {
      variables.forEach((variable, i) => variable.assign(other.variables[i]!));
      buffers.forEach((buffer, i) => buffer.assign(other.buffers[i]!));
    },
    dispose() {
      for (const parameter of parameters) parameter.grad = null;
      for (const variable of [...variables, ...buffers]) variable.dispose();
    },
  };
}
