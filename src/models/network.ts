import type { Parameter } from '../autograd/parameter.js';
import type { Tensor, Variable } from '../tf.js';

/**
 * One network, G or D, as createGan builds it (PyTorch's `nn.Module` as the strategies and the measurements use
 * it), whatever its layers: an MLP (`Mlp`, src/models/mlp.ts, dense layers) or a convolutional network (`ConvNet`,
 * src/models/conv-net.ts, convolutions with optional BatchNorm).
 */
export interface NetworkModule<Shape> {
  /** 'G' or 'D': how counts and reports name the network. */
  readonly name: string;
  readonly layers: readonly Shape[];
  /**
   * Its parameters in PyTorch's `parameters()` order, layer by layer: the weight, the bias (if any), then
   * BatchNorm's weight and bias (if any).
   */
  readonly parameters: readonly Parameter[];
  /** The same, as the TensorFlow.js variables that hold their values. */
  readonly variables: readonly Variable[];
  /**
   * State besides the parameters: BatchNorm's running statistics, one [2, C] variable per BatchNorm layer (row 0
   * the mean, row 1 the variance); none in an MLP.
   */
  readonly buffers: readonly Variable[];
  /** Running-statistics updates made so far, one per BatchNorm layer per training-mode forward (0 without BatchNorm). */
  readonly batchNormUpdates: number;
  /** The forward pass on a batch-first input with the right number of elements per sample. */
  apply(input: Tensor): Tensor;
  /** Copies every parameter's and buffer's values from `other` (same architecture). */
  copyFrom(other: NetworkModule<Shape>): void;
  dispose(): void;
}
