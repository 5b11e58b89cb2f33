/**
 * Which Python runs the PyTorch worker: GAN_BENCH_PYTHON first (an explicit choice wins), then the project's venv
 * (`.venv`, which `npm run setup:python` builds), then every `python3` and `python` on PATH, in PATH order: the first
 * that is Python >= 3.9 and can `import torch`. A machine's first `python3` is often a pyenv or venv one without
 * PyTorch while the system's has it, so every candidate is tried.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { BackendUnavailableError } from '../backend.js';

/** The variable that names the Python to use, before the project's venv and PATH are searched. */
export const PYTHON_VARIABLE = 'GAN_BENCH_PYTHON';

/** The project's venv, at the repository root (scripts/setup-python.sh creates it). */
export const PROJECT_VENV = resolve(import.meta.dirname, '..', '..', '..', '.venv');

/** The variable that names another venv to look in instead of the project's; set and empty: none (tests of a machine without one). */
export const VENV_VARIABLE = 'GAN_BENCH_VENV';

/** The venv the search looks in: GAN_BENCH_VENV where it is set (empty: none), else the project's. */
function venvOf(env: NodeJS.ProcessEnv): string {
  return env[VENV_VARIABLE] ?? PROJECT_VENV;
}

/** What to do where no Python with PyTorch is found. */
export const INSTALL_HINT =
  '`npm run setup:python` (the project\'s venv with PyTorch, from a Python 3.11), or install PyTorch for a Python >= 3.9 ' +
  '(`pip install torch`; on Debian/Ubuntu `sudo apt install python3-torch libopenblas0-pthread`), or point ' +
  `${PYTHON_VARIABLE} at a Python that has it`;

const MINIMUM_PYTHON: readonly [number, number] = [3, 9];

/** A Python that can import torch. */
export interface FoundPython {
  command: string;
  version: string;
  torch: string;
}

/** A candidate interpreter and where it came from. */
export interface PythonCandidate {
  command: string;
  source: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * What makes two commands the same Python: the file they resolve to, except in a venv (a `pyvenv.cfg` beside its
 * `bin`), whose `python` links to the base interpreter yet has its own packages: there the venv's folder.
 */
function environmentKey(command: string): string {
  let bin: string;
  try {
    bin = realpathSync(dirname(command));
  } catch {
    return command; // not a path (a bare name in GAN_BENCH_PYTHON): tried as given
  }
  if (existsSync(join(dirname(bin), 'pyvenv.cfg'))) return `venv ${dirname(bin)}`;
  try {
    return realpathSync(command);
  } catch {
    return join(bin, basename(command));
  }
}

/**
 * GAN_BENCH_PYTHON, then the project's venv's `bin/python` where it exists, then each `python3` and `python`
 * executable on PATH (directory by directory), each environment once.
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env, projectVenv: string = venvOf(env)): PythonCandidate[] {
  const candidates: PythonCandidate[] = [];
  const seen = new Set<string>();
  const add = (command: string, source: string) => {
    const key = environmentKey(command);
    if (seen.has(key)) return;
    seen.add(key);
    candidates.push({ command, source });
  };
  const chosen = env[PYTHON_VARIABLE]?.trim();
  if (chosen) add(chosen, PYTHON_VARIABLE);
  const venvPython = projectVenv ? join(projectVenv, 'bin', 'python') : null;
  if (venvPython !== null && isExecutable(venvPython)) add(venvPython, 'project venv');
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of ['python3', 'python']) {
      const path = join(dir, name);
      if (isExecutable(path)) add(path, 'PATH');
    }
  }
  return candidates;
}

const PROBE = 'import sys, torch; print("%d.%d.%d" % sys.version_info[:3]); print(torch.__version__)';

/** Runs `command -c PROBE`: the Python and torch versions, or why not. */
export function probePython(command: string, timeoutMs = 60_000): Promise<FoundPython | { command: string; problem: string }> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE], { timeout: timeoutMs, env: { ...process.env, PYTHONUNBUFFERED: '1' } }, (error, stdout, stderr) => {
      if (error) {
        const lastLine = stderr.trim().split('\n').at(-1) ?? '';
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : lastLine || error.message;
        resolve({ command, problem: reason });
        return;
      }
      const [version = '', torch = ''] = stdout.trim().split('\n');
      if (!/^\d+\.\d+\.\d+$/.test(version) || torch === '') {
        resolve({ command, problem: `does not run as a Python with torch (asked for its version and torch's, it printed ${stdout.trim() ? JSON.stringify(stdout.trim().slice(0, 80)) : 'nothing'})` });
        return;
      }
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor < MINIMUM_PYTHON[1])) {
        resolve({ command, problem: `Python ${version} is older than ${MINIMUM_PYTHON.join('.')}` });
        return;
      }
      resolve({ command, version, torch });
    });
  });
}

/**
 * The first candidate that imports torch. Throws BackendUnavailableError('pytorch') listing every candidate
 * tried and why it was passed over, with the install hint.
 */
export async function findPython(env: NodeJS.ProcessEnv = process.env, projectVenv: string = venvOf(env)): Promise<FoundPython> {
  const tried: string[] = [];
  for (const { command, source } of pythonCandidates(env, projectVenv)) {
    const outcome = await probePython(command);
    if ('torch' in outcome) return outcome;
    tried.push(`${command} (${source}): ${outcome.problem}`);
  }
  const searched = tried.length > 0 ? `tried ${tried.join('; ')}` : `no python3 or python on PATH, no ${projectVenv || 'venv'} and ${PYTHON_VARIABLE} unset`;
  throw new BackendUnavailableError('pytorch', `no Python with PyTorch found (${searched}); ${INSTALL_HINT}`);
}
