/** Spawns one of the real command lines (as `npm run` does, through tsx) and collects what it printed and its exit code. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
/** node with tsx's loader: one process (the tsx wrapper would start a second), so that a kill reaches the command. */
const node = (command: Command, args: readonly string[]) => [process.execPath, ['--import', 'tsx', `src/cli/${command}.ts`, ...args]] as const;

export type Command = 'bench' | 'compare' | 'report';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm's INIT_CWD set to the project root, as `npm run` from there sets it (the tests' own may point anywhere). */
const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, INIT_CWD: root, ...extra });

/** Runs `npm run <command> -- ...args` from the project root, without npm. */
export function cli(command: Command, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((done) => {
    const [file, argv] = node(command, args);
    execFile(file, argv, { cwd: root, env: env(extraEnv), timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Starts a command and returns the child, for tests that stop it half-way. */
export function startCli(command: Command, args: readonly string[]): ChildProcess {
  const [file, argv] = node(command, args);
  return spawn(file, argv, { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}
