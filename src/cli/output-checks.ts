/**
 * What an output may not be, checked before anything runs: an output that names a file the command reads (a
 * `--summary` that is the baseline's results.json, an `--out` that is the baseline's folder, a scenario file) would
 * replace it; a folder, device or other special file where a results file goes is never replaced; an `--out` that
 * is a symbolic link to nothing names what it points to. Each is a UsageError naming the flag and the path.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './exit.js';
import type { OutputTarget } from './paths.js';
import { OutputWriteError, writeTargetOf } from './write-atomic.js';

/** The files a results folder holds: a run's output and a saved run's input. */
export const RESULTS_FOLDER_FILES = ['results.json', 'results.csv', 'report.md', 'time.svg', 'memory.svg', 'flops.svg'] as const;

/** A file or folder the command reads, as the user named it ('--baseline', 'scenario file') and where it is. */
export interface CommandInput {
  what: string;
  path: string;
}

/** `path` with every symbolic link resolved, as far as it exists (the missing rest appended). */
function realPathOf(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPathOf(parent), basename(absolute));
  }
}

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The files of an input: a folder's results files, or the file itself (and the results files beside a results.json). */
function inputFiles(input: CommandInput): string[] {
  const real = realPathOf(input.path);
  const folder = isFolder(real) ? real : basename(real) === 'results.json' ? dirname(real) : null;
  return folder === null ? [real] : [real, ...RESULTS_FOLDER_FILES.map((name) => join(folder, name))];
}

/** The folder a results input lives in, where it is a results folder or its results.json. */
function inputFolder(input: CommandInput): string | null {
  const real = realPathOf(input.path);
  return isFolder(real) ? real : basename(real) === 'results.json' ? dirname(real) : null;
}

/**
 * Throws a UsageError where an output would replace an input or is no place for a file: run before the output
 * probe (src/cli/paths.ts), so that nothing is created for a run that is refused.
 */
export async function checkOutputs(outputs: readonly OutputTarget[], inputs: readonly CommandInput[]): Promise<void> {
  for (const output of outputs) {
    if (output.path.trim() === '') continue; // the probe names an empty path
    const dangling = danglingLink(output.path);
    if (dangling !== null) throw new UsageError(`${output.flag} ${output.path}: is a symbolic link to ${dangling}, which does not exist: create it, or name another ${output.kind}`);
    if (output.kind === 'file') {
      let target: string;
      try {
        target = realPathOf(await writeTargetOf(output.path));
      } catch (error) {
        // A folder, a missing permission, a file on the way: the probe (paths.ts) names them.
        if (!(error instanceof OutputWriteError) || (error.code !== 'ESPECIAL' && error.code !== 'ELOOP')) continue;
        throw new UsageError(`${output.flag} ${output.path}: cannot be written: ${error.reason}`, { cause: error });
      }
      for (const input of inputs) {
        if (inputFiles(input).includes(target)) {
          throw new UsageError(`${output.flag} ${output.path}: is ${input.what} ${input.path}${target === realPathOf(input.path) ? '' : `'s ${basename(target)}`}, which it would replace: write it elsewhere`);
        }
      }
    } else {
      const folder = realPathOf(output.path);
      for (const input of inputs) {
        if (inputFolder(input) === folder) {
          throw new UsageError(`${output.flag} ${output.path}: holds ${input.what} ${input.path}, whose files this run would replace: choose another folder`);
        }
      }
      for (const name of RESULTS_FOLDER_FILES) {
        const inside = join(output.path, name);
        try {
          await writeTargetOf(inside);
        } catch (error) {
          const code = error instanceof OutputWriteError ? error.code : undefined;
          if (code !== 'EISDIR' && code !== 'ESPECIAL') continue; // the probe names the folder that cannot be written
          const why = code === 'EISDIR' ? 'a folder' : 'a device or special file';
          throw new UsageError(`${output.flag} ${output.path}: its ${name} is ${why}, where this run writes a file: remove it, or choose another folder`);
        }
      }
    }
  }
}

/** Where `path` is a symbolic link (or a chain of them) to nothing, what it points to; else null. */
function danglingLink(path: string): string | null {
  try {
    if (!lstatSync(path).isSymbolicLink()) return null;
  } catch {
    return null;
  }
  try {
    statSync(path);
    return null;
  } catch {
    return resolve(dirname(resolve(path)), readlinkSync(path));
  }
}
