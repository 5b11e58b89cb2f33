/** PyTorch's `Tensor.detach()` for TensorFlow.js. */
import type { Tensor } from '../tf.js';
import { engineInternals } from './engine.js';

/**
 * The same values as `x`, sharing its buffer (no copy, no kernel), but with no gradient path: no tape node
 * produced the new tensor, so back-propagation stops at it. Disposing either tensor leaves the other intact.
 */
export function detach<T extends Tensor>(x: T): T {
  const engine = engineInternals();
  const detached = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
  engine.backend.incRef(x.dataId);
  return detached;
}
