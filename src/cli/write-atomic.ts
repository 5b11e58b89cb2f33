/**
 * The one way every command writes its files (results.json, results.csv, report.md, charts, quality's files, a
 * comparison's summary): each to a temporary file beside it, then renamed over the old one, so that a full disk,
 * a missing permission or a kill mid-write never leaves a half-written or emptied file where a good one was. A
 * failed write is an OutputWriteError with one line naming the file and what went wrong.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../errors.js';

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
};

/** A results file that could not be written: one line, naming the file and the reason; what was there stays. */
export class OutputWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = code !== undefined && WRITE_ERRORS[code] !== undefined ? `${WRITE_ERRORS[code]} (${code})` : messageOf(options.cause);
    super(`${path}: cannot be written: ${reason}; the files written before are kept as they were`, options);
    this.name = 'OutputWriteError';
  }
}

/** `.results.json.<pid>.<n>.tmp`: hidden, unique per process and write, in the same folder (a rename never crosses a disk). */
let temporaryCount = 0;
const temporaryPath = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${temporaryCount++}.tmp`);

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

/**
 * Writes every file to a temporary file beside it, and only once all of them are written renames them over the
 * old ones, in order: a failure leaves every old file as it was (and no temporary file behind). `beforeRename`
 * runs between the two (to remove a file that must not outlive the old set).
 */
export async function writeFilesAtomically(
  files: readonly OutputFile[],
  options: { write?: WriteFunction; beforeRename?: () => Promise<void> } = {},
): Promise<void> {
  const write = options.write ?? writeFile;
  const staged: { path: string; temporary: string }[] = [];
  try {
    for (const { path, data } of files) {
      const temporary = temporaryPath(path);
      staged.push({ path, temporary });
      try {
        await write(temporary, data);
      } catch (error) {
        throw new OutputWriteError(path, codeOf(error), { cause: error });
      }
    }
    await options.beforeRename?.();
    while (staged.length > 0) {
      const { path, temporary } = staged[0]!;
      try {
        await rename(temporary, path);
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
