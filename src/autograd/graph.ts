/**
 * PyTorch's autograd graph on TensorFlow.js's own recording. While a graph records, every kernel the engine runs
 * on a tensor that requires a gradient (a parameter, or a result computed from one) becomes a node with the
 * tensors its gradient needs saved (the nodes and saved tensors `tf.grads` uses); a kernel on tensors that need
 * none is not kept, as PyTorch records no `grad_fn` for it. A step records all its forwards into one graph. `backward()` and `grad()` back-propagate from a loss
 * through the nodes it reaches and, unless `retainGraph` is set, free those nodes' saved tensors, so that a
 * second pass through them raises PyTorch's "Trying to backward through the graph a second time". Each saved
 * tensor that is a parameter's value remembers the parameter's version; a pass that needs it after the parameter
 * was assigned (an optimizer step) raises PyTorch's in-place error. `detach()` (detach.ts) is the only thing that
 * cuts the graph.
 *
 * With `createGraph` (PyTorch's `create_graph=True`) a pass runs its gradient functions with the graph recording,
 * as tfjs's own nested `tf.grad(tf.grad(f))` does on its shared tape: the gradients it returns are results computed
 * from the parameters, and a later pass back-propagates through them (a gradient penalty's double backward). The
 * saved tensors a gradient function reads are the engine's clones, each recorded as a node from its original, so
 * the path from a gradient back to the parameters and inputs it was computed from is on the graph.
 */
import { tf, type Tensor } from '../tf.js';
// The gradient of a tfjs kernel tfjs leaves without one, which any double backward through a convolution needs.
import '../kernels/conv-backprop-filter-grad.js';
import { backpropagate, nodesFromXsToY } from './backprop.js';
import { bytesPerElement, withRecording, type TapeNode } from './engine.js';
import {
  gradOutputShapeError,
  graphFreedError,
  inputRequiresNoGradError,
  modifiedInPlaceError,
  noGradFnError,
  nonScalarLossError,
  unusedInputError,
} from './errors.js';
import { accumulate, DataLeaf, inputTensor, type GradInput } from './leaf.js';
import { Parameter, parameterAssignments } from './parameter.js';

/**
 * Kernels whose tfjs gradient reads only the shapes of the tensors it saves (tfjs-core 4.22's `*_grad.js`): PyTorch
 * keeps sizes, not tensors, for these (AddBackward, ViewBackward, SumBackward...), so the graph keeps a shape in
 * place of each saved tensor and frees the tensor at once. GanBatchSum (src/kernels/batch-sum.ts), a bias
 * gradient's sum, is recorded only by a `createGraph` pass; its gradient reads only its input's shape too.
 */
const SHAPE_ONLY_GRADIENTS = new Set(['Add', 'Sub', 'Reshape', 'ExpandDims', 'Sum', 'Mean', 'GanBatchSum']);

/**
 * Kernels whose output is the same values as their input, relaid out: a tensor made by one of them from a
 * parameter is that parameter to the version check (PyTorch's views share the base's version counter).
 */
const VIEW_KERNELS = new Set(['Reshape', 'ExpandDims', 'Squeeze', 'Identity']);

/**
 * The engine's clone of a tensor a kernel saves for its gradient (`saveTensorsForBackwardMode`, customGrad's
 * `save`): recorded under the scope's name, not a kernel's, its one output sharing its input `x`'s buffer.
 */
function isSaveClone(node: TapeNode): boolean {
  const inputs = Object.keys(node.inputs);
  return (
    inputs.length === 1 && inputs[0] === 'x' && node.outputs.length === 1 && (node.saved ?? []).length === 0 &&
    node.outputs[0]!.dataId === node.inputs.x!.dataId && tf.getKernel(node.kernelName, tf.getBackend()) === undefined
  );
}

/** A node whose output is its one input's values: a view kernel, or a save clone. */
function isView(node: TapeNode): boolean {
  return VIEW_KERNELS.has(node.kernelName) || isSaveClone(node);
}

/**
 * A convolution's gradient kernels, as a `createGraph` pass records them: Conv2DBackpropInput (a convolution's input
 * gradient), Conv2DBackpropFilter (its filter gradient), Conv2D (a transposed convolution's input gradient). PyTorch
 * records one `convolution_backward` for them, whose derivative (`_convolution_double_backward`) computes the
 * gradient for the incoming gradient, `ggO = conv(ggI, w) + conv(x, ggW)`, and `gW = conv(ggI, gO)` and
 * `gI = convT(gO, ggW)` wherever ggI and ggW are defined, whether the backward needs them or not: a double backward
 * through such a node computes every input's gradient here too (R1 from a convolutional D's logit: the last
 * layer's incoming gradient is the seed, a constant, and its `ggO` is computed and thrown away on both backends).
 */
const CONVOLUTION_GRADIENTS = new Set(['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Conv2D']);

/** What a shape-only gradient reads of a saved tensor. */
function shapeOf(tensor: Tensor): Tensor {
  return { shape: tensor.shape, rank: tensor.rank, dtype: tensor.dtype, size: tensor.size } as unknown as Tensor;
}

export interface BackwardOptions {
  /**
   * PyTorch's `retain_graph`: keep the saved tensors of the nodes this pass traverses. Defaults to `createGraph`,
   * as in PyTorch.
   */
  retainGraph?: boolean;
  /**
   * PyTorch's `create_graph`: record this pass's own operations, so that the gradients it computes can be
   * differentiated again (a gradient penalty).
   */
  createGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /**
   * PyTorch's `grad_outputs`: the vector each output's vector-Jacobian product starts from, one per output (the
   * output's shape); required for an output with more than one element.
   */
  gradOutputs?: Tensor | readonly Tensor[];
}

/** What one backward pass computed. */
export interface BackwardResult {
  /** The gradient of each requested input the loss reaches (unreached ones are absent). */
  readonly gradients: ReadonlyMap<GradInput, Tensor>;
  /** Ids of every tensor a gradient was computed for: parameters, activations, inputs. */
  readonly reached: ReadonlySet<number>;
  /** The pass recorded its own operations (`createGraph`): its gradients can be differentiated again. */
  readonly createGraph: boolean;
  /** With `createGraph`: the id of the gradient tensor computed for each reached tensor id (empty otherwise). */
  readonly gradientIds: ReadonlyMap<number, number>;
}

/** What the graph knows about a recorded node besides the engine's record. */
interface NodeState {
  /** Saved tensors that were a parameter's value when saved, and that parameter's version then. */
  savedParameters: Array<{ parameter: Parameter; version: number }>;
  /** Its saved tensors were freed by a backward pass without `retainGraph`. */
  freed: boolean;
}

export class Graph {
  private readonly nodes: TapeNode[] = [];
  private readonly states = new Map<number, NodeState>();
  /** Ids of the tensors computed from a parameter while recording (PyTorch's `requires_grad` results). */
  private readonly derived = new Set<number>();
  private readonly parameterOfVariable: ReadonlyMap<number, Parameter>;
  /** Tensor ids that are a parameter or a view of one (a reshaped kernel), and which parameter. */
  private readonly parameterViews = new Map<number, Parameter>();
  /** Buffers saved while they were a parameter's value. */
  private readonly parameterValues = new Set<object>();
  private parameterOfBuffer = new Map<object, Parameter>();
  private buffersMappedAt = -1;
  /** Save clones recorded before the node that produces their input (see admitInOrder). */
  private readonly pendingClones: TapeNode[] = [];
  /** Data tensors marked with `requiresGrad_()`, by tensor id. */
  private readonly dataLeaves = new Map<number, DataLeaf>();
  /** A `createGraph` pass is recording its gradient functions. */
  private recordingBackward = false;
  /** The convolution gradients `createGraph` passes recorded (CONVOLUTION_GRADIENTS), by node id, with their inputs' names. */
  private readonly convolutionBackwards = new Map<number, readonly string[]>();
  private disposed = false;

  /** `parameters`: the leaves `backward()` differentiates for (those whose `requiresGrad` is set). */
  constructor(readonly parameters: readonly Parameter[]) {
    this.parameterOfVariable = new Map(parameters.map((parameter) => [parameter.variable.id, parameter]));
    for (const parameter of parameters) this.parameterViews.set(parameter.variable.id, parameter);
    // The engine pushes every node it records here: keep those that require a gradient.
    const push = this.nodes.push.bind(this.nodes);
    this.nodes.push = (...nodes: TapeNode[]) => push(...nodes.flatMap((node) => this.admitInOrder(node)));
  }

  /**
   * The engine records a kernel's clone of an output it saves (its sigmoid output, say) before the kernel's own
   * node: held back until the node that produces its input arrives, then kept after it, so that the tape stays in
   * order and a `createGraph` pass that reads the saved output leads back through it to the kernel. A clone whose
   * producer never arrives (nothing recorded it: it requires no grad) is dropped with the next node.
   */
  private admitInOrder(node: TapeNode): TapeNode[] {
    if (isSaveClone(node) && !this.requiresGrad(node.inputs.x!.id)) {
      this.pendingClones.push(node);
      return [];
    }
    const pending = this.pendingClones.splice(0);
    const admitted = this.admit(node) ? [node] : [];
    if (admitted.length === 0) return admitted;
    const produced = new Set(node.outputs.map((output) => output.id));
    return [...admitted, ...pending.filter((clone) => produced.has(clone.inputs.x!.id) && this.admit(clone))];
  }

  /** Runs `fn` with every kernel recorded onto this graph (PyTorch's grad mode). */
  record<T>(fn: () => T): T {
    this.assertLive();
    return withRecording(this.nodes, fn);
  }

  /** Runs `fn` with nothing recorded (`torch.no_grad()`): what an optimizer step does. */
  noGrad<T>(fn: () => T): T {
    return withRecording(null, fn);
  }

  /**
   * PyTorch's `x.requires_grad_()` on a data tensor: from now on operations on `x` are recorded, `grad()` may
   * differentiate for it and `backward()` accumulates into its `.grad` (see `gradOf`). Returns `x`. A tensor
   * already computed from a parameter requires grad as it is.
   */
  requiresGrad_<T extends Tensor>(x: T): T {
    this.assertLive();
    if (!this.requiresGrad(x.id) && !this.dataLeaves.has(x.id)) this.dataLeaves.set(x.id, new DataLeaf(x));
    return x;
  }

  /** The data tensors marked with `requiresGrad_()` so far. */
  dataLeafTensors(): Tensor[] {
    return [...this.dataLeaves.values()].map((leaf) => leaf.tensor);
  }

  /** PyTorch's `x.grad` for a data tensor marked with `requiresGrad_()`: what `backward()` accumulated, or null. */
  gradOf(x: Tensor): Tensor | null {
    return this.dataLeaves.get(x.id)?.grad ?? null;
  }

  /**
   * PyTorch's `loss.backward(retain_graph=..., create_graph=...)`: the gradient of `loss` for every parameter
   * that requires one, and every data tensor marked with `requiresGrad_()`, that the loss reaches, accumulated into
   * their `.grad` (with `createGraph`, the accumulation is recorded too).
   */
  backward(loss: Tensor, { createGraph = false, retainGraph = createGraph }: BackwardOptions = {}): BackwardResult {
    const leaves = [...this.parameters.filter((parameter) => parameter.requiresGrad), ...[...this.dataLeaves.values()].map((leaf) => leaf.tensor)];
    this.checkOutputs([loss], []);
    const result = this.differentiate([loss], [], leaves, retainGraph, createGraph);
    withRecording(createGraph ? this.nodes : null, () => {
      for (const [input, gradient] of result.gradients) {
        accumulate(input instanceof Parameter ? input : this.dataLeaves.get(input.id)!, gradient);
      }
    });
    return result;
  }

  /**
   * PyTorch's `torch.autograd.grad(outputs, inputs, grad_outputs=..., retain_graph=..., create_graph=...)`: the
   * gradients of `outputs` (each weighted by its `gradOutputs` vector) for `inputs`, in their order, without
   * touching `.grad`. Every input must require grad and be reached (PyTorch's `allow_unused=False`).
   */
  grad(outputs: Tensor | readonly Tensor[], inputs: readonly GradInput[], { gradOutputs, createGraph = false, retainGraph = createGraph }: GradOptions = {}): BackwardResult {
    const ys = outputs instanceof tf.Tensor ? [outputs] : [...(outputs as readonly Tensor[])];
    const seeds = gradOutputs === undefined ? [] : gradOutputs instanceof tf.Tensor ? [gradOutputs] : [...(gradOutputs as readonly Tensor[])];
    this.checkOutputs(ys, seeds);
    if (inputs.some((input) => !this.inputRequiresGrad(input))) throw inputRequiresNoGradError();
    const result = this.differentiate(ys, seeds, inputs, retainGraph, createGraph);
    if (inputs.some((input) => !result.gradients.has(input))) throw unusedInputError();
    return result;
  }

  /**
   * Bytes of the saved tensors this graph still holds: distinct buffers of nodes not yet freed, less the buffers
   * that were a parameter's value when saved. PyTorch saves a parameter by reference and updates it in place, so
   * its graph never holds parameter memory of its own (tfjs's `assign` swaps buffers, which would make a saved
   * pre-step value look like graph memory).
   */
  heldBytes(): number {
    const seen = new Set<object>(this.parameterValues);
    let bytes = 0;
    for (const node of this.nodes) {
      for (const tensor of node.saved ?? []) {
        if (!(tensor instanceof tf.Tensor) || tensor.isDisposed || seen.has(tensor.dataId)) continue;
        seen.add(tensor.dataId);
        bytes += tensor.size * bytesPerElement(tensor.dtype);
      }
    }
    return bytes;
  }

  /** Nodes recorded so far. */
  get size(): number {
    return this.nodes.length;
  }

  /** Frees every saved tensor: the end of a step, when PyTorch's graph goes out of scope. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const node of this.nodes) tf.dispose(node.saved ?? []);
    for (const leaf of this.dataLeaves.values()) leaf.dispose();
    this.dataLeaves.clear();
    this.nodes.length = 0;
    this.states.clear();
    this.derived.clear();
    this.convolutionBackwards.clear();
    this.parameterValues.clear();
  }

  /**
   * PyTorch's checks on what is differentiated, in its order: a non-scalar output that requires grad needs a
   * `grad_outputs` vector of its shape; then every output must require grad.
   */
  private checkOutputs(ys: readonly Tensor[], seeds: readonly Tensor[]): void {
    this.assertLive();
    ys.forEach((y, i) => {
      if (!this.requiresGrad(y.id)) return;
      const seed = seeds[i];
      if (seed === undefined) {
        if (y.size !== 1) throw nonScalarLossError();
      } else if (!tf.util.arraysEqual(seed.shape, y.shape)) {
        throw gradOutputShapeError(i, seed.shape, y.shape);
      }
    });
    const index = ys.findIndex((y) => !this.requiresGrad(y.id));
    if (index >= 0) throw noGradFnError(index);
  }

  private differentiate(ys: readonly Tensor[], seeds: readonly Tensor[], inputs: readonly GradInput[], retainGraph: boolean, createGraph: boolean): BackwardResult {
    const xs = inputs.map(inputTensor);
    const filtered = nodesFromXsToY(this.nodes, xs, ys);
    const direct = ys.some((y) => xs.some((x) => x.id === y.id));
    if (filtered.length === 0 && !direct) {
      const requiresGrad = this.parameters.filter((parameter) => parameter.requiresGrad);
      const fromAny = inputs.length === requiresGrad.length ? filtered : nodesFromXsToY(this.nodes, requiresGrad.map((p) => p.variable), ys);
      throw fromAny.length === 0 ? noGradFnError() : unusedInputError();
    }
    // Checked in the order PyTorch's engine runs the nodes, from the loss back: the first bad one raises.
    for (let i = filtered.length - 1; i >= 0; i--) {
      const state = this.states.get(filtered[i]!.id);
      if (!state) continue;
      if (state.freed) throw graphFreedError();
      for (const { parameter, version } of state.savedParameters) {
        if (parameter.version !== version) {
          throw modifiedInPlaceError(parameter.name, parameter.shape, parameter.variable.dtype, parameter.version, version);
        }
      }
    }
    const reached = new Set<number>();
    const gradientIds = new Map<number, number>();
    // Without createGraph the pass records nothing (the gradients are constants, as PyTorch's); with it, every
    // gradient function's kernels are recorded onto this graph, kept where they depend on something that requires grad.
    // A recorded convolution gradient's inputs off the path: PyTorch's double backward computes their gradients too.
    const discarded = new Map<number, string[]>();
    for (const node of filtered) {
      const names = this.convolutionBackwards.get(node.id);
      const off = names?.filter((name) => !(name in node.inputs)) ?? [];
      if (off.length > 0) discarded.set(node.id, off);
    }
    this.recordingBackward = createGraph;
    let values: Record<string, Tensor>;
    try {
      values = withRecording(createGraph ? this.nodes : null, () =>
        tf.tidy(() => {
          const accumulated = new Map<number, Tensor>();
          ys.forEach((y, i) => {
            const seed = seeds[i];
            // The seed is the pass's own tensor (backpropagate frees what it sums): the user's vector is cloned, recorded.
            const start = seed === undefined ? this.noGrad(() => tf.onesLike(y)) : tf.clone(seed);
            const previous = accumulated.get(y.id);
            accumulated.set(y.id, previous ? tf.add(previous, start) : start);
          });
          backpropagate(accumulated, filtered, discarded);
          for (const [id, gradient] of accumulated) {
            reached.add(id);
            if (createGraph) gradientIds.set(id, gradient.id);
          }
          const kept: Record<string, Tensor> = {};
          xs.forEach((x, i) => {
            const gradient = accumulated.get(x.id);
            if (gradient) kept[i] = gradient;
          });
          return kept;
        }),
      ) as Record<string, Tensor>;
    } finally {
      this.recordingBackward = false;
    }
    if (!retainGraph) this.free(filtered);
    // An output counts as reached, as a hook on PyTorch's root tensor fires: WGAN-GP's grad(D(x), x, grad_outputs)
    // goes through D's pass with no loss above D's output.
    const gradients = new Map<GradInput, Tensor>();
    inputs.forEach((input, i) => {
      const gradient = values[i];
      if (gradient) gradients.set(input, gradient);
    });
    return { gradients, reached, createGraph, gradientIds };
  }

  /** Frees the saved tensors of `nodes` (filtered copies share the engine nodes' `saved` arrays). */
  private free(nodes: readonly TapeNode[]): void {
    for (const node of nodes) {
      const state = this.states.get(node.id);
      if (!state) continue; // saved nothing: PyTorch can traverse such a node again
      tf.dispose(node.saved ?? []);
      state.freed = true;
    }
  }

  /**
   * Whether a gradient can flow into tensor `id`: a parameter that requires one, a data tensor marked with
   * `requiresGrad_()`, or a result computed from either.
   */
  private requiresGrad(id: number): boolean {
    return this.derived.has(id) || this.dataLeaves.has(id) || this.parameterOfVariable.get(id)?.requiresGrad === true;
  }

  private inputRequiresGrad(input: GradInput): boolean {
    return input instanceof Parameter ? input.requiresGrad : this.requiresGrad(input.id);
  }

  /**
   * Keeps a recorded node if one of its inputs requires a gradient, noting which of its saved tensors are a
   * parameter's value at which version; otherwise frees what it saved and drops it.
   */
  private admit(node: TapeNode): boolean {
    // Views are followed whatever becomes of the node: a frozen parameter's reshape is dropped, its value still saved.
    const viewed = isView(node) ? this.parameterOfView(Object.values(node.inputs)[0]) : undefined;
    if (viewed) for (const output of node.outputs) this.parameterViews.set(output.id, viewed);
    if (!Object.values(node.inputs).some((input) => this.requiresGrad(input.id))) {
      tf.dispose(node.saved ?? []);
      return false;
    }
    for (const output of node.outputs) this.derived.add(output.id);
    if (this.recordingBackward && CONVOLUTION_GRADIENTS.has(node.kernelName)) this.convolutionBackwards.set(node.id, Object.keys(node.inputs));
    if (!node.saved || node.saved.length === 0) return true;
    if (SHAPE_ONLY_GRADIENTS.has(node.kernelName)) {
      node.saved.forEach((tensor, i) => {
        node.saved![i] = shapeOf(tensor);
        tensor.dispose();
      });
      return true;
    }
    const savedParameters: NodeState['savedParameters'] = [];
    node.saved.forEach((tensor, i) => {
      const parameter = this.savedParameter(node, i, tensor);
      if (!parameter) return;
      if (!savedParameters.some((saved) => saved.parameter === parameter)) {
        savedParameters.push({ parameter, version: parameter.version });
      }
      this.parameterValues.add(tensor.dataId);
    });
    this.states.set(node.id, { savedParameters, freed: false });
    return true;
  }

  private parameterOfView(tensor: Tensor | undefined): Parameter | undefined {
    return tensor === undefined ? undefined : this.parameterViews.get(tensor.id);
  }

  /**
   * The parameter whose value the node's `index`-th saved tensor is, if any. A kernel saves its gradient's
   * `inputsToSave` (or all inputs), then outputs: the input it saved tells (a saved tensor may be a copy, as
   * wasm's Identity makes one). Custom-gradient nodes save what their function chose: there the buffer tells.
   */
  private savedParameter(node: TapeNode, index: number, tensor: Tensor): Parameter | undefined {
    const config = tf.getGradient(node.kernelName);
    if (config) {
      const names = config.saveAllInputs ? Object.keys(node.inputs) : (config.inputsToSave ?? []);
      const name = names[index];
      return name === undefined ? undefined : this.parameterOfView(node.inputs[name]);
    }
    if (this.buffersMappedAt !== parameterAssignments()) {
      this.parameterOfBuffer = new Map(this.parameters.map((parameter) => [parameter.variable.dataId, parameter]));
      this.buffersMappedAt = parameterAssignments();
    }
    return this.parameterOfBuffer.get(tensor.dataId);
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('this graph was disposed at the end of its step');
  }
}
