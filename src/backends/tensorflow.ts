/**
 * TensorFlow.js on libtensorflow: `@tensorflow/tfjs-node` (CPU) and `@tensorflow/tfjs-node-gpu` (CUDA). Neither is
 * a dependency (their install scripts download libtensorflow): they are optional peer dependencies, loaded only
 * inside start() through a specifier held in a variable, so that type checking and the other backends work
 * without them. Both register the same tfjs backend name, 'tensorflow': a process can load only one of them.
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { tf } from '../tf.js';
import {
  BackendUnavailableError,
  type BackendMemory,
  type BackendProvider,
  type ConcreteBackendId,
  type DeviceInfo,
} from './backend.js';

/** The name both packages register their backend under. */
const TFJS_BACKEND_NAME = 'tensorflow';

/** The fields of tfjs-node's NodeJSKernelBackend read here (absent from tfjs-core's KernelBackend type). */
interface NodeKernelBackendFields {
  /** True when the loaded package is @tensorflow/tfjs-node-gpu. */
  isGPUPackage?: boolean;
  /** True when libtensorflow found a CUDA device. */
  isUsingGpuDevice?: boolean;
}

interface TensorflowPackage {
  id: Extract<ConcreteBackendId, 'tensorflow' | 'tensorflow-gpu'>;
  title: string;
  packageName: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** What to do to get it, for error messages. */
  installHint: string;
  expectsGpu: boolean;
}

const TFJS_VERSION = '4.22.0';

const CPU_PACKAGE: TensorflowPackage = {
  id: 'tensorflow',
  title: 'TensorFlow.js on libtensorflow (CPU)',
  packageName: '@tensorflow/tfjs-node',
  installHint: `npm install @tensorflow/tfjs-node@${TFJS_VERSION} (its install script downloads libtensorflow)`,
  expectsGpu: false,
};

const GPU_PACKAGE: TensorflowPackage = {
  id: 'tensorflow-gpu',
  title: 'TensorFlow.js on libtensorflow (CUDA)',
  packageName: '@tensorflow/tfjs-node-gpu',
  installHint:
    `on Linux x64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1: npm install @tensorflow/tfjs-node-gpu@${TFJS_VERSION} ` +
    '(its install script downloads libtensorflow with GPU support)',
  expectsGpu: true,
};

/** Whether Node can resolve the package from here (checked first: loaders word a missing package differently). */
function isResolvable(packageName: string): boolean {
  try {
    createRequire(import.meta.url).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/** Loads the package by a specifier typed as plain string, so `tsc` needs neither the package nor its types. */
async function importOptionalPackage(pkg: TensorflowPackage): Promise<void> {
  if (!isResolvable(pkg.packageName)) {
    throw new BackendUnavailableError(pkg.id, `${pkg.packageName} is not installed; ${pkg.installHint}`);
  }
  const specifier: string = pkg.packageName;
  try {
    await import(specifier);
  } catch (error) {
    throw new BackendUnavailableError(
      pkg.id,
      `${pkg.packageName} is installed but failed to load (${String(error)}); reinstall it (${pkg.installHint}) ` +
        `or rebuild its addon: npm rebuild ${pkg.packageName} --build-addon-from-source`,
      { cause: error },
    );
  }
}

function describeCpu(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cores.length} cores`;
}

function makeTensorflowProvider(pkg: TensorflowPackage): BackendProvider {
  return {
    id: pkg.id,
    title: pkg.title,

    async start(): Promise<DeviceInfo> {
      await importOptionalPackage(pkg);
      if (tf.findBackendFactory(TFJS_BACKEND_NAME) === null) {
        throw new BackendUnavailableError(
          pkg.id,
          `${pkg.packageName} loaded but registered no '${TFJS_BACKEND_NAME}' backend with this tfjs instance ` +
            `(is it resolving a different @tensorflow/tfjs than ${TFJS_VERSION}? run 'npm ls @tensorflow/tfjs-core')`,
        );
      }
      const previousBackend = tf.getBackend();
      if (!(await tf.setBackend(TFJS_BACKEND_NAME))) {
        throw new BackendUnavailableError(
          pkg.id,
          `tf.setBackend('${TFJS_BACKEND_NAME}') failed (see the warning above); ${pkg.installHint}`,
        );
      }
      const fields = tf.backend() as unknown as NodeKernelBackendFields;
      if (pkg.expectsGpu) {
        const problem =
          fields.isGPUPackage === false
            ? `the '${TFJS_BACKEND_NAME}' backend in this process comes from @tensorflow/tfjs-node (CPU), loaded first; ` +
              'start only one of tensorflow / tensorflow-gpu per process'
            : fields.isUsingGpuDevice === false
              ? 'libtensorflow found no usable CUDA GPU (it would silently run on the CPU); check the NVIDIA driver, ' +
                'CUDA 11.2 and cuDNN 8.1 (LD_LIBRARY_PATH)'
              : undefined;
        if (problem !== undefined) {
          if (previousBackend) await tf.setBackend(previousBackend);
          throw new BackendUnavailableError(pkg.id, problem);
        }
        return { description: 'tensorflow-gpu (libtensorflow with CUDA)', isFallback: false, isGpu: true };
      }
      return { description: `tensorflow (libtensorflow on CPU: ${describeCpu()})`, isFallback: false, isGpu: false };
    },

    async sync(): Promise<void> {
      // No-op: tfjs-node executes every kernel synchronously inside the JS call (TFE_Execute in synchronous
      // mode), so by the time a tf.* call returns its work is done and nothing is queued on the JS side.
      // Caveat for tensorflow-gpu: libtensorflow may still have CUDA kernels in flight on its stream when the
      // call returns; any read-back (data()/dataSync()) waits for them, and tfjs-node exposes no other wait.
    },

    memory(): BackendMemory {
      // tfjs-node reports no device byte count, only `unreliable: true` (tensors live inside libtensorflow).
      const backend = tf.findBackend(TFJS_BACKEND_NAME);
      if (backend === null) return { isEstimate: true };
      const memory = backend.memory() as { unreliable?: boolean; numBytesInGPU?: number };
      return { deviceBytes: memory.numBytesInGPU, isEstimate: memory.unreliable !== false };
    },
  };
}

/** TensorFlow.js on libtensorflow's CPU kernels (`@tensorflow/tfjs-node`, optional peer dependency). */
export const tensorflowBackend: BackendProvider = makeTensorflowProvider(CPU_PACKAGE);

/** TensorFlow.js on libtensorflow with CUDA (`@tensorflow/tfjs-node-gpu`, optional peer dependency). */
export const tensorflowGpuBackend: BackendProvider = makeTensorflowProvider(GPU_PACKAGE);
