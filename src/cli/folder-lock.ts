/**
 * One writer per results folder. A command that writes a folder takes its lock first: `.gan-update-bench.lock`,
 * holding the writer's pid and host. While that process lives, another run into the folder is refused, naming it;
 * the lock of a process that is gone (killed, or its machine restarted) is taken over, and the temporary files it
 * left half-written are removed. The lock goes when its process exits. A default folder is claimed new (`mkdir`
 * fails where it exists), so two runs started in the same second get two folders.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './exit.js';

export const LOCK_FILE = '.gan-update-bench.lock';

interface LockOwner {
  pid: number;
  host: string;
  command: string;
}

/** Whether process `pid` on this machine is alive (EPERM: it is, someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

function readOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host, command: String(owner.command ?? 'a run') } : null;
  } catch {
    return null;
  }
}

/** A lock whose owner may still write: alive here, or on another host (which cannot be asked). */
const holds = (owner: LockOwner) => owner.host !== hostname() || isAlive(owner.pid);

/**
 * Takes `dir`'s lock for this process (the folder exists), or throws a UsageError naming the process that holds
 * it. Removes the temporary files of writers that are gone. The lock is released when this process exits.
 */
export async function lockResultsFolder(dir: string, flag: string, command: string): Promise<void> {
  const lock = join(dir, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: hostname(), command };
  // Written whole beside the lock, then linked to its name: a reader never sees a half-written lock, and of two
  // writers linking at once exactly one succeeds.
  const staged = join(dir, `.${LOCK_FILE}.${process.pid}.new`);
  await writeFile(staged, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(staged, lock);
        break;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST' || attempt === 5) throw error;
      }
      const owner = readOwner(await readFile(lock, 'utf8').catch(() => ''));
      if (owner && owner.pid === process.pid && owner.host === mine.host) break;
      if (owner && holds(owner)) {
        const where = owner.host === mine.host ? '' : ` on ${owner.host}`;
        throw new UsageError(`${flag} ${dir}: ${owner.command} (pid ${owner.pid}${where}) is writing to this folder: wait for it to finish, or choose another folder`);
      }
      // Gone: set its lock aside under a name of our own (of two takers, one rename fails) and try again.
      await rename(lock, `${lock}.${process.pid}.stale`).then(
        () => rm(`${lock}.${process.pid}.stale`, { force: true }),
        () => undefined,
      );
    }
  } finally {
    await rm(staged, { force: true });
  }
  process.on('exit', () => releaseLock(lock));
  await removeDeadWritersFiles(dir);
}

/** Removes `lock` where it is still this process's (sync: it runs on exit). */
function releaseLock(lock: string): void {
  try {
    const owner = readOwner(readFileSync(lock, 'utf8'));
    if (owner?.pid === process.pid && owner.host === hostname()) unlinkSync(lock);
  } catch {
    // gone already, or the folder with it
  }
}

/** `.results.json.<pid>.<n>.tmp` (src/cli/write-atomic.ts) and `.<lock>.<pid>.new`: a writer's own files, by pid. */
const WRITERS_FILE = /^\..+\.(\d+)\.(\d+\.tmp|new|stale)$/;

/** Removes the temporary files in `dir` of processes that are gone (a run killed while it wrote). */
export async function removeDeadWritersFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = WRITERS_FILE.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Creates a new folder named `base`, or `base-2`, `base-3`, ... where one exists already (another run started in
 * the same second); returns its path. Its parent is created where missing.
 */
export async function claimNewFolder(base: string): Promise<string> {
  await mkdir(dirname(base), { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(candidate);
      return candidate;
    } catch (error) {
      if (codeOf(error) !== 'EEXIST' || n >= 1000) throw error;
    }
  }
}

/** For tests: whether `dir` holds a lock, and whose. */
export function lockOwnerOf(dir: string): number | null {
  if (!readdirSync(dir).includes(LOCK_FILE)) return null;
  return readOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))?.pid ?? null;
}

