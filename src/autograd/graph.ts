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
 */
import { tf, type Tensor } from '../tf.js';
import { backpropagate, nodesFromXsToY } from './backprop.js';
import { bytesPerElement, withRecording, type TapeNode } from './engine.js';
import { graphFreedError, modifiedInPlaceError, noGradFnError, nonScalarLossError, unusedInputError } from './errors.js';
import { parameterAssignments, type Parameter } from './parameter.js';

/**
 * Kernels whose tfjs gradient reads only the shapes of the tensors it saves (tfjs-core 4.22's `*_grad.js`): PyTorch
 * keeps sizes, not tensors, for these (AddBackward, ViewBackward, SumBackward...), so the graph keeps a shape in
 * place of each saved tensor and frees the tensor at once.
 */
const SHAPE_ONLY_GRADIENTS = new Set(['Add', 'Sub', 'Reshape', 'ExpandDims', 'Sum', 'Mean']);

/**
 * Kernels whose output is the same values as their input, relaid out: a tensor made by one of them from a
 * parameter is that parameter to the version check (PyTorch's views share the base's version counter).
 */
const VIEW_KERNELS = new Set(['Reshape', 'ExpandDims', 'Squeeze', 'Identity']);

/** What a shape-only gradient reads of a saved tensor. */
function shapeOf(tensor: Tensor): Tensor {
  return { shape: tensor.shape, rank: tensor.rank, dtype: tensor.dtype, size: tensor.size } as unknown as Tensor;
}

export interface BackwardOptions {
  /** PyTorch's `retain_graph`: keep the saved tensors of the nodes this pass traverses. */
  retainGraph?: boolean;
}

/** What one backward pass computed. */
export interface BackwardResult {
  /** The gradient of each requested parameter the loss reaches (unreached ones are absent). */
  readonly gradients: ReadonlyMap<Parameter, Tensor>;
  /** Ids of every tensor a gradient was computed for: parameters, activations, inputs. */
  readonly reached: ReadonlySet<number>;
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
  private disposed = false;

  /** `parameters`: the leaves `backward()` differentiates for (those whose `requiresGrad` is set). */
  constructor(readonly parameters: readonly Parameter[]) {
    this.parameterOfVariable = new Map(parameters.map((parameter) => [parameter.variable.id, parameter]));
    for (const parameter of parameters) this.parameterViews.set(parameter.variable.id, parameter);
    // The engine pushes every node it records here: keep those that require a gradient.
    const push = this.nodes.push.bind(this.nodes);
    this.nodes.push = (...nodes: TapeNode[]) => push(...nodes.filter((node) => this.admit(node)));
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
   * PyTorch's `loss.backward(retain_graph=...)`: the gradient of `loss` for every parameter that requires one and
   * that the loss reaches, accumulated into the parameters' `.grad`.
   */
  backward(loss: Tensor, { retainGraph = false }: BackwardOptions = {}): BackwardResult {
    const result = this.differentiate(loss, this.parameters.filter((parameter) => parameter.requiresGrad), retainGraph);
    this.noGrad(() => {
      for (const [parameter, gradient] of result.gradients) {
        parameter.grad = parameter.grad ? tf.add(parameter.grad, gradient) : gradient;
      }
    });
    return result;
  }

  /**
   * PyTorch's `torch.autograd.grad(loss, inputs, retain_graph=...)`: the gradients of `loss` for `inputs`, in
   * their order, without touching `.grad`. Every input must be reached (PyTorch's `allow_unused=False`).
   */
  grad(loss: Tensor, inputs: readonly Parameter[], { retainGraph = false }: BackwardOptions = {}): BackwardResult {
    const result = this.differentiate(loss, inputs, retainGraph);
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
    this.nodes.length = 0;
    this.states.clear();
    this.derived.clear();
    this.parameterValues.clear();
  }

  private differentiate(loss: Tensor, inputs: readonly Parameter[], retainGraph: boolean): BackwardResult {
    this.assertLive();
    if (loss.size !== 1) throw nonScalarLossError();
    const filtered = nodesFromXsToY(this.nodes, inputs.map((input) => input.variable), loss);
    if (filtered.length === 0) {
      const requiresGrad = this.parameters.filter((parameter) => parameter.requiresGrad);
      const fromAny = inputs.length === requiresGrad.length ? filtered : nodesFromXsToY(this.nodes, requiresGrad.map((p) => p.variable), loss);
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
    const values = this.noGrad(() =>
      tf.tidy(() => {
        const accumulated = new Map<number, Tensor>([[loss.id, tf.onesLike(loss)]]);
        backpropagate(accumulated, filtered);
        for (const id of accumulated.keys()) reached.add(id);
        const kept: Record<string, Tensor> = {};
        inputs.forEach((input, i) => {
          const gradient = accumulated.get(input.variable.id);
          if (gradient) kept[i] = gradient;
        });
        return kept;
      }),
    ) as Record<string, Tensor>;
    if (!retainGraph) this.free(filtered);
    reached.delete(loss.id);
    const gradients = new Map<Parameter, Tensor>();
    inputs.forEach((input, i) => {
      const gradient = values[i];
      if (gradient) gradients.set(input, gradient);
    });
    return { gradients, reached };
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

  /** Whether a gradient can flow into tensor `id`: a parameter that requires one, or a result computed from one. */
  private requiresGrad(id: number): boolean {
    return this.derived.has(id) || this.parameterOfVariable.get(id)?.requiresGrad === true;
  }

  /**
   * Keeps a recorded node if one of its inputs requires a gradient, noting which of its saved tensors are a
   * parameter's value at which version; otherwise frees what it saved and drops it.
   */
  private admit(node: TapeNode): boolean {
    // Views are followed whatever becomes of the node: a frozen parameter's reshape is dropped, its value still saved.
    const viewed = VIEW_KERNELS.has(node.kernelName) ? this.parameterOfView(Object.values(node.inputs)[0]) : undefined;
    if (viewed) for (const output of node.outputs) this.parameterViews.set(output.id, viewed);
    if (!Object.values(node.inputs).some((input) => this.requiresGrad(input.id))) {
      tf.dispose(node.saved ?? []);
      return false;
    }
    for (const output of node.outputs) this.derived.add(output.id);
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
