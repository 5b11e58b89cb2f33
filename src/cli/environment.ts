/**
 * The environment variables a run reads, checked before anything runs where a unit of the plan uses them: a
 * malformed one is bad input (exit 2) naming the variable and its value, not a cell that fails a second into the
 * run, nor a timer that overflows. The variables (docs/pytorch.md): GAN_BENCH_TORCH_TIMEOUT_S, GAN_BENCH_TORCH_THREADS.
 */
import { timeoutFromEnv } from '../backends/pytorch/client.js';
import { THREADS_VARIABLE } from '../backends/pytorch/index.js';
import { messageOf } from '../errors.js';
import { UsageError } from './exit.js';

/** Throws a UsageError naming the first of the pytorch backend's variables whose value it would refuse. */
export function checkPytorchEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  try {
    timeoutFromEnv(env);
  } catch (error) {
    throw new UsageError(messageOf(error), { cause: error });
  }
  const threads = env[THREADS_VARIABLE]?.trim();
  if (threads !== undefined && threads !== '' && !(/^\d+$/.test(threads) && Number(threads) >= 1 && Number(threads) <= 4096)) {
    throw new UsageError(`${THREADS_VARIABLE} must be a whole number of threads from 1 to 4096, not '${env[THREADS_VARIABLE]}'`);
  }
}
