import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/exit.js';
import { prepareOutputs, resolveInput } from '../../src/cli/paths.js';

const folder = () => mkdtemp(join(tmpdir(), 'paths-'));

describe('prepareOutputs', () => {
  it('creates missing folders, including every parent, and leaves no probe file behind', async () => {
    const dir = await folder();
    const out = join(dir, 'a', 'b', 'run');
    const summary = join(dir, 'c', 'summary.md');
    await prepareOutputs([
      { flag: '--out', path: out, kind: 'folder' },
      { flag: '--summary', path: summary, kind: 'file' },
    ]);
    expect(await readdir(out)).toEqual([]);
    expect(existsSync(join(dir, 'c'))).toBe(true);
    expect(existsSync(summary)).toBe(false);
  });

  it('keeps an existing output file as it was', async () => {
    const dir = await folder();
    const summary = join(dir, 'summary.md');
    await writeFile(summary, 'old');
    await prepareOutputs([{ flag: '--summary', path: summary, kind: 'file' }]);
    expect(existsSync(summary)).toBe(true);
  });

  it('answers at once for /proc/x, where a recursive mkdir never returns on Node 20', async () => {
    const started = performance.now();
    await expect(prepareOutputs([{ flag: '--out', path: '/proc/x', kind: 'folder' }])).rejects.toThrow(
      /^--out \/proc\/x: cannot be written: ENOENT/,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a file system that does not answer in time, naming the flag and path', async () => {
    // A FIFO: opening it for writing blocks until a reader comes, which none will.
    const dir = await folder();
    const fifo = join(dir, 'fifo');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const error = await prepareOutputs([{ flag: '--summary', path: fifo, kind: 'file' }], { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`--summary ${fifo}: the file system did not answer within 1 s (a folder that cannot be written, or a mount that hangs)`);
  });

  it('refuses an existing file as a folder, a folder as a file, and an empty path, naming the flag', async () => {
    const dir = await folder();
    const file = join(dir, 'file');
    await writeFile(file, '');
    await expect(prepareOutputs([{ flag: '--out', path: file, kind: 'folder' }])).rejects.toThrow(`--out ${file}: cannot be written: is a file, not a folder`);
    await expect(prepareOutputs([{ flag: '--out', path: join(file, 'sub'), kind: 'folder' }])).rejects.toThrow(`${file} is a file, not a folder`);
    await expect(prepareOutputs([{ flag: '--summary', path: dir, kind: 'file' }])).rejects.toThrow(`--summary ${dir}: cannot be written: is a folder, not a file`);
    await expect(prepareOutputs([{ flag: '--out', path: '', kind: 'folder' }])).rejects.toThrow('--out: empty path');
  });

  it('removes the folders it made when a later output fails: bad input writes nothing', async () => {
    const dir = await folder();
    const file = join(dir, 'file');
    await writeFile(file, '');
    await expect(
      prepareOutputs([
        { flag: '--out', path: join(dir, 'new', 'run'), kind: 'folder' },
        { flag: '--summary', path: join(file, 'summary.md'), kind: 'file' },
      ]),
    ).rejects.toThrow(/^--summary /);
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it may not write in', async () => {
    const dir = await folder();
    const readOnly = join(dir, 'read-only');
    await mkdir(readOnly);
    await chmod(readOnly, 0o555);
    await expect(prepareOutputs([{ flag: '--out', path: readOnly, kind: 'folder' }])).rejects.toThrow(/EACCES/);
  });
});

describe('resolveInput', () => {
  it('finds a relative path where the user called npm from (INIT_CWD) before the project root', async () => {
    const user = await folder();
    const root = await folder();
    await writeFile(join(user, 'mine.ts'), '');
    await writeFile(join(root, 'mine.ts'), '');
    await writeFile(join(root, 'only-here.ts'), '');
    expect(resolveInput('mine.ts', 'scenario file', { initCwd: user, cwd: root })).toBe(join(user, 'mine.ts'));
    expect(resolveInput('only-here.ts', 'scenario file', { initCwd: user, cwd: root })).toBe(join(root, 'only-here.ts'));
  });

  it('says where it looked when the file is nowhere', async () => {
    const user = await folder();
    const root = await folder();
    expect(() => resolveInput('ci/small-d.ts', 'scenario file', { initCwd: user, cwd: root })).toThrow(
      `scenario file ci/small-d.ts: no such file or folder (looked for ${join(user, 'ci/small-d.ts')} and ${join(root, 'ci/small-d.ts')})`,
    );
  });
});
