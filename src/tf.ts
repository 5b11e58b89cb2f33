/**
 * The one place that loads TensorFlow.js. Every module imports `tf` from here so that backends, the tape and
 * the models share one engine instance (the packages' CommonJS entries: Node's ESM loader cannot load
 * tfjs-core's extensionless `dist/*.js` modules).
 */
import * as tf from '@tensorflow/tfjs';

// Production mode: no debug-only checks in timed steps, and no "install tfjs-node" banner on stderr (the
// backend choice is ours: see src/backends/).
tf.env().set('PROD', true);

export { tf };
export type { Tensor, Variable, Scalar } from '@tensorflow/tfjs';
