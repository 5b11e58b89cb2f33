/**
 * The errors PyTorch's autograd raises where a GAN step misuses `detach()` or `retain_graph`, with PyTorch's
 * own wording (checked against PyTorch 1.13), so that the harness fails where PyTorch fails and says why in the
 * same words.
 */
import { messageOf } from '../errors.js';

export type AutogradErrorKind =
  | 'graph-freed'
  | 'modified-in-place'
  | 'non-scalar-loss'
  | 'no-grad-fn'
  | 'unused-input'
  | 'input-requires-no-grad'
  | 'grad-output-shape';

/** PyTorch's `RuntimeError` from the autograd engine; `kind` says which one. */
export class AutogradError extends Error {
  constructor(
    readonly kind: AutogradErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** Back-propagating through a part of the graph whose saved tensors an earlier backward freed. */
export function graphFreedError(): AutogradError {
  return new AutogradError(
    'graph-freed',
    'Trying to backward through the graph a second time (or directly access saved tensors after they have ' +
      'already been freed). Saved intermediate values of the graph are freed when you call .backward() or ' +
      'autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if ' +
      'you need to access saved tensors after calling backward.',
  );
}

/**
 * A tensor the backward needs was saved at one version of a parameter and the parameter has been assigned since
 * (an optimizer step). PyTorch names the tensor by type and shape; we add the parameter's name.
 */
export function modifiedInPlaceError(name: string, shape: readonly number[], dtype: string, version: number, expected: number): AutogradError {
  return new AutogradError(
    'modified-in-place',
    'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
      `[${dtype} [${shape.join(', ')}] ${name}] is at version ${version}; expected version ${expected} instead. ` +
      'Hint: enable anomaly detection to find the operation that failed to compute its gradient, with ' +
      'torch.autograd.set_detect_anomaly(True).',
  );
}

export function nonScalarLossError(): AutogradError {
  return new AutogradError('non-scalar-loss', 'grad can be implicitly created only for scalar outputs');
}

/** Output `index` of a backward or grad call (0 for a single loss) was not computed from anything that requires grad. */
export function noGradFnError(index = 0): AutogradError {
  return new AutogradError('no-grad-fn', `element ${index} of tensors does not require grad and does not have a grad_fn`);
}

/** `torch.autograd.grad(outputs, inputs)` with an input that does not require grad (nor was computed from one). */
export function inputRequiresNoGradError(): AutogradError {
  return new AutogradError('input-requires-no-grad', 'One of the differentiated Tensors does not require grad');
}

/** A `grad_outputs` tensor whose shape is not its output's. */
export function gradOutputShapeError(index: number, gradShape: readonly number[], outputShape: readonly number[]): AutogradError {
  const size = (shape: readonly number[]) => `torch.Size([${shape.join(', ')}])`;
  return new AutogradError(
    'grad-output-shape',
    `Mismatch in shape: grad_output[${index}] has a shape of ${size(gradShape)} and output[${index}] has a shape of ${size(outputShape)}.`,
  );
}

export function unusedInputError(): AutogradError {
  return new AutogradError(
    'unused-input',
    'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if ' +
      'this is the desired behavior.',
  );
}

/** Message openings that identify each kind, in PyTorch's words (the pytorch backend reports them as text). */
const OPENINGS: ReadonlyArray<[AutogradErrorKind, string]> = [
  ['graph-freed', 'Trying to backward through the graph a second time'],
  ['modified-in-place', 'one of the variables needed for gradient computation has been modified by an inplace operation'],
  ['non-scalar-loss', 'grad can be implicitly created only for scalar outputs'],
  ['no-grad-fn', 'of tensors does not require grad and does not have a grad_fn'],
  ['unused-input', 'One of the differentiated Tensors appears to not have been used in the graph'],
  ['input-requires-no-grad', 'One of the differentiated Tensors does not require grad'],
  ['grad-output-shape', 'Mismatch in shape: grad_output['],
];

/** Which autograd error `error` is (ours, or PyTorch's message text), or null for any other error. */
export function autogradErrorKind(error: unknown): AutogradErrorKind | null {
  if (error instanceof AutogradError) return error.kind;
  const message = messageOf(error);
  return OPENINGS.find(([, opening]) => message.includes(opening))?.[0] ?? null;
}
