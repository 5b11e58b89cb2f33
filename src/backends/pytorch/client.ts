/**
 * The TypeScript end of the PyTorch worker: starts `python -m gan_worker`, sends requests, matches answers by id.
 * A worker that dies or falls silent fails the requests in flight with a message that says so (never a hang). The
 * process itself is run by the supervisor (supervisor.ts): its own group, stopped when Node exits or is interrupted.
 */
import { entryArguments, entryEnvironment, type PythonEntry } from './packages.js';
import type { Operation, Operations, WorkerFailure, WorkerLine } from './protocol.js';
import { supervise, tailText, type Supervised } from './supervisor.js';

/** Seconds of silence after which a request is given up and the worker stopped (overridable, see below). */
export const DEFAULT_TIMEOUT_S = 120;
/** The variable that overrides DEFAULT_TIMEOUT_S. */
export const TIMEOUT_VARIABLE = 'GAN_BENCH_TORCH_TIMEOUT_S';

/** The worker answered a request with a failure: the Python exception's type and message. */
export class WorkerRequestError extends Error {
  constructor(
    readonly op: Operation,
    readonly failure: WorkerFailure,
  ) {
    super(`${failure.type}: ${failure.message}`);
    this.name = 'WorkerRequestError';
  }
}

/** The worker is gone (it crashed, was stopped after a timeout, or never started): no request can be answered. */
export class WorkerGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerGoneError';
  }
}

/** What the interpreter runs: the gan_worker package, or one script (the tests' stand-in workers). */
export type WorkerEntry = PythonEntry;

export type WorkerOptions = WorkerEntry & {
  python: string;
  /** Silence (no answer, no progress line) after which a request fails and the worker is stopped. */
  timeoutMs?: number;
  /** From SIGTERM to SIGKILL when the worker is stopped (the supervisor's default when left out). */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Each line the worker writes to stderr (its logs); kept in a short tail for error messages either way. */
  onLog?: (line: string) => void;
};

export interface RequestOptions {
  onProgress?: (progress: Record<string, unknown>) => void;
  /** This request's silence limit, instead of the worker's. */
  timeoutMs?: number;
}

interface Pending {
  op: Operation;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: Record<string, unknown>) => void;
  timeoutMs: number;
  timer: NodeJS.Timeout;
}

/** Node's longest timer: a longer one fires at once (with a TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The silence limit: GAN_BENCH_TORCH_TIMEOUT_S when set, else DEFAULT_TIMEOUT_S. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[TIMEOUT_VARIABLE];
  if (value === undefined || value.trim() === '') return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(value);
  if (!(seconds > 0) || seconds * 1000 > MAX_TIMER_MS) {
    throw new Error(`${TIMEOUT_VARIABLE} must be a number of seconds above 0 and at most ${Math.floor(MAX_TIMER_MS / 1000)} (Node's longest timer, about 24 days), not '${value}'`);
  }
  return seconds * 1000;
}

export class PytorchWorker {
  private readonly child: Supervised;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: string | null = null;
  private readonly ready: Promise<void>;
  private readonly exit: Promise<void>;

  private constructor(private readonly options: WorkerOptions & { timeoutMs: number }) {
    const env = { ...process.env, ...options.env };
    const { args, pythonPath } = entryArguments(options, env);
    let markReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Its silence limit is per request (an idle worker is silent), so the supervisor's is not used.
    this.child = supervise({
      command: options.python,
      args,
      env: entryEnvironment(pythonPath, env),
      stdin: 'pipe',
      ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
      onStderrLine: (line) => options.onLog?.(line),
      onStdoutLine: (line) =>
        this.receive(line, () => {
          clearTimeout(readyTimer);
          markReady();
        }),
    });
    const readyTimer = setTimeout(() => this.stop(`gave no ready line within ${options.timeoutMs / 1000} s of starting`), options.timeoutMs);
    this.exit = this.child.ended.then((end) => {
      clearTimeout(readyTimer);
      this.fail(this.gone ?? end.how);
      failReady(new WorkerGoneError(this.describeGone()));
    });
  }

  /** Starts a worker and waits for its ready line (PyTorch imported). */
  static async start(options: WorkerOptions): Promise<PytorchWorker> {
    const worker = new PytorchWorker({ ...options, timeoutMs: options.timeoutMs ?? timeoutFromEnv(options.env) });
    try {
      await worker.ready;
    } catch (error) {
      worker.kill();
      throw error;
    }
    return worker;
  }

  /** The worker's process id (tests check it is gone). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the worker has exited or been stopped. */
  get alive(): boolean {
    return this.gone === null && this.child.running;
  }

  /** Sends one request and resolves with its answer; rejects with WorkerRequestError or WorkerGoneError. */
  request<K extends Operation>(op: K, params: Operations[K]['params'], options: RequestOptions = {}): Promise<Operations[K]['result']> {
    if (!this.alive) return Promise.reject(new WorkerGoneError(this.describeGone(op)));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        op,
        resolve: resolve as (result: unknown) => void,
        reject,
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
        timer: undefined as unknown as NodeJS.Timeout,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      };
      this.pending.set(id, pending);
      this.arm(pending);
      this.child.stdin!.write(`${JSON.stringify({ id, op, params })}\n`);
    });
  }

  /** Asks the worker to shut down and waits for it to exit; stops it (SIGTERM, then SIGKILL) if it does not within `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    if (this.alive) {
      const shutdown = this.request('shutdown', {}, { timeoutMs: graceMs }).catch(() => undefined);
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.stop(`did not shut down within ${graceMs / 1000} s of being asked`), graceMs);
      await Promise.race([shutdown.then(() => this.exit), this.exit]);
      clearTimeout(timer);
    }
    await this.exit;
  }

  /** Kills the worker at once (SIGKILL); requests in flight fail. */
  kill(): void {
    this.child.kill();
  }

  /** One line of the worker's stdout: the ready line, an answer, a progress line, or a stray print kept for the tail. */
  private receive(line: string, markReady: () => void): void {
    let message: WorkerLine;
    try {
      message = JSON.parse(line) as WorkerLine;
    } catch {
      this.child.remember(`(stdout) ${line}`);
      return;
    }
    if ('ready' in message) {
      markReady();
      return;
    }
    if (message.id === null && 'ok' in message && !message.ok) {
      // The worker could not start (e.g. `import torch` failed): it exits next.
      this.gone = `failed to start: ${message.error.type}: ${message.error.message}`;
      return;
    }
    const pending = message.id === null ? undefined : this.pending.get(message.id);
    if (!pending) return;
    if ('progress' in message) {
      this.arm(pending);
      pending.onProgress?.(message.progress);
      return;
    }
    clearTimeout(pending.timer);
    this.pending.delete(message.id!);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new WorkerRequestError(pending.op, message.error));
  }

  /** (Re)starts the silence timer of a request. */
  private arm(pending: Pending): void {
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      const seconds = pending.timeoutMs / 1000;
      this.stop(`gave no answer to '${pending.op}' for ${seconds} s (${TIMEOUT_VARIABLE} sets the limit); stopped it`);
    }, pending.timeoutMs);
  }

  /** Marks the worker gone for `reason` and stops it (SIGTERM, then SIGKILL). */
  private stop(reason: string): void {
    if (this.gone === null) this.gone = reason;
    this.fail(reason);
    this.child.stop(reason);
  }

  /** Rejects every request in flight. */
  private fail(reason: string): void {
    if (this.gone === null) this.gone = reason;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new WorkerGoneError(this.describeGone(pending.op)));
    }
  }

  private describeGone(op?: Operation): string {
    const during = op ? ` (request '${op}')` : '';
    return `the PyTorch worker ${this.gone ?? 'is gone'}${during}${tailText(this.child.stderrTail, 6)}`;
  }
}
