/**
 * Reverse-mode accumulation over a recorded tape. Adapted from tfjs-core's `tape.ts` (Apache-2.0, Copyright
 * 2017 Google LLC): `getFilteredNodesXToY` and `backpropagateGradients`, unchanged in what they compute, so
 * that gradients requested through our tape cost exactly what `tf.grads` costs: a node's input gradient is
 * computed only where that input depends on a requested variable, as PyTorch's autograd does.
 */
import { tf, type Tensor } from '../tf.js';
import { withRecording, type TapeNode } from './engine.js';

/** The nodes that lie on a path from one of `xs` to one of `ys`, each with only the inputs that depend on an x. */
export function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly Tensor[], ys: readonly Tensor[]): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      for (const output of node.outputs) fromX.add(output.id);
      nodesFromX.add(node.id);
    }
  }
  const leadsToY = new Set<number>(ys.map((y) => y.id));
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((output) => leadsToY.has(output.id))) {
      for (const input of Object.values(node.inputs)) leadsToY.add(input.id);
      nodesToY.add(node.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) {
      if (fromX.has(input.id)) inputs[name] = input;
    }
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

/**
 * Walks `filtered` backwards, seeding `gradients` (tensor id to gradient) and accumulating into it.
 * Must run inside a tidy scope: intermediate gradients are disposed as they are summed. `discarded` names, per node
 * id, inputs off the path whose gradient is computed all the same and thrown away, unrecorded: what PyTorch computes
 * where one derivative formula gives every input's gradient (see Graph's convolution backwards).
 */
export function backpropagate(gradients: Map<number, Tensor>, filtered: readonly TapeNode[], discarded: ReadonlyMap<number, readonly string[]> = new Map()): void {
  for (let i = filtered.length - 1; i >= 0; i--) {
    const node = filtered[i]!;
    const dys = node.outputs.map((output) => gradients.get(output.id) ?? null);
    if (node.gradient === undefined) {
      throw new Error(`cannot compute a gradient: no gradient function is registered for ${node.kernelName}`);
    }
    const inputGradients = node.gradient(dys);
    for (const [name, input] of Object.entries(node.inputs)) {
      const gradientOf = inputGradients[name];
      if (gradientOf === undefined) {
        throw new Error(`cannot back-propagate through input '${name}' of ${node.kernelName}`);
      }
      const dx = tf.tidy(gradientOf);
      if (dx.dtype !== 'float32') {
        throw new Error(`the gradient of input '${name}' of ${node.kernelName} is ${dx.dtype}, not float32`);
      }
      if (!tf.util.arraysEqual(dx.shape, input.shape)) {
        throw new Error(
          `the gradient of input '${name}' of ${node.kernelName} has shape [${dx.shape}], not [${input.shape}]`,
        );
      }
      const previous = gradients.get(input.id);
      if (previous === undefined) {
        gradients.set(input.id, dx);
      } else {
        gradients.set(input.id, tf.add(previous, dx));
        previous.dispose();
      }
    }
    for (const name of discarded.get(node.id) ?? []) {
      const gradientOf = inputGradients[name];
      if (gradientOf) withRecording(null, () => tf.dispose(tf.tidy(gradientOf)));
    }
  }
}
