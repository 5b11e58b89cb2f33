/**
 * How every command line ends: one table of exit codes (printed by each command's --help and copied in the
 * README), the error type for bad input, and the wrapper that turns a crash of the harness itself into its own
 * exit code, so that CI can tell "a cell failed" (1) from "the tool broke" (3).
 */
import { pathToFileURL } from 'node:url';
import { OutputWriteError } from './write-atomic.js';

/** The exit codes, by meaning. */
export const EXIT = { ok: 0, failed: 1, usage: 2, crash: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code means for every command; code 1's meaning is each command's own (see CommandSpec.failure). */
export const EXIT_CODE_MEANINGS: Readonly<Record<Exclude<ExitCode, 1>, string>> = {
  0: 'success',
  2:
    'bad input (a flag, a path, a file), or an output that cannot be written (a full disk, no permission):\n' +
    'one line names it; found before the run, nothing was measured or written; found while writing\n' +
    'results, every file written before stays as it was',
  3: 'the harness itself crashed (a bug: the stack trace follows); what was written before the crash stays',
};

/**
 * Whether a cell's or a training's status makes the command exit 1: every status but `ok`, `raised` (the
 * post's printed code raising PyTorch's error, as it must) and `refused` (a regularizer with no form of the
 * strategy): `errored`, `diverged`, and any a later version adds.
 */
export function isFailedStatus(status: string): boolean {
  return status !== 'ok' && status !== 'raised' && status !== 'refused';
}

/** Bad command-line input (a flag, a path, a file): printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * The exit-code lines of a command's --help: `0  success`, then 1 as the command defines it (left out where the
 * command never exits 1), then 2 and 3; a meaning's later lines are indented under its first.
 */
export function exitCodeLines(failure: string | null): string[] {
  const meanings: Record<ExitCode, string | null> = { ...EXIT_CODE_MEANINGS, 1: failure };
  return ([0, 1, 2, 3] as const)
    .filter((code) => meanings[code] !== null)
    .flatMap((code) => meanings[code]!.split('\n').map((line, index) => `${index === 0 ? `${code}  ` : '   '}${line}`));
}

export { messageOf } from '../errors.js';

/** Prints a crash of the harness (with its stack, which a bug report needs) and returns exit code 3. */
export function reportCrash(command: string, error: unknown): ExitCode {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${command}: internal error (exit code ${EXIT.crash}): ${detail}\n`);
  return EXIT.crash;
}

/**
 * Who decides whether an error thrown outside main's promise is a scenario file's rather than a crash
 * (src/cli/stray-errors.ts); null: every such error is a crash.
 */
let strayErrorClaim: ((error: unknown) => boolean) | null = null;

/** Sets (or, with null, clears) the function that may claim a stray error before it counts as a crash. */
export function setStrayErrorClaim(claim: ((error: unknown) => boolean) | null): void {
  strayErrorClaim = claim;
}

/**
 * Runs `main` and returns its exit code: main's own; 2 for a UsageError that escaped it or a results file that
 * could not be written (a full disk), printed as one line; 3 for any other error.
 */
export async function exitCodeOf(command: string, main: (argv: readonly string[]) => Promise<number>, argv: readonly string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof OutputWriteError)) return reportCrash(command, error);
    process.stderr.write(`${command}: error: ${error.message}\n`);
    return EXIT.usage;
  }
}

/**
 * Runs a command as the process's entry point: sets the exit code from `exitCodeOf`, and turns an error thrown
 * outside main's promise (an uncaught exception or rejection) into exit code 3 too, at once, unless the stray
 * error claim takes it as a scenario file's (src/cli/stray-errors.ts).
 */
export async function runCommand(command: string, main: (argv: readonly string[]) => Promise<number>, argv = process.argv.slice(2)): Promise<void> {
  const crash = (error: unknown) => {
    if (strayErrorClaim?.(error)) return;
    process.exitCode = reportCrash(command, error);
    // Whatever was running is in an unknown state: stop here rather than carry on measuring.
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // Output piped into a command that closed early (head, say): what it did not read is not wanted; the command goes on.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') crash(error);
    });
  }
  process.exitCode = await exitCodeOf(command, main, argv);
  // Everything is written: a timer or handle left open (a scenario file's setTimeout of a day) must not keep the
  // command from ending. Unreferenced, so that a command that ends on its own ends at once.
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}

/** How long a command's process may stay after its main has returned, for its children to be reaped. */
const EXIT_GRACE_MS = 2_000;

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(process.argv[1]!).href;
}
