import { tf } from '../tf.js';
import { BackendUnavailableError, type BackendProvider } from './backend.js';
import { describeHostCpu } from './host.js';

/** TensorFlow.js's plain JavaScript backend: slow, but exact and everywhere; the reference for equivalence. */
export const cpuBackend: BackendProvider = {
  id: 'cpu',
  title: 'TensorFlow.js cpu (JavaScript)',
  async start() {
    if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu', 'tf.setBackend("cpu") failed');
    return { description: `cpu (${describeHostCpu()})`, isFallback: false, isGpu: false };
  },
  async sync() {
    // Kernels run synchronously on the JavaScript thread: when a step returns, its work is done.
  },
  memory() {
    return { isEstimate: true };
  },
};
