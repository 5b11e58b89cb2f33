/**
 * The one way the harness runs a child process (the PyTorch worker, gan_ddp's launcher), as pyperf's popen_killer
 * is its manager's and its tests'. The child gets its own process group, so that stopping it stops what it started;
 * a child never outlives its limits, nor this process:
 * - a time limit and a silence limit (no byte on stdout or stderr) stop it: SIGTERM to its group, SIGKILL after a
 *   grace period;
 * - SIGINT or SIGTERM sent to this process is forwarded to the group (SIGKILL after the grace period), and once every
 *   child has ended the signal takes its course (this process ends by it, unless someone else listens for it);
 * - this process exiting sends the group SIGTERM (nothing can be awaited then).
 * It is always waited for (no zombie), whatever is left in its group after it ended is killed (no orphan), and no
 * listener is left on `process` once no child runs. Its stderr's last lines are kept, control bytes made printable,
 * for the error message that says how it ended ("exited with code 1", "killed by SIGKILL").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** SIGTERM to SIGKILL, by default. */
export const DEFAULT_GRACE_MS = 5_000;
/** The stderr lines kept, by default. */
export const DEFAULT_TAIL_LINES = 20;
/** A kept line's length at most: a child's one huge line does not fill the harness's memory or an error message. */
const MAX_TAIL_LINE = 1_000;

export interface SuperviseOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The child's whole environment (process.env when left out). */
  env?: NodeJS.ProcessEnv;
  /** 'pipe' to write to the child (`stdin`); else it reads nothing. */
  stdin?: 'pipe' | 'ignore';
  /** Stop the child after this long. */
  timeoutMs?: number;
  /** Stop the child after this long without a byte on its stdout or stderr. */
  silenceMs?: number;
  /** From SIGTERM (or a forwarded signal) to SIGKILL. */
  graceMs?: number;
  /** How many of its stderr lines to keep. */
  tailLines?: number;
  onStdoutLine?: (line: string) => void;
  /** Each stderr line; return true where the line is no log (an event read here) and stays out of the tail. */
  onStderrLine?: (line: string) => boolean | void;
}

/** How a child ended. */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** "exited with code 1", "killed by SIGKILL", "could not be run (spawn python9 ENOENT)". */
  how: string;
  /** Why this end stopped it ("it wrote nothing for 2 s", "this process got SIGINT", a caller's reason), or null. */
  stoppedBy: string | null;
  /** Its last stderr lines, printable. */
  stderrTail: string[];
}

/** A running child; `ended` resolves (never rejects) once it has been waited for and its output read. */
export interface Supervised {
  readonly pid: number | undefined;
  /** Its stdin where options.stdin was 'pipe' (a write after it died is ignored: `ended` says what happened). */
  readonly stdin: Writable | null;
  readonly ended: Promise<ChildEnd>;
  /** False once it has exited (or could not be started). */
  readonly running: boolean;
  /** SIGTERM to its group, SIGKILL after the grace period; `reason` becomes `stoppedBy` unless it was stopped already. */
  stop(reason: string): void;
  /** SIGKILL to its group now. */
  kill(reason?: string): void;
  /** Its last stderr lines so far, printable. */
  readonly stderrTail: readonly string[];
  /** Adds a line to the tail (a caller's note, e.g. a stdout line that was no message). */
  remember(line: string): void;
}

/** A stderr line as it can be printed: control bytes (escape sequences, NUL, ...) as \xNN, at most MAX_TAIL_LINE long. */
export function printable(line: string): string {
  const shown = line.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > MAX_TAIL_LINE ? `${shown.slice(0, MAX_TAIL_LINE)}…` : shown;
}

/** How a process ended, in words. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
}

/** `; its last stderr lines:` and the last `count` non-empty lines of a tail, indented; '' for none. */
export function tailText(tail: readonly string[], count = 8): string {
  const lines = tail.filter((line) => line.trim() !== '').slice(-count);
  return lines.length > 0 ? `; its last stderr lines:\n    ${lines.join('\n    ')}` : '';
}

/** Starts `command` in its own process group under the rules above. */
export function supervise(options: SuperviseOptions): Supervised {
  return new Child(options);
}

class Child implements Supervised {
  readonly ended: Promise<ChildEnd>;
  private readonly child: ChildProcess;
  private readonly graceMs: number;
  private readonly tail: string[] = [];
  private stoppedBy: string | null = null;
  private exited = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private silenceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SuperviseOptions) {
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    // detached: setsid(), so the child leads a group of its own (and a terminal's Ctrl-C reaches this process only,
    // which stops it in order).
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    });
    this.child.stdin?.on('error', () => {
      // EPIPE after the child died: `ended` reports it.
    });
    live.add(this);
    installListeners();
    if (options.timeoutMs !== undefined) {
      this.after(options.timeoutMs, () => this.stop(`it ran past its time limit of ${options.timeoutMs! / 1000} s`));
    }
    this.heard();
    this.ended = new Promise((resolve) => {
      let finished = false;
      let tracked = 2;
      const finish = (code: number | null, signal: NodeJS.Signals | null, how: string) => {
        if (finished) return;
        finished = true;
        this.exited = true;
        for (const timer of this.timers) clearTimeout(timer);
        clearTimeout(this.silenceTimer);
        resolve({ code, signal, how, stoppedBy: this.stoppedBy, stderrTail: [...this.tail] });
        live.delete(this);
        uninstallListenersIfIdle();
      };
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      const streamDone = () => {
        tracked -= 1;
        if (tracked === 0 && exit) finish(exit.code, exit.signal, exitDescription(exit.code, exit.signal));
      };
      readLines(this.child.stdout!, (line) => options.onStdoutLine?.(line), () => this.heard(), streamDone);
      readLines(
        this.child.stderr!,
        (line) => {
          if (options.onStderrLine?.(line) !== true) this.remember(line);
        },
        () => this.heard(),
        streamDone,
      );
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        exit = { code, signal };
        // No limit or SIGKILL is due any more: the group's pid may soon be another process's.
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
        clearTimeout(this.silenceTimer);
        // Whatever it started and left in its group goes with it.
        this.signalGroup('SIGKILL');
        if (tracked === 0) finish(code, signal, exitDescription(code, signal));
        else {
          // A process outside its group may hold its pipes open: read what came within the grace period, no longer.
          this.after(this.graceMs, () => {
            this.child.stdout?.destroy();
            this.child.stderr?.destroy();
            finish(code, signal, exitDescription(code, signal));
          });
        }
      });
      // A process that could not be spawned emits 'error' and no 'exit'.
      this.child.once('error', (error) => {
        if (this.child.pid === undefined) finish(null, null, `could not be run (${error.message})`);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdin(): Writable | null {
    return this.child.stdin;
  }

  get stderrTail(): readonly string[] {
    return [...this.tail];
  }

  get running(): boolean {
    return !this.exited && this.child.pid !== undefined;
  }

  stop(reason: string): void {
    this.escalate('SIGTERM', reason);
  }

  kill(reason?: string): void {
    if (!this.running) return;
    if (reason !== undefined) this.stoppedBy ??= reason;
    this.signalGroup('SIGKILL');
  }

  remember(line: string): void {
    this.tail.push(printable(line));
    if (this.tail.length > (this.options.tailLines ?? DEFAULT_TAIL_LINES)) this.tail.shift();
  }

  /** `signal` to its group now, SIGKILL after the grace period; the first reason given stays. */
  escalate(signal: NodeJS.Signals, reason: string): void {
    if (!this.running) return;
    const first = this.stoppedBy === null;
    this.stoppedBy ??= reason;
    this.signalGroup(signal);
    if (first) this.after(this.graceMs, () => this.signalGroup('SIGKILL'));
  }

  /** Sends `signal` to the child's whole process group (it, and whatever it started there). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /** Output came: the silence limit starts again. */
  private heard(): void {
    const { silenceMs } = this.options;
    if (silenceMs === undefined || this.exited) return;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.stop(`it wrote nothing for ${silenceMs / 1000} s`), silenceMs);
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}

/** Calls `onLine` for each line of `stream` (the last one even without its newline), `onData` for each chunk. */
function readLines(stream: Readable, onLine: (line: string) => void, onData: () => void, onClose: () => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    onData();
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  });
  stream.once('close', () => {
    if (partial !== '') onLine(partial);
    partial = '';
    onClose();
  });
}

// Every child still running, for the signal and exit listeners; they are on `process` only while one runs.
const live = new Set<Child>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let listening = false;
/** The signal this process got while children ran: raised again once they have all ended. */
let pendingSignal: NodeJS.Signals | null = null;

function onSignal(signal: NodeJS.Signals): void {
  pendingSignal ??= signal;
  for (const child of live) child.escalate(signal, `this process got ${signal}`);
}

function onExit(): void {
  // Nothing can be awaited here: SIGTERM lets each child stop what it started on its own (gan_ddp's launcher its ranks).
  for (const child of live) child.signalGroup('SIGTERM');
}

function installListeners(): void {
  if (listening) return;
  listening = true;
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** Who waits for every child to have ended (childrenEnded). */
const waiters: Array<() => void> = [];

/**
 * Resolves once no supervised child runs (at once where none does): an interrupted command waits for its children
 * to stop (SIGTERM, then SIGKILL after their grace period) before it exits, so that none outlives it.
 */
export function childrenEnded(): Promise<void> {
  if (live.size === 0) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

function uninstallListenersIfIdle(): void {
  if (live.size === 0) for (const resolve of waiters.splice(0)) resolve();
  if (!listening || live.size > 0) return;
  listening = false;
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
  const signal = pendingSignal;
  pendingSignal = null;
  // With our listener gone, the signal does what it would have done (end this process) unless someone else handles it.
  if (signal !== null && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
