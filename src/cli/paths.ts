/**
 * Every path a command reads or writes, checked before anything is measured: outputs are created and probed
 * with a test write, inputs found. A bad path is a UsageError naming the flag and the path (exit 2), never a
 * run that measures for minutes and then fails to save.
 *
 * The output probe runs in a child process with a time limit, because some file systems never answer: on
 * Node 20, `fs.promises.mkdir('/proc/x', { recursive: true })` never settles (it retries forever on a busy
 * thread), and a hung network mount would do the same. The child creates folders one level at a time (no
 * recursive mkdir), and is killed if it does not answer in time.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from './exit.js';

/** Something a command will write: a folder (`--out`) or a file (`--summary`). */
export interface OutputTarget {
  /** The flag that named it, for the error message: `--out`. */
  flag: string;
  path: string;
  kind: 'folder' | 'file';
}

export interface ProbeOptions {
  /** How long the file system may take to answer, in all. */
  timeoutMs?: number;
}

/** How long the output probe may take before the file system is declared hung. */
export const PROBE_TIMEOUT_MS = 15_000;

/**
 * The probe, as a CommonJS script for `node -e`: argv[1] is the JSON list of targets. It prints one JSON line:
 * `{ "ok": true }` or `{ "ok": false, "index": i, "message": "..." }`, and on failure removes the folders it made.
 */
const PROBE_SCRIPT = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const targets = JSON.parse(process.argv[1]);
const created = [];
function isFolder(p) {
  try { return fs.statSync(p).isDirectory() ? 'folder' : 'file'; }
  catch (error) { if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null; throw error; }
}
// mkdir -p one level at a time: each mkdir either succeeds or fails, none retries.
function makeFolders(folder, target) {
  const missing = [];
  for (let current = path.resolve(folder); ; ) {
    const kind = isFolder(current);
    if (kind === 'folder') break;
    if (kind === 'file') throw new Error((current === path.resolve(target) ? 'is' : current + ' is') + ' a file, not a folder');
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of missing) { fs.mkdirSync(folder); created.push(folder); }
}
function probe(target) {
  if (target.kind === 'folder') {
    makeFolders(target.path, target.path);
    const file = path.join(target.path, '.gan-update-bench-probe-' + process.pid);
    fs.writeFileSync(file, '');
    fs.unlinkSync(file);
  } else {
    const kind = isFolder(target.path);
    if (kind === 'folder') throw new Error('is a folder, not a file');
    makeFolders(path.dirname(path.resolve(target.path)), target.path);
    fs.closeSync(fs.openSync(target.path, 'a'));
    if (kind === null) fs.unlinkSync(target.path);
  }
}
let answer = { ok: true };
for (const [index, target] of targets.entries()) {
  try { probe(target); }
  catch (error) { answer = { ok: false, index, message: error.message }; break; }
}
if (!answer.ok) for (const folder of created.reverse()) { try { fs.rmdirSync(folder); } catch {} }
process.stdout.write(JSON.stringify(answer));
`;

/**
 * Creates every output folder (and every output file's folder) and checks that each can be written, without
 * leaving a file behind. Throws a UsageError naming the flag and path at fault; then nothing was created.
 */
export async function prepareOutputs(targets: readonly OutputTarget[], { timeoutMs = PROBE_TIMEOUT_MS }: ProbeOptions = {}): Promise<void> {
  for (const target of targets) {
    if (target.path.trim() === '') throw new UsageError(`${target.flag}: empty path`);
  }
  if (targets.length === 0) return;
  const answer = await new Promise<string>((done, fail) => {
    execFile(
      process.execPath,
      ['-e', PROBE_SCRIPT, JSON.stringify(targets)],
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true },
      (error, stdout) => {
        if (error && (error.killed || error.signal)) {
          const paths = targets.map((target) => `${target.flag} ${target.path}`).join(', ');
          fail(new UsageError(`${paths}: the file system did not answer within ${timeoutMs / 1000} s (a folder that cannot be written, or a mount that hangs)`));
        } else if (error) {
          fail(error);
        } else {
          done(stdout);
        }
      },
    );
  });
  const result = JSON.parse(answer) as { ok: true } | { ok: false; index: number; message: string };
  if (!result.ok) {
    const target = targets[result.index]!;
    throw new UsageError(`${target.flag} ${target.path}: cannot be written: ${result.message}`);
  }
}

export interface InputLocation {
  /** Where npm was called from (npm sets INIT_CWD); undefined outside npm. */
  initCwd?: string | undefined;
  /** The working directory (the project root under `npm run`). */
  cwd?: string;
}

/**
 * Finds an input the user named: an absolute path as is; a relative one first where the user stood when calling
 * `npm run` (INIT_CWD), then in the working directory (the project root under npm, where package.json's own
 * scripts name their files). Throws a UsageError saying where it looked.
 */
export function resolveInput(path: string, what: string, { initCwd = process.env['INIT_CWD'], cwd = process.cwd() }: InputLocation = {}): string {
  if (path.trim() === '') throw new UsageError(`${what}: empty path`);
  if (isAbsolute(path)) {
    if (!existsSync(path)) throw new UsageError(`${what} ${path}: no such file or folder`);
    return path;
  }
  const candidates = [...new Set([initCwd, cwd].filter((dir): dir is string => Boolean(dir)).map((dir) => resolve(dir, path)))];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new UsageError(`${what} ${path}: no such file or folder (looked for ${candidates.join(' and ')})`);
  return found;
}
