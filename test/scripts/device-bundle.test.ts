import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/**
 * The GPU check travels as one esbuild bundle (scripts/device/pack.sh) run from `.device/`, one folder below the
 * project root. A module that loads a file at run time by a path relative to its own place in src/ breaks there
 * and nowhere else: bundle it as pack.sh does, into a folder at the same depth, and start it.
 */
describe('the GPU check bundle', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('bundles as scripts/device/pack.sh does and starts from a folder one level below the project root', async () => {
    dir = await mkdtemp(join(root, '.bundle-test-'));
    const bundle = join(dir, 'bundle.mjs');
    await run(
      join(root, 'node_modules/.bin/esbuild'),
      [
        'scripts/gpu-check.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--external:webgpu',
        `--outfile=${bundle}`, '--log-level=error',
        "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      ],
      { cwd: root },
    );
    const { stdout } = await run(process.execPath, [bundle, '--help'], { cwd: root });
    expect(stdout).toMatch(/gpu-check/);
  });
});
