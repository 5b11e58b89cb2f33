/**
 * Counts what a step does, by observing one (untimed) step: forward passes per network, backward passes
 * through each network, backward calls, wasted parameter-gradient elements and the bytes the step's graph holds
 * while an optimizer step runs. It also logs each backward traversal for the FLOP prediction. BatchNorm's
 * running-statistics updates are read from the networks around the step (src/measure/observe.ts).
 *
 * A gradient penalty adds a pass kind: a `createGraph` pass records its own backward through a network, and a
 * later backward that reaches what it computed traverses that recorded backward: a double backward (a backward of
 * a backward), counted per network apart from the plain backward passes. A pass through a network is one that
 * reaches its forward's output, or the logit the forward kept (R1 differentiates D's logit: every layer but the
 * sigmoid); the PyTorch worker's observer counts the same.
 */
import type { BackwardResult } from '../autograd/graph.js';
import type { GradInput } from '../autograd/leaf.js';
import { Parameter } from '../autograd/parameter.js';
import { keptLogit } from '../models/logit.js';
import type { StepObserver } from '../models/step-runner.js';
import type { NetworkName } from '../strategies/strategy.js';
import type { Tensor } from '../tf.js';

/** One network's part of one backward call: what was differentiated through it. */
export interface BackwardTraversal {
  network: NetworkName;
  batchSize: number;
  /** The network's own parameters were among the requested variables (weight gradients computed). */
  parameterGradients: boolean;
  /** A gradient reached the network's input (input gradient of its first layer computed). */
  inputGradient: boolean;
}

export interface ForwardPass {
  network: NetworkName;
  batchSize: number;
}

export interface StepCounts {
  generatorForwards: number;
  discriminatorForwards: number;
  generatorBackwards: number;
  discriminatorBackwards: number;
  backwardCalls: number;
  /**
   * Parameter-gradient elements computed by backward passes and then used by no optimizer step: zeroed,
   * overwritten or left in `.grad` at the step's end; and gradient elements a backward call accumulated into a
   * data tensor's `.grad` (R1's `real.grad`), which no optimizer reads. A `grad()` call's gradient for a data
   * tensor is the caller's value (a penalty's), not counted.
   */
  wastedGradientElements: number;
  /** The most bytes of saved tensors the step's graph alone kept alive while an optimizer step ran. */
  retainedBytes: number;
  /**
   * Running-statistics updates of each network's BatchNorm layers in the step, per network: one per training-mode
   * forward (which updates every BatchNorm layer of the network once); 0 for a network without BatchNorm.
   */
  generatorBatchNormUpdates: number;
  discriminatorBatchNormUpdates: number;
  forwards: ForwardPass[];
  backwards: BackwardTraversal[];
  /**
   * Backward passes through the recorded backward of a network (one a `createGraph` pass made), per network: a
   * gradient penalty's double backward. Absent where the framework does not count them (the PyTorch worker yet).
   */
  generatorDoubleBackwards?: number;
  discriminatorDoubleBackwards?: number;
  /** Each double backward: the network whose recorded backward it traversed, at which batch size. */
  doubleBackwards?: ForwardPass[];
}

interface RecordedForward {
  network: NetworkName;
  inputId: number;
  outputId: number;
  /** The logit the forward kept (src/models/logit.ts), where it is not the output: R1 starts from it. */
  logitId?: number;
  batchSize: number;
}

/**
 * An observer plus the counts it has gathered so far. Wasted gradients are read from `counts` after the step:
 * the elements of every gradient a backward pass computed, less those an optimizer step consumed.
 */
export function createCountingObserver(parametersOf: Record<NetworkName, readonly Parameter[]>): {
  observer: StepObserver;
  counts: StepCounts;
} {
  const counts: StepCounts = {
    generatorForwards: 0,
    discriminatorForwards: 0,
    generatorBackwards: 0,
    discriminatorBackwards: 0,
    backwardCalls: 0,
    wastedGradientElements: 0,
    retainedBytes: 0,
    generatorBatchNormUpdates: 0,
    discriminatorBatchNormUpdates: 0,
    forwards: [],
    backwards: [],
    generatorDoubleBackwards: 0,
    discriminatorDoubleBackwards: 0,
    doubleBackwards: [],
  };
  const recorded: RecordedForward[] = [];
  /** The recorded backward of each network a createGraph pass went through: the ids of the gradients it computed. */
  const recordedBackwards: Array<{ network: NetworkName; batchSize: number; gradientIds: number[] }> = [];
  const networkOf = new Map<Parameter, NetworkName>();
  for (const name of ['generator', 'discriminator'] as const) {
    for (const parameter of parametersOf[name]) networkOf.set(parameter, name);
  }
  // Gradient elements each computed tensor carries that no optimizer step has used yet.
  const unused = new Map<Tensor, number>();

  const observer: StepObserver = {
    forward(network, input, output) {
      const batchSize = input.shape[0] ?? 1;
      const logit = keptLogit(output);
      recorded.push({ network, inputId: input.id, outputId: output.id, ...(logit && logit !== output ? { logitId: logit.id } : {}), batchSize });
      counts.forwards.push({ network, batchSize });
      if (network === 'generator') counts.generatorForwards++;
      else counts.discriminatorForwards++;
    },
    backward(requested: readonly GradInput[], result: BackwardResult, into: 'grad' | 'caller') {
      counts.backwardCalls++;
      for (const { network, batchSize, gradientIds } of recordedBackwards) {
        if (!gradientIds.some((id) => result.reached.has(id))) continue;
        if (network === 'generator') counts.generatorDoubleBackwards!++;
        else counts.discriminatorDoubleBackwards!++;
        counts.doubleBackwards!.push({ network, batchSize });
      }
      const parameters = requested.filter((input): input is Parameter => input instanceof Parameter);
      const requestedNetworks = new Set(parameters.map((parameter) => networkOf.get(parameter)));
      for (const pass of recorded) {
        // A pass from D's logit (R1's grad) goes through every layer of D but its sigmoid: a pass through D.
        if (!result.reached.has(pass.outputId) && !(pass.logitId !== undefined && result.reached.has(pass.logitId))) continue;
        if (pass.network === 'generator') counts.generatorBackwards++;
        else counts.discriminatorBackwards++;
        counts.backwards.push({
          network: pass.network,
          batchSize: pass.batchSize,
          parameterGradients: requestedNetworks.has(pass.network),
          inputGradient: result.reached.has(pass.inputId),
        });
        if (result.createGraph) {
          const ids = [pass.inputId, ...parameters.filter((p) => networkOf.get(p) === pass.network).map((p) => p.variable.id)];
          const gradientIds = ids.flatMap((id) => result.gradientIds.get(id) ?? []);
          recordedBackwards.push({ network: pass.network, batchSize: pass.batchSize, gradientIds });
        }
      }
      // A parameter's gradient is wasted until an optimizer step uses it; a data tensor's only where it went into
      // `.grad` (R1's `real.grad`, which nothing reads), not where the caller took it (the penalty's value).
      for (const [input, gradient] of result.gradients) {
        if (!(input instanceof Parameter) && into === 'caller') continue;
        unused.set(gradient, gradient.size);
        counts.wastedGradientElements += gradient.size;
      }
    },
    accumulated(previous, contribution, sum) {
      unused.set(sum, (unused.get(previous) ?? 0) + (unused.get(contribution) ?? 0));
      unused.delete(previous);
      unused.delete(contribution);
    },
    optimizerStep(_network, consumed, heldBytes) {
      for (const gradient of consumed) {
        counts.wastedGradientElements -= unused.get(gradient) ?? 0;
        unused.delete(gradient);
      }
      counts.retainedBytes = Math.max(counts.retainedBytes, heldBytes);
    },
  };
  return { observer, counts };
}
