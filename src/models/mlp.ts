/** A multi-layer perceptron built from plain TensorFlow.js ops, so that every kernel it runs is visible. */
import { Parameter } from '../autograd/parameter.js';
import { tf, type Tensor, type Variable } from '../tf.js';
import type { Activation } from '../scenario/schema.js';
import { activate } from './activation.js';
import { dense } from './dense.js';
import { keepLogit as keepLogitOf } from './logit.js';
import type { NetworkModule } from './network.js';
import type { DenseShape } from '../scenario/shapes.js';

// The shapes and their arithmetic live in shapes.ts (convolutions too); re-exported where they always were.
export { macsPerSample, parameterCount, type DenseShape } from '../scenario/shapes.js';

/** A multi-layer perceptron (the shared members: src/models/network.ts): dense layers, no buffers. */
export type Mlp = NetworkModule<DenseShape>;

export interface MlpOptions {
  name: string;
  widths: readonly number[];
  activation: Activation;
  outputActivation: Activation;
  seed: number;
  /** Whether each layer adds a bias (default true, as `nn.Linear`). */
  bias?: boolean;
  /** Every weight and bias starts at this value instead of the seeded `nn.Linear` initialisation. */
  initialValue?: number;
  /**
   * Keep each output's logit (src/models/logit.ts): the last layer runs as a linear layer and its activation as its
   * own kernel after it, as PyTorch's `nn.Linear` and `nn.Sigmoid` do, instead of one fused kernel that never
   * materialises the pre-activation. Default false.
   */
  keepLogit?: boolean;
}

let instances = 0;

/**
 * Builds the network `widths[0] -> widths[1] -> ... -> widths[n]` with PyTorch's `nn.Linear` initialisation
 * (weights and biases uniform in +-1/sqrt(fan_in)), seeded so that every strategy starts from the same weights;
 * or with every value at `initialValue`.
 */
export function createMlp({ name, widths, activation, outputActivation, seed, bias = true, initialValue, keepLogit = false }: MlpOptions): Mlp {
  // tfjs variable names are global to the engine, so each instance gets its own prefix.
  const prefix = `${name}${instances++}`;
  const layers: DenseShape[] = [];
  const variables: Variable[] = [];
  const names: string[] = [];
  /** Per layer: its kernel and, with biases, its bias. */
  const layerVariables: Array<{ kernel: Variable; bias: Variable | null }> = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const inputSize = widths[i]!;
    const outputSize = widths[i + 1]!;
    const bound = 1 / Math.sqrt(inputSize);
    const initial = (shape: number[], offset: number) =>
      initialValue === undefined
        ? tf.randomUniform(shape, -bound, bound, 'float32', seed * 1000 + 2 * i + offset)
        : tf.fill(shape, initialValue);
    layers.push(bias ? { inputSize, outputSize } : { inputSize, outputSize, bias: false });
    // Variables escape tidy; the initial values it frees.
    tf.tidy(() => {
      const kernel = tf.variable(initial([inputSize, outputSize], 0), true, `${prefix}/dense${i}/kernel`);
      const biasVariable = bias ? tf.variable(initial([outputSize], 1), true, `${prefix}/dense${i}/bias`) : null;
      layerVariables.push({ kernel, bias: biasVariable });
      variables.push(kernel);
      names.push(`${name}/dense${i}/kernel`);
      if (biasVariable) {
        variables.push(biasVariable);
        names.push(`${name}/dense${i}/bias`);
      }
    });
  }
  const parameters = variables.map((variable, i) => new Parameter(variable, names[i]!));
  return {
    name,
    layers,
    parameters,
    variables,
    buffers: [],
    batchNormUpdates: 0,
    apply(input) {
      const { output, logit } = tf.tidy(() => {
        let x = input;
        let pre: Tensor | undefined;
        layerVariables.forEach(({ kernel, bias: b }, i) => {
          const last = i === layers.length - 1;
          if (last && keepLogit) {
            pre = dense(x, kernel, b, 'linear');
            x = activate(pre, outputActivation);
          } else {
            x = dense(x, kernel, b, last ? outputActivation : activation);
          }
        });
        return { output: x, logit: pre ?? x };
      });
      return keepLogit ? keepLogitOf(output, logit) : output;
    },
    copyFrom(other) {
      variables.forEach((variable, i) => variable.assign(other.variables[i]!));
    },
    dispose() {
      for (const parameter of parameters) parameter.grad = null;
      for (const variable of variables) variable.dispose();
    },
  };
}
