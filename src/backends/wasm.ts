import { tf } from '../tf.js';
import { BackendUnavailableError, type BackendProvider } from './backend.js';
import { describeHostCpu } from './host.js';
import { installWasmTransposedMatMul } from '../kernels/wasm-transposed-matmul.js';
import { installWasmConvolutionBackprop } from '../kernels/wasm-conv-backprop.js';
import { installWasmIdentity } from '../kernels/wasm-identity.js';

/** TensorFlow.js's WebAssembly backend (XNNPACK): the fastest CPU backend a fresh `npm ci` has. */
export const wasmBackend: BackendProvider = {
  id: 'wasm',
  title: 'TensorFlow.js wasm (XNNPACK)',
  async start() {
    // Emscripten's glue installs process handlers that rethrow every uncaught error from inside its own
    // minified source, which buries the real message under a screenful of code: keep the process's own.
    const handlers = {
      uncaughtException: process.listeners('uncaughtException'),
      unhandledRejection: process.listeners('unhandledRejection'),
    };
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
      throw new BackendUnavailableError('wasm', 'cannot load @tensorflow/tfjs-backend-wasm (run `npm ci`)', { cause: error });
    }
    // A transposed product at XNNPACK's speed, not in wasm's scalar fallback loop (src/kernels/wasm-transposed-matmul.ts).
    installWasmTransposedMatMul();
    // A convolution's input and filter gradients as XNNPACK products, not a scalar loop or nothing (src/kernels/wasm-conv-backprop.ts).
    installWasmConvolutionBackprop();
    // A saved tensor shares its buffer, as on cpu and webgpu, rather than being copied (src/kernels/wasm-identity.ts).
    installWasmIdentity();
    const ready = await tf.setBackend('wasm');
    for (const listener of process.listeners('uncaughtException')) {
      if (!handlers.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!handlers.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener);
    }
    if (!ready) {
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
