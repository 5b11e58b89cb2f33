/** The backend registry and `auto` selection. */
import { BACKEND_IDS, BackendUnavailableError, type BackendId, type BackendProvider, type ConcreteBackendId, type DeviceInfo } from './backend.js';
import { cpuBackend } from './cpu.js';
import { pytorchBackend } from './pytorch/index.js';
import { tensorflowBackend, tensorflowGpuBackend } from './tensorflow.js';
import { wasmBackend } from './wasm.js';
import { webgpuBackend } from './webgpu.js';

export * from './backend.js';

export const backends: Readonly<Record<ConcreteBackendId, BackendProvider>> = {
  cpu: cpuBackend,
  wasm: wasmBackend,
  webgpu: webgpuBackend,
  tensorflow: tensorflowBackend,
  'tensorflow-gpu': tensorflowGpuBackend,
  pytorch: pytorchBackend,
};

/** What `auto` tries, fastest first; a software (fallback) GPU adapter is never picked on its own, nor `pytorch`. */
export const AUTO_ORDER: readonly ConcreteBackendId[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * Backends whose kernels are GPU dispatches (also on a software adapter such as lavapipe): there a launch costs
 * more than the copies that save launches, so Adam runs 'foreach', as PyTorch does for CUDA tensors.
 */
export function dispatchesGpuKernels(id: ConcreteBackendId): boolean {
  return id === 'webgpu' || id === 'tensorflow-gpu';
}

export interface StartedBackend {
  provider: BackendProvider;
  device: DeviceInfo;
  /** For `auto`: each backend passed over, and why. */
  passedOver: string[];
}

/** Parses a `--backend` value; throws with the list of known ids otherwise. */
export function parseBackendId(value: string): BackendId {
  if (!(BACKEND_IDS as readonly string[]).includes(value)) {
    throw new Error(`unknown backend '${value}' (known: ${BACKEND_IDS.join(', ')})`);
  }
  return value as BackendId;
}

/** Starts `id` and makes it TensorFlow.js's active backend; for `auto`, the first of AUTO_ORDER that starts. */
export async function startBackend(id: BackendId): Promise<StartedBackend> {
  if (id !== 'auto') {
    const provider = backends[id];
    return { provider, device: await provider.start(), passedOver: [] };
  }
  const passedOver: string[] = [];
  for (const candidate of AUTO_ORDER) {
    const provider = backends[candidate];
    try {
      const device = await provider.start();
      if (device.isFallback) {
        passedOver.push(`${candidate}: only a software adapter (${device.description})`);
        continue;
      }
      return { provider, device, passedOver };
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      passedOver.push(`${candidate}: ${error.message}`);
    }
  }
  throw new BackendUnavailableError('cpu', `no backend could start:\n  ${passedOver.join('\n  ')}`);
}
