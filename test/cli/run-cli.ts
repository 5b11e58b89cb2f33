/** Spawns one of the real command lines (as `npm run` does, through tsx) and collects what it printed and its exit code. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

export type Command = 'bench' | 'compare' | 'report';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm's INIT_CWD set to the project root, as `npm run` from there sets it (the tests' own may point anywhere). */
const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, INIT_CWD: root, ...extra });

/** Runs `npm run <command> -- ...args` from the project root, without npm. */
export function cli(command: Command, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(tsx, [`src/cli/${command}.ts`, ...args], { cwd: root, env: env(extraEnv), timeout: 120_000 }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Starts a command and returns the child, for tests that stop it half-way. */
export function startCli(command: Command, args: readonly string[]): ChildProcess {
  return spawn(tsx, [`src/cli/${command}.ts`, ...args], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}
