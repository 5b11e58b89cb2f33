import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimNewFolder, LOCK_FILE, lockOwnerOf, lockResultsFolder } from '../../src/cli/folder-lock.js';

const tmp = () => mkdtemp(join(tmpdir(), 'lock-'));

/** A process that lives until killed, and one that has ended (its pid free). */
async function liveProcess(): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((done) => child.once('spawn', done));
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((done) => child.once('exit', done));
  return child.pid!;
}
const lockOf = (pid: number) => `${JSON.stringify({ pid, host: hostname(), command: 'bench' })}\n`;

describe('one writer per results folder', () => {
  it('refuses a folder another live process writes to, naming its pid', async () => {
    const dir = await tmp();
    const other = await liveProcess();
    try {
      await writeFile(join(dir, LOCK_FILE), lockOf(other.pid));
      await expect(lockResultsFolder(dir, '--out', 'bench')).rejects.toThrow(`--out ${dir}: bench (pid ${other.pid}) is writing to this folder: wait for it to finish, or choose another folder`);
      expect(lockOwnerOf(dir)).toBe(other.pid);
    } finally {
      other.stop();
    }
  });

  it("takes over the lock of a process that is gone and removes the temporary files it left", async () => {
    const dir = await tmp();
    const gone = await deadPid();
    await writeFile(join(dir, LOCK_FILE), lockOf(gone));
    await writeFile(join(dir, `.results.json.${gone}.3.tmp`), '{"half');
    await writeFile(join(dir, 'results.json'), '{}');
    await lockResultsFolder(dir, '--out', 'bench');
    expect(lockOwnerOf(dir)).toBe(process.pid);
    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE, 'results.json']);
    // Taking it again in the same process is no conflict.
    await lockResultsFolder(dir, '--out', 'bench');
  });

  it('gives two runs started in the same second two folders', async () => {
    const base = join(await tmp(), 'results', 'small-d-2026-11-27T13-45-02');
    const [first, second, third] = await Promise.all([claimNewFolder(base), claimNewFolder(base), claimNewFolder(base)]);
    expect(new Set([first, second, third])).toEqual(new Set([base, `${base}-2`, `${base}-3`]));
  });
});
