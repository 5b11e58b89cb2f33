/**
 * The one way every command writes its files (results.json, results.csv, report.md, charts, quality's files, a
 * comparison's summary): each to a temporary file beside it, then renamed over the old one, so that a full disk,
 * a missing permission or a kill mid-write never leaves a half-written or emptied file where a good one was. A
 * symbolic link is followed (its target is replaced, the link stays); a folder, a device or any other file that is
 * not a regular one is never replaced. The renames of one set run with interrupts held (interrupt.ts). A failed
 * write is an OutputWriteError with one line naming the file and what went wrong.
 */
import { lstat, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { messageOf } from '../errors.js';
import { uninterrupted } from './interrupt.js';

/** How file contents reach the disk: node's writeFile, or a test's fake that fails as a full disk does. */
export type WriteFunction = (path: string, data: string | Uint8Array) => Promise<void>;

export interface OutputFile {
  path: string;
  data: string | Uint8Array;
}

/** What each file-system error code means, in words a user acts on. */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOENT: 'its folder does not exist (any more)',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ELOOP: 'its symbolic links go round in a loop',
  ESPECIAL: 'it is a device or special file, not a regular file: not replaced',
};

/** A results file that could not be written: one line, naming the file and the reason; what was there stays. */
export class OutputWriteError extends Error {
  /** Why, in words: "the disk is full (ENOSPC)". */
  readonly reason: string;
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = code === 'ESPECIAL' ? WRITE_ERRORS[code]! : code !== undefined && WRITE_ERRORS[code] !== undefined ? `${WRITE_ERRORS[code]} (${code})` : messageOf(options.cause);
    super(`${path}: cannot be written: ${reason}; the files written before are kept as they were`, options);
    this.reason = reason;
    this.name = 'OutputWriteError';
  }
}

/** `.results.json.<pid>.<n>.tmp`: hidden, unique per process and write, in the same folder (a rename never crosses a disk); folder-lock.ts removes a dead writer's. */
let temporaryCount = 0;
const temporaryPath = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${temporaryCount++}.tmp`);

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

/** How many symbolic links are followed before the path is called a loop (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * The file a write to `path` replaces: `path` itself, or the end of its chain of symbolic links (a link to a file
 * not there yet: that file). Throws an OutputWriteError where that is a folder or a device, pipe or socket.
 */
export async function writeTargetOf(path: string): Promise<string> {
  let target = resolve(path);
  for (let links = 0; ; links++) {
    let found;
    try {
      found = await lstat(target);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return target;
      throw new OutputWriteError(path, codeOf(error), { cause: error });
    }
    if (found.isSymbolicLink()) {
      if (links === MAX_LINKS) throw new OutputWriteError(path, 'ELOOP', { cause: new Error('ELOOP') });
      target = resolve(dirname(target), await readlink(target));
      continue;
    }
    if (found.isDirectory()) throw new OutputWriteError(path, 'EISDIR', { cause: new Error('EISDIR') });
    if (!found.isFile()) throw new OutputWriteError(path, 'ESPECIAL', { cause: new Error('ESPECIAL') });
    return target;
  }
}

/** Whether `path` is absent or a regular file (through its links): what a write may replace. */
export async function isReplaceable(path: string): Promise<boolean> {
  try {
    await writeTargetOf(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes every file to a temporary file beside it, and only once all of them are written renames them over the
 * old ones, in order: a failure leaves every old file as it was (and no temporary file behind). `beforeRename`
 * runs between the two (to remove a file that must not outlive the old set).
 */
export function writeFilesAtomically(
  files: readonly OutputFile[],
  options: { write?: WriteFunction; beforeRename?: () => Promise<void> } = {},
): Promise<void> {
  return uninterrupted(() => writeSet(files, options));
}

async function writeSet(files: readonly OutputFile[], options: { write?: WriteFunction; beforeRename?: () => Promise<void> }): Promise<void> {
  const write = options.write ?? writeFile;
  const staged: { path: string; target: string; temporary: string }[] = [];
  try {
    for (const { path, data } of files) {
      const target = await writeTargetOf(path);
      const temporary = temporaryPath(target);
      staged.push({ path, target, temporary });
      try {
        await write(temporary, data);
      } catch (error) {
        throw new OutputWriteError(path, codeOf(error), { cause: error });
      }
    }
    await options.beforeRename?.();
    while (staged.length > 0) {
      const { path, target, temporary } = staged[0]!;
      try {
        await rename(temporary, target);
      } catch (error) {
        throw new OutputWriteError(path, codeOf(error), { cause: error });
      }
      staged.shift();
    }
  } finally {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true }).catch(() => undefined)));
  }
}

/** Writes one file atomically (a temporary file, then a rename). */
export function writeFileAtomically(path: string, data: string | Uint8Array, options: { write?: WriteFunction } = {}): Promise<void> {
  return writeFilesAtomically([{ path, data }], options);
}
