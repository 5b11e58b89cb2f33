import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  autogradErrorKind,
  graphFreedError,
  modifiedInPlaceError,
  noGradFnError,
  nonScalarLossError,
  unusedInputError,
} from '../../src/autograd/errors.js';

// PyTorch 1.13's messages for the same misuses, copied from its output (the in-place one for a [5, 1] tensor).
const PYTORCH = {
  'graph-freed':
    'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.',
  'modified-in-place':
    'one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [5, 1]], which is output 0 of AsStridedBackward0, is at version 2; expected version 1 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).',
  'non-scalar-loss': 'grad can be implicitly created only for scalar outputs',
  'no-grad-fn': 'element 0 of tensors does not require grad and does not have a grad_fn',
  'unused-input':
    'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.',
} as const;

describe("PyTorch's autograd errors", () => {
  it("words each error as PyTorch does (the in-place one names the parameter where PyTorch names the tensor's type)", () => {
    expect(graphFreedError().message).toBe(PYTORCH['graph-freed']);
    expect(nonScalarLossError().message).toBe(PYTORCH['non-scalar-loss']);
    expect(noGradFnError().message).toBe(PYTORCH['no-grad-fn']);
    expect(unusedInputError().message).toBe(PYTORCH['unused-input']);
    expect(modifiedInPlaceError('D/dense1/kernel', [5, 1], 'float32', 2, 1).message).toBe(
      PYTORCH['modified-in-place'].replace(
        '[torch.FloatTensor [5, 1]], which is output 0 of AsStridedBackward0,',
        '[float32 [5, 1] D/dense1/kernel]',
      ),
    );
    expect(graphFreedError()).toBeInstanceOf(AutogradError);
    expect(graphFreedError().name).toBe('RuntimeError');
  });

  it.each(Object.entries(PYTORCH))("recognises PyTorch's own %s message, as the pytorch backend reports it", (kind, message) => {
    expect(autogradErrorKind(new Error(`RuntimeError: ${message}`))).toBe(kind);
    expect(autogradErrorKind(message)).toBe(kind);
  });

  it('recognises its own errors by kind, and nothing else', () => {
    expect(autogradErrorKind(unusedInputError())).toBe('unused-input');
    expect(autogradErrorKind(new Error('CUDA out of memory'))).toBeNull();
  });
});
