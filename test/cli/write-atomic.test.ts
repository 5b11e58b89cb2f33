import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRun } from '../../src/cli/output.js';
import { OutputWriteError, writeFileAtomically, writeFilesAtomically, type WriteFunction } from '../../src/cli/write-atomic.js';
import { makeCells, makeRun } from '../report/fixtures.js';

const tmp = () => mkdtemp(join(tmpdir(), 'atomic-'));

/** A file system error as node raises it (`code` set). */
const fsError = (code: string) => Object.assign(new Error(`${code}: failed, write`), { code });

/** node's writeFile, until `failing` files have been written: then every write fails with `code`, as a full disk does. */
function failingAfter(written: number, code = 'ENOSPC'): WriteFunction {
  let count = 0;
  return async (path, data) => {
    if (count++ >= written) {
      // A full disk fails half-way: part of the data reaches the file before the error.
      await writeFile(path, typeof data === 'string' ? data.slice(0, 10) : data.subarray(0, 10));
      throw fsError(code);
    }
    await writeFile(path, data);
  };
}

/** Every file of a folder and its contents. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(files.map(async (file) => [file, await readFile(join(dir, file), 'utf8')] as const)));
}

describe('writeFilesAtomically', () => {
  it('replaces the old files only once every new one is written', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'a.txt'), 'old a');
    await writeFilesAtomically([
      { path: join(dir, 'a.txt'), data: 'new a' },
      { path: join(dir, 'b.bin'), data: new Uint8Array([1, 2, 3]) },
    ]);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('new a');
    expect([...(await readFile(join(dir, 'b.bin')))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['a.txt', 'b.bin']);
  });

  it('says the disk is full, naming the file, and leaves every old file whole and no temporary file behind', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'a.txt'), 'old a');
    await writeFile(join(dir, 'b.txt'), 'old b');
    const files = [
      { path: join(dir, 'a.txt'), data: 'new a' },
      { path: join(dir, 'b.txt'), data: 'new b, longer than ten characters' },
    ];
    const failure = writeFilesAtomically(files, { write: failingAfter(1) });
    await expect(failure).rejects.toThrow(OutputWriteError);
    await expect(failure).rejects.toThrow(`${join(dir, 'b.txt')}: cannot be written: the disk is full (ENOSPC); the files written before are kept as they were`);
    expect(await snapshot(dir)).toEqual({ 'a.txt': 'old a', 'b.txt': 'old b' });
  });

  it('gives a missing permission or a read-only file system one line of its own', async () => {
    const dir = await tmp();
    const file = join(dir, 'summary.md');
    await expect(writeFileAtomically(file, 'x', { write: failingAfter(0, 'EACCES') })).rejects.toThrow(`${file}: cannot be written: permission denied (EACCES)`);
    await expect(writeFileAtomically(file, 'x', { write: failingAfter(0, 'EROFS') })).rejects.toThrow(`${file}: cannot be written: the file system is read-only (EROFS)`);
    await expect(writeFileAtomically(file, 'x', { write: async () => { throw new Error('the cable came out'); } })).rejects.toThrow(`${file}: cannot be written: the cable came out`);
    expect(existsSync(file)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writeRun on a full disk', () => {
  it('keeps the results folder written before, report included, byte for byte, whichever file the disk fills on', async () => {
    const dir = await tmp();
    await writeRun(dir, makeRun());
    const before = await snapshot(dir);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['report.md', 'results.csv', 'results.json']));
    const bigger = makeRun({ cells: makeCells().map((cell) => ({ ...cell, error: 'a longer run' })) });
    const fileCount = Object.keys(before).length;
    for (let written = 0; written < fileCount; written++) {
      await expect(writeRun(dir, bigger, { write: failingAfter(written) })).rejects.toThrow(/: cannot be written: the disk is full \(ENOSPC\)/);
      expect(await snapshot(dir), `the disk full after ${written} files`).toEqual(before);
    }
    await writeRun(dir, bigger);
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toContain('a longer run');
  });
});

describe('what a write may replace', () => {
  it('follows a symbolic link and replaces its target, keeping the link', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'target.md'), 'old');
    await symlink(join(dir, 'target.md'), join(dir, 'summary.md'));
    await writeFileAtomically(join(dir, 'summary.md'), 'new');
    expect((await lstat(join(dir, 'summary.md'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'target.md'), 'utf8')).toBe('new');
  });

  it('never replaces a device or a folder, naming the file', async () => {
    const dir = await tmp();
    await mkdir(join(dir, 'report.md'));
    await expect(writeFileAtomically('/dev/null', 'x')).rejects.toThrow('/dev/null: cannot be written: it is a device or special file, not a regular file: not replaced');
    await expect(writeFileAtomically(join(dir, 'report.md'), 'x')).rejects.toThrow(`${join(dir, 'report.md')}: cannot be written: it is a folder (EISDIR)`);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
    expect(await readdir(dir)).toEqual(['report.md']);
  });
});
