/**
 * The one place that loads TensorFlow.js. Every module imports `tf` from here so that backends, the tape and
 * the models share one engine instance (the packages' CommonJS entries: Node's ESM loader cannot load
 * tfjs-core's extensionless `dist/*.js` modules).
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Variable, Scalar } from '@tensorflow/tfjs';
