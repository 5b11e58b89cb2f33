/**
 * `--out` on a real full disk: a 12 KiB tmpfs, where the machine lets this process mount one (root, outside a
 * container that forbids it); elsewhere these tests are skipped and test/cli/write-atomic.test.ts covers the
 * same behaviour with a write function that fails as a full disk does.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

/** Mounts a tmpfs of `size` at a new folder; null where mounting is not allowed here. */
function mountTmpfs(size: string): string | null {
  const dir = execFileSync('mktemp', ['-d', join(tmpdir(), 'full-disk-XXXXXX')], { encoding: 'utf8' }).trim();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

const mounted: string[] = [];
const canMount = process.getuid?.() === 0 && (() => {
  const probe = mountTmpfs('12k');
  if (probe !== null) mounted.push(probe);
  return probe !== null;
})();

afterAll(() => {
  for (const dir of mounted) execFileSync('umount', [dir]);
});

async function contents(dir: string): Promise<Record<string, string>> {
  const files = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(files.map(async (file) => [file, await readFile(join(dir, file), 'utf8')] as const)));
}

describe.runIf(canMount)('npm run bench on a full disk', () => {
  it('says the disk is full, naming the file, with one line and exit code 2, not a stack trace', async () => {
    const out = join(mounted[0]!, 'run');
    const { code, stderr } = await cli('bench', ['test/fixtures/tiny.ts', '--strategies', 'single-forward', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`\\nbench: error: ${out}/[\\w.]+: cannot be written: the disk is full \\(ENOSPC\\); the files written before are kept as they were\\n$`));
    expect(stderr).not.toMatch(/ {4}at /);
  });

  it('leaves the results written before whole', async () => {
    const before = join(await mkdtemp(join(tmpdir(), 'full-disk-before-')), 'run');
    expect((await cli('bench', ['test/fixtures/tiny.ts', '--strategies', 'single-forward', '--out', before])).code).toBe(0);
    const disk = mountTmpfs('256k');
    expect(disk).not.toBeNull();
    mounted.push(disk!);
    const out = join(disk!, 'run');
    await mkdir(out);
    await cp(before, out, { recursive: true });
    const kept = await contents(out);
    // Fill the disk but a few KiB, less than the next run's results need.
    const free = Number(execFileSync('df', ['--output=avail', '-B1', disk!], { encoding: 'utf8' }).trim().split('\n').pop());
    await writeFile(join(disk!, 'filler'), Buffer.alloc(free - 8192));
    const { code, stderr } = await cli('bench', ['test/fixtures/tiny.ts', '--strategies', 'single-forward,g-first', '--out', out]);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/the disk is full \(ENOSPC\)/);
    expect(await contents(out)).toEqual(kept);
  });
});
