import { tf } from '../tf.js';
import { BackendUnavailableError, type BackendProvider } from './backend.js';
import { describeHostCpu } from './host.js';

/** TensorFlow.js's WebAssembly backend (XNNPACK): the fastest CPU backend a fresh `npm ci` has. */
export const wasmBackend: BackendProvider = {
  id: 'wasm',
  title: 'TensorFlow.js wasm (XNNPACK)',
  async start() {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
      throw new BackendUnavailableError('wasm', 'cannot load @tensorflow/tfjs-backend-wasm (run `npm ci`)', { cause: error });
    }
    if (!(await tf.setBackend('wasm'))) {
      throw new BackendUnavailableError('wasm', 'tf.setBackend("wasm") failed: the WebAssembly module did not initialise');
    }
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const features = [simd ? 'SIMD' : 'no SIMD', threads ? 'threads' : 'single thread'].join(', ');
    return { description: `wasm ${features} (${describeHostCpu()})`, isFallback: false, isGpu: false };
  },
  async sync() {
    // WebAssembly kernels run synchronously on the JavaScript thread.
  },
  memory() {
    return { isEstimate: false };
  },
};
