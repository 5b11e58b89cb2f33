/**
 * Where the backend's Python packages live (gan_worker, gan_ddp: both in src/backends/pytorch) and how an interpreter
 * runs one: `python -u -m package` with their folder first on PYTHONPATH.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from '../backend.js';

/** The backend's Python packages, each a folder of src/backends/pytorch. */
export type PythonPackage = 'gan_worker' | 'gan_ddp';

/**
 * The folder that holds `name` (its `__init__.py`): this module's folder, or, when this module was bundled elsewhere
 * (esbuild), src/backends/pytorch under the working directory as in the repository. Throws
 * BackendUnavailableError('pytorch') naming both places where it is in neither.
 */
export function packageRoot(name: PythonPackage, cwd = process.cwd(), moduleUrl: string | undefined = import.meta.url): string {
  const holds = (root: string) => existsSync(join(root, name, '__init__.py'));
  let beside: string | null = null;
  try {
    beside = fileURLToPath(new URL('.', moduleUrl));
  } catch {
    // no module URL (a CommonJS bundle): only the working directory is left
  }
  if (beside && holds(beside)) return beside.replace(/\/$/, '');
  const inRepository = join(cwd, 'src', 'backends', 'pytorch');
  if (holds(inRepository)) return inRepository;
  const places = [beside, inRepository]
    .filter((place): place is string => place !== null)
    .map((place) => join(place, name))
    .join(' nor at ');
  throw new BackendUnavailableError('pytorch', `the Python package ${name} is neither at ${places}`);
}

/**
 * What an interpreter runs: a module as `python -m module` with `root` (the folder holding its package) first on
 * PYTHONPATH, or one script (the tests' stand-in workers).
 */
export type PythonEntry = { module: string; root: string } | { script: string };

/** The interpreter's arguments (unbuffered) and the environment's PYTHONPATH for an entry. */
export function entryArguments(entry: PythonEntry, env: NodeJS.ProcessEnv): { args: string[]; pythonPath: string | undefined } {
  if ('script' in entry) return { args: ['-u', entry.script], pythonPath: env.PYTHONPATH };
  const pythonPath = [entry.root, env.PYTHONPATH].filter((part) => part !== undefined && part !== '').join(delimiter);
  return { args: ['-u', '-m', entry.module], pythonPath };
}

/** The environment a Python entry runs in: `env` with PYTHONUNBUFFERED and the entry's PYTHONPATH. */
export function entryEnvironment(pythonPath: string | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PYTHONUNBUFFERED: '1', ...(pythonPath === undefined ? {} : { PYTHONPATH: pythonPath }) };
}
