/**
 * A scenario file is code, and code can keep a run from ever starting: an endless loop or a long timer at its top
 * level, a top-level `await` that never settles (Node then ends the process with exit 13, silently), a
 * `process.exit()` (exit 0, nothing measured: CI would show green). Before the files are imported into the
 * command's process (load.ts, under stray-errors.ts's watch), they are imported once in a child process with a
 * time limit, purely as this check; a file that does any of these is a ScenarioError naming it. What a file
 * throws is left to the real import, which says it better.
 */
import { spawn } from 'node:child_process';
import { ScenarioError } from './load.js';

/** How long one file may take to load in the check, by default. */
export const LOAD_TIMEOUT_MS = 30_000;

/**
 * The check, as an ES module for `node --import tsx -e`: argv[1] is the JSON list of absolute paths. It reports on
 * fd 3, one JSON line each: `{ loading }`, `{ loaded }`, `{ exit: code }` where the file called process.exit.
 */
const CHECK_SCRIPT = String.raw`
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const files = JSON.parse(process.argv[1]);
const report = (message) => writeSync(3, JSON.stringify(message) + '\n');
const exit = process.exit.bind(process);
process.exit = (code) => { report({ exit: code ?? process.exitCode ?? 0 }); exit(0); };
// What a file throws, now or from a timer, is the real import's to report.
process.on('uncaughtException', () => {});
process.on('unhandledRejection', () => {});
for (const file of files) {
  report({ loading: file });
  try { await import(pathToFileURL(file).href); } catch {}
  await new Promise((done) => setTimeout(done, 1));
  report({ loaded: file });
}
exit(0);
`;

export interface LoadCheckOptions {
  timeoutMs?: number;
  /** The loader the child imports with (tsx, for TypeScript). */
  loader?: string;
}

/**
 * Imports every file (`files`: as the user named each, and its absolute path) in a child process; throws a
 * ScenarioError naming the first that hangs, exits, or keeps an await that never settles.
 */
export async function checkScenarioFilesLoad(files: readonly { file: string; path: string }[], { timeoutMs = LOAD_TIMEOUT_MS, loader = import.meta.resolve('tsx') }: LoadCheckOptions = {}): Promise<void> {
  if (files.length === 0) return;
  const child = spawn(process.execPath, ['--import', loader, '--input-type=module', '-e', CHECK_SCRIPT, JSON.stringify(files.map(({ path }) => path))], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const named = (path: string) => files.find((entry) => entry.path === path)?.file ?? path;
  let loading: string | null = null;
  let exited: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const restartClock = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
  };
  restartClock();
  let partial = '';
  child.stdio[3]!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const message = JSON.parse(line) as { loading?: string; loaded?: string; exit?: number };
      if (message.loading !== undefined) {
        loading = message.loading;
        restartClock();
      } else if (message.loaded !== undefined) loading = null;
      else if (message.exit !== undefined) exited = message.exit;
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('close', (code, signal) => done([code, signal])));
  clearTimeout(timer);
  if (loading === null) {
    if (code === 0) return;
    throw new Error(`the scenario files could not be checked: node exited with ${signal ?? `code ${code}`}`);
  }
  const file = named(loading);
  if (timedOut) throw new ScenarioError(file, `did not finish loading within ${timeoutMs / 1000} s (an endless loop, or a timer or await at its top level that keeps it waiting?); nothing was run`);
  if (exited !== null) throw new ScenarioError(file, `called process.exit(${exited}) while it loaded: a scenario file only exports its scenario; nothing was run`);
  if (code === 13) throw new ScenarioError(file, 'has a top-level await that never settles (Node ended it with exit code 13); nothing was run');
  throw new ScenarioError(file, `ended node while it loaded (${signal ?? `exit code ${code}`}); nothing was run`);
}
