/**
 * `Identity` on the wasm backend shares its input's buffer, as the cpu and webgpu backends' Identity and wasm's
 * own Reshape already do, instead of copying it.
 *
 * tfjs's engine saves every tensor a gradient needs through `clone()`, which runs Identity (engine.ts,
 * `saveTensorsForBackwardMode`, and `customGrad`'s save function). tfjs-backend-wasm 4.22's Identity copies the
 * buffer, so on wasm every saved tensor was a second copy of its activation: a tensor saved by two nodes (a
 * layer's output, saved by its activation's gradient and by the next layer's weight gradient) was held twice,
 * where PyTorch, cpu and webgpu hold it once. The graph's held bytes (`retained_bytes`) and the peak memory on
 * wasm then measured that copy, not the strategy: 3,168 against 2,400 floats per sample for small-d's G graph,
 * 114,548 against 76,916 for DCGAN-MNIST's. tfjs tensors are immutable (no kernel writes into its input, and a
 * variable's `assign` swaps buffers), so sharing is safe; the wasm backend's kernels that call its identity
 * function directly (a no-op Transpose, a one-input Concat) are untouched.
 */
import { tf } from '../tf.js';

interface WasmRefCounting {
  incRef(dataId: tf.DataId): void;
}

const shareBuffer: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as WasmRefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Registers it on wasm in place of tfjs's copy (once). Call after @tensorflow/tfjs-backend-wasm registered its kernels. */
export function installWasmIdentity(): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (current?.kernelFunc === shareBuffer) return;
  if (current) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: shareBuffer });
}
