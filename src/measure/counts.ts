/**
 * Counts what a step does, by observing one (untimed) step: forward passes per network, backward passes
 * through each network, backward calls, wasted parameter-gradient elements and the bytes a graph holds
 * across an optimizer step. It also logs each backward traversal for the FLOP prediction.
 */
import type { GradientResult, GradientTape } from '../autograd/tape.js';
import type { StepObserver } from '../strategies/context.js';
import type { NetworkName } from '../strategies/strategy.js';
import type { Tensor, Variable } from '../tf.js';

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
  /** Parameter-gradient elements computed and then used by no optimizer step. */
  wastedGradientElements: number;
  /** The most bytes that recorded graphs kept alive while an optimizer step ran. */
  retainedBytes: number;
  forwards: ForwardPass[];
  backwards: BackwardTraversal[];
}

interface RecordedForward {
  network: NetworkName;
  inputId: number;
  outputId: number;
  batchSize: number;
}

/** An observer plus the counts it has gathered so far. */
export function createCountingObserver(variablesOf: Record<NetworkName, readonly Variable[]>): {
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
    forwards: [],
    backwards: [],
  };
  const recorded: RecordedForward[] = [];
  const networkOf = new Map<Variable, NetworkName>();
  for (const name of ['generator', 'discriminator'] as const) {
    for (const variable of variablesOf[name]) networkOf.set(variable, name);
  }

  const observer: StepObserver = {
    forward(network: NetworkName, input: Tensor, output: Tensor) {
      const batchSize = input.shape[0] ?? 1;
      recorded.push({ network, inputId: input.id, outputId: output.id, batchSize });
      counts.forwards.push({ network, batchSize });
      if (network === 'generator') counts.generatorForwards++;
      else counts.discriminatorForwards++;
    },
    backward(requested: readonly Variable[], result: GradientResult) {
      counts.backwardCalls++;
      const requestedNetworks = new Set(requested.map((variable) => networkOf.get(variable)));
      for (const pass of recorded) {
        if (!result.reached.has(pass.outputId)) continue;
        if (pass.network === 'generator') counts.generatorBackwards++;
        else counts.discriminatorBackwards++;
        counts.backwards.push({
          network: pass.network,
          batchSize: pass.batchSize,
          parameterGradients: requestedNetworks.has(pass.network),
          inputGradient: result.reached.has(pass.inputId),
        });
      }
    },
    optimizerStep(network: NetworkName, result: GradientResult, liveTapes: ReadonlySet<GradientTape>) {
      for (const [variable, grad] of result.grads) {
        if (networkOf.get(variable) !== network) counts.wastedGradientElements += grad.size;
      }
      let held = 0;
      for (const tape of liveTapes) held += tape.savedBytes();
      counts.retainedBytes = Math.max(counts.retainedBytes, held);
    },
  };
  return { observer, counts };
}
