/**
 * Interrupts that never cut a write in half. A command installs the handler (`onInterrupt`); every write of
 * results runs `uninterrupted` (src/cli/write-atomic.ts does). SIGINT or SIGTERM outside a write ends the command at
 * once, with one line saying so and what was kept; during a write it is held until the write's files are all
 * renamed into place (a matter of milliseconds), so a results folder is always one whole set and no temporary
 * file is left. A second signal during a write ends it at once (a write that hangs on a dead mount): the next
 * writer of that folder removes what it left (src/cli/folder-lock.ts).
 */
import { constants } from 'node:os';
import { childrenEnded, DEFAULT_GRACE_MS } from '../backends/pytorch/supervisor.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let writing = 0;
let held: NodeJS.Signals | null = null;
let handler: ((signal: NodeJS.Signals) => void) | null = null;

/** Runs `write` with interrupts held until it is done (and then acted on). */
export async function uninterrupted<T>(write: () => Promise<T>): Promise<T> {
  writing++;
  try {
    return await write();
  } finally {
    writing--;
    if (writing === 0 && held !== null && handler !== null) handler(held);
  }
}

/** The exit code a signal gives, as a shell reports it: 128 + its number (130 for SIGINT). */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/**
 * Ends the command on SIGINT or SIGTERM, after any write under way, printing `<command>: interrupted (SIGINT): `
 * and what `kept()` says was kept. Returns the function that uninstalls it.
 */
export function onInterrupt(command: string, kept: () => string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): () => void {
  const listener = (signal: NodeJS.Signals) => {
    if (writing > 0) {
      if (held !== null) {
        log(`${command}: ${signal} again: stopping in the middle of writing; the next run into that folder removes what was left`);
        process.exit(signalExitCode(signal));
      }
      held = signal;
      log(`${command}: ${signal}: finishing the write under way, then stopping`);
      return;
    }
    log(`${command}: interrupted (${signal}): ${kept()}`);
    // The children got the signal too (src/backends/pytorch/supervisor.ts): none may outlive this process. Their
    // supervisor kills what is left after its grace period; this waits for that, with a margin, and no longer.
    const margin = setTimeout(() => process.exit(signalExitCode(signal)), DEFAULT_GRACE_MS + 2_000);
    void childrenEnded().then(() => {
      clearTimeout(margin);
      process.exit(signalExitCode(signal));
    });
  };
  handler = listener;
  for (const signal of SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of SIGNALS) process.off(signal, listener);
    if (handler === listener) handler = null;
  };
}
