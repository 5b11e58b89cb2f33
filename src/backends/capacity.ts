/**
 * What a started backend can hold, for the footprint check (footprint.ts): the memory it allocates from, and the
 * largest single tensor it takes. Read when a scenario starts, since free memory changes as the run goes.
 */
import { freemem, totalmem } from 'node:os';
import type { ConcreteBackendId } from './backend.js';
import { webgpuAdapterSummary } from './webgpu.js';
import { tf } from '../tf.js';
import type { Capacity } from '../measure/footprint.js';

/** JavaScript's largest Float32Array (V8 refuses 2^32 + 1 elements): the cpu backend keeps every tensor in one. */
const LARGEST_TYPED_ARRAY_BYTES = 2 ** 32 * 4;
/** tfjs-backend-wasm's memory is 32-bit WebAssembly memory, at most 65536 pages of 64 KiB (its module says so). */
const WASM_MEMORY_BYTES = 2 ** 32;

/** The buffer limits the webgpu backend's device was created with (tfjs asks for the adapter's largest). */
interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

function webgpuLimits(): GpuLimits | null {
  const backend = tf.findBackend('webgpu') as unknown as { device?: { limits?: GpuLimits } } | null;
  return backend?.device?.limits ?? null;
}

export interface CapacitySources {
  freeMemory?: number;
  totalMemory?: number;
  gpuLimits?: GpuLimits | null;
  /** Whether the webgpu adapter is a software one (lavapipe): its "GPU" memory is the machine's. */
  softwareGpu?: boolean;
}

/** What `backend` can hold; the sources are read from the machine and the backend unless given (tests). */
export function backendCapacity(backend: ConcreteBackendId, sources: CapacitySources = {}): Capacity {
  const free = sources.freeMemory ?? freemem();
  const freeMemory = { totalBytes: free, totalSource: 'free system memory' };
  switch (backend) {
    case 'cpu':
      return { backend, ...freeMemory, tensorBytes: LARGEST_TYPED_ARRAY_BYTES, tensorSource: "JavaScript's largest Float32Array" };
    case 'wasm':
      return free < WASM_MEMORY_BYTES
        ? { backend, ...freeMemory, tensorBytes: WASM_MEMORY_BYTES, tensorSource: '32-bit WebAssembly memory' }
        : { backend, totalBytes: WASM_MEMORY_BYTES, totalSource: '32-bit WebAssembly memory', tensorBytes: WASM_MEMORY_BYTES, tensorSource: '32-bit WebAssembly memory' };
    case 'pytorch':
      // The worker allocates in its own process, on the CPU or CUDA; an allocation it cannot make fails its cells.
      return { backend, ...freeMemory, tensorBytes: null, tensorSource: '' };
    case 'tensorflow':
    case 'tensorflow-gpu':
      // libtensorflow allocates host memory for every tensor it is handed; a GPU's own size is not exposed to tfjs-node.
      return { backend, ...freeMemory, tensorBytes: null, tensorSource: '' };
    case 'webgpu': {
      const limits = sources.gpuLimits === undefined ? webgpuLimits() : sources.gpuLimits;
      const software = sources.softwareGpu ?? webgpuAdapterSummary()?.isFallbackAdapter ?? false;
      // WebGPU does not tell a GPU's memory size; a GPU has rarely more than the machine it sits in.
      const total = software
        ? freeMemory
        : { totalBytes: sources.totalMemory ?? totalmem(), totalSource: "the machine's memory (WebGPU does not tell a GPU's; it rarely has more)" };
      const tensor = limits
        ? limits.maxBufferSize <= limits.maxStorageBufferBindingSize
          ? { tensorBytes: limits.maxBufferSize, tensorSource: "the device's maxBufferSize" }
          : { tensorBytes: limits.maxStorageBufferBindingSize, tensorSource: "the device's maxStorageBufferBindingSize" }
        : { tensorBytes: null, tensorSource: '' };
      return { backend, ...total, ...tensor };
    }
  }
}
