/**
 * The `pytorch` backend: the scenario's GAN and strategies in PyTorch, through a Python worker (gan_worker) this
 * backend starts and talks to (protocol.ts). It is no TensorFlow.js backend: the runner sends it the whole scenario
 * and gets back the same measurements a tfjs backend yields (docs/pytorch.md). `auto` never picks it.
 */
import { BackendUnavailableError, type BackendProvider, type DeviceInfo } from '../backend.js';
import { PytorchWorker, WorkerGoneError, type WorkerOptions } from './client.js';
import { packageRoot, type PythonPackage } from './packages.js';
import { PROTOCOL_VERSION, type HelloResult } from './protocol.js';
import { findPython, type FoundPython } from './python.js';
import { messageOf } from '../../errors.js';

export { PytorchWorker, WorkerGoneError, WorkerRequestError } from './client.js';
export { PYTORCH_STRATEGY_IDS, type PytorchStrategyId } from './protocol.js';
export { findPython, INSTALL_HINT, PYTHON_VARIABLE } from './python.js';

/** The variable that sets PyTorch's intra-op threads in the worker (torch.set_num_threads); recorded in `device`. */
export const THREADS_VARIABLE = 'GAN_BENCH_TORCH_THREADS';

/** The worker's Python package, run as `python -m gan_worker`. */
export const WORKER_PACKAGE = 'gan_worker' satisfies PythonPackage;

/** The folder that holds the worker's package (packages.ts finds it, beside this module or in the repository). */
export function workerPackageRoot(cwd = process.cwd(), moduleUrl: string | undefined = import.meta.url): string {
  return packageRoot(WORKER_PACKAGE, cwd, moduleUrl);
}

/** A started worker and what it said about itself. */
export interface StartedPytorch {
  worker: PytorchWorker;
  hello: HelloResult;
  python: FoundPython;
  device: DeviceInfo;
}

export interface StartPytorchOptions {
  env?: NodeJS.ProcessEnv;
  /** A worker script to run instead of the gan_worker package (tests' stand-ins). */
  script?: string;
  timeoutMs?: number;
  onLog?: WorkerOptions['onLog'];
}

/**
 * Finds a Python with PyTorch, starts the worker and says hello. Throws BackendUnavailableError('pytorch') with
 * the install hint where there is no such Python or the worker does not start.
 */
export async function startPytorchWorker(options: StartPytorchOptions = {}): Promise<StartedPytorch> {
  const env = options.env ?? process.env;
  const python = await findPython(env);
  let worker: PytorchWorker;
  try {
    worker = await PytorchWorker.start({
      python: python.command,
      ...(options.script === undefined ? { module: WORKER_PACKAGE, root: workerPackageRoot() } : { script: options.script }),
      env,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
  } catch (error) {
    const message = messageOf(error);
    throw new BackendUnavailableError('pytorch', `${python.command} (torch ${python.torch}): ${message}`, { cause: error });
  }
  try {
    const hello = await worker.request('hello', {});
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new Error(`the worker speaks protocol ${hello.protocol}, this backend ${PROTOCOL_VERSION}`);
    }
    return { worker, hello, python, device: deviceInfo(hello) };
  } catch (error) {
    worker.kill();
    if (error instanceof WorkerGoneError || error instanceof Error) {
      throw new BackendUnavailableError('pytorch', `${python.command}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** The `device` column: PyTorch's version, the device, threads (CPU) or TF32 (CUDA), and the BLAS. */
export function deviceInfo(hello: HelloResult): DeviceInfo {
  return { description: hello.description, isFallback: false, isGpu: hello.isGpu };
}

/**
 * The registry's view of the backend. start() checks that a worker starts and says what it runs on, then stops
 * it: the runner starts its own worker per scenario (startPytorchWorker). sync() has nothing to wait for here:
 * the worker synchronises CUDA inside every timed step.
 */
export const pytorchBackend: BackendProvider = {
  id: 'pytorch',
  title: 'PyTorch (Python worker; CUDA when PyTorch sees a GPU, else the CPU)',
  async start() {
    const { worker, device } = await startPytorchWorker();
    await worker.close();
    return device;
  },
  async sync() {},
  memory() {
    return { isEstimate: false };
  },
};
