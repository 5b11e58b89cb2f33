/**
 * What `grad()` and `backward()` differentiate for: a parameter, or any tensor of the step (PyTorch's
 * `torch.autograd.grad(outputs, inputs)` takes tensors: a data batch marked with `requires_grad_()`, as R1 marks
 * the real samples, or a result computed from a parameter).
 */
import { tf, type Tensor } from '../tf.js';
import { Parameter } from './parameter.js';

export type GradInput = Parameter | Tensor;

/** The tensor a gradient input stands for: a parameter's variable, or the tensor itself. */
export function inputTensor(input: GradInput): Tensor {
  return input instanceof Parameter ? input.variable : input;
}

/**
 * A data tensor marked with `requires_grad_()` in one step: a leaf that is not a parameter. `backward()`
 * accumulates into its `.grad` as into a parameter's (PyTorch's AccumulateGrad on `real`); no optimizer reads it.
 * It lives as long as the step's graph.
 */
export class DataLeaf {
  private currentGrad: Tensor | null = null;

  constructor(readonly tensor: Tensor) {}

  get grad(): Tensor | null {
    return this.currentGrad;
  }

  set grad(value: Tensor | null) {
    if (this.currentGrad && this.currentGrad !== value) this.currentGrad.dispose();
    this.currentGrad = value;
  }

  dispose(): void {
    this.grad = null;
  }
}

/** `x.grad = x.grad + g` (or `g`), on a parameter or a data leaf. */
export function accumulate(holder: { grad: Tensor | null }, gradient: Tensor): void {
  holder.grad = holder.grad ? tf.add(holder.grad, gradient) : gradient;
}
