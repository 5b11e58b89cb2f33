/**
 * The TensorFlow.js WebGPU backend in Node: Dawn (npm package `webgpu`) provides `navigator.gpu`, and
 * `@tensorflow/tfjs-backend-webgpu` runs its WGSL kernels on it. Without a GPU, Dawn runs on Mesa's lavapipe
 * (a Vulkan driver on the CPU, installed by scripts/install-lavapipe.sh), reported as a fallback adapter.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.js';
import { BackendUnavailableError, type BackendMemory, type BackendProvider, type DeviceInfo } from './backend.js';

/** How to get a Vulkan driver that Dawn accepts on a machine without a GPU (Debian 12). */
const LAVAPIPE_HINT = "install Mesa's Vulkan driver: bash scripts/install-lavapipe.sh (as root)";

/**
 * Environment variable with options for Dawn's `create()`, separated by spaces (docs/webgpu.md): e.g.
 * `backend=null` (Dawn's null device: every dispatch is encoded and submitted, nothing is computed, so a step's
 * time is the host's own overhead) or `enable-dawn-features=skip_validation`. Unset: Dawn's defaults.
 */
export const DAWN_OPTIONS_ENV = 'GAN_BENCH_DAWN_OPTIONS';

/** Whether `text` has the shape of a Dawn option, `name=value` (e.g. backend=null); Dawn itself checks the rest. */
export function isDawnOption(text: string): boolean {
  return /^[a-z-]+=\S+$/.test(text);
}

/** The Dawn options GAN_BENCH_DAWN_OPTIONS asks for (empty when unset). */
export function dawnOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const text = env[DAWN_OPTIONS_ENV] ?? '';
  const options = text.split(/\s+/).filter(Boolean);
  for (const option of options) {
    if (!isDawnOption(option)) {
      throw new BackendUnavailableError(
        'webgpu',
        `${DAWN_OPTIONS_ENV}: '${option}' is not a Dawn option (expected name=value, e.g. backend=null or ` +
          `enable-dawn-features=skip_validation)`,
      );
    }
  }
  return options;
}

/** The parts of tfjs-backend-webgpu 4.22's WebGPUBackend that sync() touches (some are private in its typings). */
interface WebGpuBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  /** The encoder collecting dispatches not yet submitted (null when nothing is pending). */
  commandEncoder: GPUCommandEncoder | null;
  /** Ends the open compute pass, if any. */
  endComputePassEncoder(): void;
  /** Finishes the pending encoder, submits it to the queue and releases buffers whose tensors were disposed. */
  submitQueue(): void;
  /** Records one program's dispatch into the open compute pass (every GPU dispatch goes through it). */
  recordAndSubmit(...args: unknown[]): void;
}

/**
 * tfjs WebGPU flags (from tfjs-backend-webgpu 4.22's flags_webgpu.js, plus tfjs-core's DEBUG) that change
 * how many submits, dispatches and CPU round trips a kernel costs: record them next to each measurement.
 */
export const WEBGPU_OVERHEAD_FLAG_NAMES = [
  /** Dispatches batched into one compute pass / queue submit (default 15). */
  'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE',
  /** Run kernels on the CPU backend while all inputs are small and still on the CPU (default true). */
  'WEBGPU_CPU_FORWARD',
  /** Size below which WEBGPU_CPU_FORWARD applies (default 1000; read once when the backend module loads). */
  'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD',
  /** Matmul shader variant (-1: chosen by shape). */
  'WEBGPU_MATMUL_PROGRAM_TYPE',
  /** Matmul workgroup-count threshold for splitting work further (-1: default strategy). */
  'WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL',
  /** Requests the low-power adapter instead of the high-performance one (default false). */
  'WEBGPU_USE_LOW_POWER_GPU',
  /** Compile pipelines without running them (default false). */
  'WEBGPU_ENGINE_COMPILE_ONLY',
  /** tfjs-core debug mode: reads back every kernel's output (huge per-kernel overhead; default false). */
  'DEBUG',
] as const;

/** One of the flags in WEBGPU_OVERHEAD_FLAG_NAMES. */
export type WebGpuOverheadFlagName = (typeof WEBGPU_OVERHEAD_FLAG_NAMES)[number];

/** Current values of the WEBGPU_OVERHEAD_FLAG_NAMES flags; flags not registered yet (backend not loaded) are left out. */
export function webgpuOverheadFlags(): Partial<Record<WebGpuOverheadFlagName, number | boolean | string>> {
  const values: Partial<Record<WebGpuOverheadFlagName, number | boolean | string>> = {};
  for (const name of WEBGPU_OVERHEAD_FLAG_NAMES) {
    try {
      values[name] = tf.env().get(name);
    } catch {
      // Not registered: tfjs-backend-webgpu has not been loaded yet.
    }
  }
  return values;
}

/** The adapter fields recorded for a run; `isFallbackAdapter` is true for lavapipe and SwiftShader. */
export interface WebGpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** Dawn's null device (`backend=null`): nothing runs, results are meaningless, time is host overhead only. */
  isNullDevice: boolean;
  /** The Dawn options the run started with (GAN_BENCH_DAWN_OPTIONS). */
  dawnOptions: string[];
}

let adapterSummary: WebGpuAdapterSummary | undefined;

/** Programs dispatched since the backend started (counted in recordAndSubmit, see countDispatches). */
let dispatchCount = 0;

/**
 * Counts every dispatch tfjs records: wraps the backend instance's recordAndSubmit with a counter (one integer
 * increment against tens of microseconds per dispatch). Done once per backend instance.
 */
function countDispatches(backend: WebGpuBackendInternals): void {
  const marked = backend as WebGpuBackendInternals & { ganBenchCountsDispatches?: true };
  if (marked.ganBenchCountsDispatches) return;
  const record = backend.recordAndSubmit;
  backend.recordAndSubmit = function (this: WebGpuBackendInternals, ...args: unknown[]) {
    dispatchCount++;
    return record.apply(this, args);
  };
  marked.ganBenchCountsDispatches = true;
}

/** The adapter of the last successful webgpuBackend.start(), or undefined before it. */
export function webgpuAdapterSummary(): WebGpuAdapterSummary | undefined {
  return adapterSummary;
}

/** Lavapipe/llvmpipe and SwiftShader run on the CPU even where Dawn does not flag them as fallback. */
function looksLikeSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|\bsoftware\b/.test(text);
}

function summarizeAdapter(info: GPUAdapterInfo, options: string[]): WebGpuAdapterSummary {
  // `isFallbackAdapter` is on GPUAdapterInfo in current WebGPU (and in Dawn 0.6.2); older typings lack it.
  const flaggedFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: flaggedFallback || looksLikeSoftwareAdapter(info),
    isNullDevice: info.device === 'null-backend' || options.includes('backend=null'),
    dawnOptions: options,
  };
}

function describeAdapter(summary: WebGpuAdapterSummary): string {
  const name = summary.description || [summary.vendor, summary.architecture, summary.device].filter(Boolean).join(' ');
  const notes = [
    summary.isFallbackAdapter ? 'software fallback adapter' : '',
    summary.isNullDevice ? 'Dawn null device: nothing computed, times are host overhead only' : '',
    summary.dawnOptions.length > 0 ? `Dawn options: ${summary.dawnOptions.join(' ')}` : '',
  ].filter(Boolean);
  return `webgpu (${[name || 'unnamed adapter', ...notes].join(', ')})`;
}

/**
 * Where the Vulkan loader looks for drivers on Linux (its manifest search path), or the files VK_ICD_FILENAMES /
 * VK_DRIVER_FILES name: the driver manifests there, or none. Without one Dawn finds no adapter, and says so first in a
 * warning of its own naming a path on Dawn's build machine; this lets the harness say it, clearly, alone.
 */
export function vulkanDriverManifests(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = (env['VK_DRIVER_FILES'] ?? env['VK_ICD_FILENAMES'])?.split(':').filter(Boolean);
  if (named) return named.filter((file) => existsSync(file));
  const dataHome = env['XDG_DATA_HOME'] || join(homedir(), '.local/share');
  const dirs = [join(dataHome, 'vulkan/icd.d'), '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir).filter((file) => file.endsWith('.json')).map((file) => join(dir, file));
    } catch {
      return [];
    }
  });
}

/** The Vulkan loader complains on every start when XDG_RUNTIME_DIR is unset: point it at a per-user temp folder. */
function ensureXdgRuntimeDir(): void {
  if (!process.env['XDG_RUNTIME_DIR']) {
    const folder = join(tmpdir(), `gan-update-bench-xdg-${userInfo().uid}`);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    process.env['XDG_RUNTIME_DIR'] = folder;
  }
}

/**
 * Puts Dawn's `navigator.gpu` and the WebGPU interface globals (GPUBufferUsage, GPUMapMode, GPUBuffer, ...) on
 * globalThis, as tfjs-backend-webgpu expects from a browser. Must run before that package is first loaded: it
 * registers the 'webgpu' backend only when `navigator.gpu` exists at load time.
 */
async function installNavigatorGpu(options: string[]): Promise<GPU> {
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (existing) return existing;

  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (error) {
    throw new BackendUnavailableError(
      'webgpu',
      `the npm package 'webgpu' (Dawn for Node) could not be loaded (${String(error)}); ` +
        `run 'npm install webgpu@0.6.2' on ${process.platform}-${process.arch}`,
      { cause: error },
    );
  }
  for (const [name, value] of Object.entries(dawn.globals as Record<string, unknown>)) {
    if (!(name in globalThis)) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
    }
  }
  const gpu = dawn.create(options);
  const holder = globalThis as { navigator?: object };
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, writable: true, configurable: true });
  }
  Object.defineProperty(holder.navigator, 'gpu', { value: gpu, writable: true, configurable: true });
  return gpu;
}

function webgpuInternals(): WebGpuBackendInternals {
  const backend = tf.findBackend('webgpu');
  if (backend === null) {
    throw new BackendUnavailableError('webgpu', 'the webgpu backend has not been started: call webgpuBackend.start() first');
  }
  return backend as unknown as WebGpuBackendInternals;
}

/** TensorFlow.js on WebGPU through Dawn; on machines without a GPU, on Mesa's lavapipe (flagged isFallback). */
export const webgpuBackend: BackendProvider = {
  id: 'webgpu',
  title: 'TensorFlow.js WebGPU (Dawn)',

  async start(): Promise<DeviceInfo> {
    ensureXdgRuntimeDir();
    const options = dawnOptions();
    // Dawn's null device needs no driver; every other adapter on Linux is a Vulkan one.
    if (process.platform === 'linux' && !options.includes('backend=null') && vulkanDriverManifests().length === 0) {
      throw new BackendUnavailableError('webgpu', `no Vulkan driver is installed (no driver manifest in the Vulkan loader's search path); on a machine without a GPU ${LAVAPIPE_HINT}`);
    }
    const gpu = await installNavigatorGpu(options);

    // Same request as tfjs's own backend factory makes (it asks for its own adapter and device afterwards):
    // done here first so that a missing driver gives a clear error instead of a tfjs console warning.
    const lowPower = (() => {
      try {
        return tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
      } catch {
        return false; // flag not registered yet: tfjs's default
      }
    })();
    let adapter: GPUAdapter | null;
    try {
      adapter = await gpu.requestAdapter({ powerPreference: lowPower ? 'low-power' : 'high-performance' });
    } catch (error) {
      // Dawn throws here for a bad `backend=` option ("unrecognised backend 'x'", with the list of backends).
      throw new BackendUnavailableError('webgpu', `Dawn refused the adapter request (${DAWN_OPTIONS_ENV}='${options.join(' ')}'): ${String(error)}`, {
        cause: error,
      });
    }
    if (adapter === null) {
      const optionsNote = options.length > 0 ? ` (with ${DAWN_OPTIONS_ENV}='${options.join(' ')}')` : '';
      throw new BackendUnavailableError(
        'webgpu',
        `Dawn found no WebGPU adapter${optionsNote} (no Vulkan driver that it accepts, or no Vulkan loader libvulkan.so.1); ` +
          `on a machine without a GPU ${LAVAPIPE_HINT}; on an NVIDIA machine install the driver's Vulkan ICD`,
      );
    }

    try {
      await import('@tensorflow/tfjs-backend-webgpu');
    } catch (error) {
      throw new BackendUnavailableError(
        'webgpu',
        `@tensorflow/tfjs-backend-webgpu could not be loaded (${String(error)}); run 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0'`,
        { cause: error },
      );
    }
    if (tf.findBackendFactory('webgpu') === null) {
      throw new BackendUnavailableError(
        'webgpu',
        '@tensorflow/tfjs-backend-webgpu was loaded before navigator.gpu existed, so it did not register itself; ' +
          'load it only through src/backends/webgpu.ts',
      );
    }
    const activated = await tf.setBackend('webgpu');
    if (!activated) {
      throw new BackendUnavailableError(
        'webgpu',
        `tf.setBackend('webgpu') failed (see the warning above: the device request failed); ${LAVAPIPE_HINT}`,
      );
    }
    await tf.ready();

    countDispatches(webgpuInternals());
    // The device tfjs actually runs on reports its adapter; the adapter requested above is the fallback.
    const deviceAdapterInfo = (webgpuInternals().device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    adapterSummary = summarizeAdapter(deviceAdapterInfo ?? adapter.info, options);
    // Decision: a software adapter (lavapipe) runs on the CPU, so it is not a GPU; isFallback marks it. Dawn's
    // null device computes nothing: neither a GPU nor a stand-in for one, so it is marked both ways too.
    const notAGpu = adapterSummary.isFallbackAdapter || adapterSummary.isNullDevice;
    return {
      description: describeAdapter(adapterSummary),
      isFallback: notAGpu,
      isGpu: !notAGpu,
      ...(adapterSummary.isNullDevice ? { computesNothing: true } : {}),
    };
  },

  async sync(): Promise<void> {
    const backend = webgpuInternals();
    // tfjs batches up to WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches in an open compute pass before submitting:
    // close and submit that batch (as tfjs itself does before a read-back), then wait for the queue to drain.
    if (backend.commandEncoder !== null) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    await backend.queue.onSubmittedWorkDone();
  },

  dispatches(): number {
    return dispatchCount;
  },

  memory(): BackendMemory {
    // tfjs's WebGPU bookkeeping (the fields it adds to tf.memory()): numBytesInGPU counts the GPU buffers that
    // tensors and pending uniforms hold, at their exact sizes, leaving out its pool of free buffers
    // (numBytesAllocatedInGPU); it reports unreliable: false. Tensors still on the CPU (small ones under
    // WEBGPU_CPU_FORWARD, or not yet uploaded) are not in it. Read from the webgpu backend itself, because
    // tf.memory() asks whichever backend is active.
    const backend = tf.findBackend('webgpu');
    if (backend === null) return { isEstimate: false };
    const memory = backend.memory() as { numBytesInGPU?: number; unreliable?: boolean };
    return {
      deviceBytes: memory.numBytesInGPU,
      isEstimate: memory.unreliable === true,
    };
  },
};
