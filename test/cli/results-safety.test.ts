/** Results are never lost: one writer per folder, no output that replaces an input, an interrupt that keeps what was measured. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/types.js';
import { cli, root, startCli } from './run-cli.js';

const tmp = () => mkdtemp(join(tmpdir(), 'safety-'));
const tiny = 'test/fixtures/tiny.ts';

/** Starts bench and resolves once its stderr shows `text` (the child still running), with what it printed so far. */
function benchUntil(args: string[], text: string) {
  const child = startCli('bench', args);
  let stderr = '';
  const ended = new Promise<number | null>((done) => child.on('exit', (code, signal) => done(code ?? (signal ? -1 : null))));
  const reached = new Promise<void>((done) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(text)) done();
    });
  });
  return { child, reached, ended, stderr: () => stderr };
}

describe('results are never lost', () => {
  it('refuses a second run into a folder another run is writing, naming its pid; the first run keeps its results', async () => {
    const dir = await tmp();
    const out = join(dir, 'run');
    // Timed for 8 s, so that it is still writing when the second starts.
    const slow = join(dir, 'slow.ts');
    await writeFile(slow, `import tiny from ${JSON.stringify(join(root, 'test/fixtures/tiny.js'))};\nexport default { ...tiny, measure: { ...tiny.measure, minTimeMs: 8000 } };\n`);
    const first = benchUntil([slow, '--out', out, '--strategies', 'g-first'], 'timing round');
    await first.reached;
    const second = await cli('bench', [tiny, '--out', out, '--strategies', 'g-first,single-forward']);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(`bench: error: --out ${out}: bench (pid ${first.child.pid}) is writing to this folder: wait for it to finish, or choose another folder\n`);
    expect(await first.ended, first.stderr()).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map((cell) => cell.strategy)).toEqual(['g-first']);
    expect((await readdir(out)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('says it was interrupted and what the folder kept, exit 130, no temporary file left', async () => {
    const out = join(await tmp(), 'run');
    const run = benchUntil([tiny, '--out', out, '--strategies', 'g-first'], 'timing round');
    await run.reached;
    run.child.kill('SIGINT');
    expect(await run.ended).toBe(130);
    expect(run.stderr()).toMatch(/bench: interrupted \(SIGINT\): nothing had been measured yet; .* holds no results\n$/);
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses outputs that would replace the baseline or a scenario file, before anything runs', async () => {
    const dir = await tmp();
    const baseline = join(dir, 'baseline');
    expect((await cli('bench', [tiny, '--out', baseline, '--strategies', 'g-first'])).code).toBe(0);
    const before = await readFile(join(baseline, 'results.json'), 'utf8');
    const cases: Array<[string[], string]> = [
      [[tiny, '--out', baseline, '--baseline', baseline, '--strategies', 'g-first'], `--out ${baseline}: holds --baseline ${baseline}, whose files this run would replace: choose another folder`],
      [[tiny, '--out', join(dir, 'b'), '--baseline', baseline, '--summary', join(baseline, 'results.json'), '--strategies', 'g-first'], `--summary ${join(baseline, 'results.json')}: is --baseline ${baseline}'s results.json, which it would replace: write it elsewhere`],
      [[tiny, '--out', join(dir, 'b'), '--baseline', baseline, '--summary', '/dev/null', '--strategies', 'g-first'], '--summary /dev/null: cannot be written: it is a device or special file, not a regular file: not replaced'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli('bench', args);
      expect(code, stderr).toBe(2);
      expect(stderr).toBe(`bench: error: ${message}\n`);
    }
    expect(existsSync(join(dir, 'b'))).toBe(false);
    const compare = await cli('compare', [baseline, baseline, '--summary', join(baseline, 'results.json')]);
    expect(compare.code).toBe(2);
    expect(compare.stderr).toBe(`compare: error: --summary ${join(baseline, 'results.json')}: is <baseline> ${baseline}'s results.json, which it would replace: write it elsewhere\n`);
    expect(await readFile(join(baseline, 'results.json'), 'utf8')).toBe(before);
  });

  it('names a folder where report.md goes, and a dangling --out link, before anything runs', async () => {
    const dir = await tmp();
    await mkdir(join(dir, 'run', 'report.md'), { recursive: true });
    const folder = await cli('bench', [tiny, '--out', join(dir, 'run')]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`bench: error: --out ${join(dir, 'run')}: its report.md is a folder, where this run writes a file: remove it, or choose another folder\n`);
    await symlink(join(dir, 'nowhere'), join(dir, 'link'));
    const dangling = await cli('bench', [tiny, '--out', join(dir, 'link')]);
    expect(dangling.code).toBe(2);
    expect(dangling.stderr).toBe(`bench: error: --out ${join(dir, 'link')}: is a symbolic link to ${join(dir, 'nowhere')}, which does not exist: create it, or name another folder\n`);
  });

  it('goes on and exits with its own code when its output is piped into a command that closed early', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/compare.ts', 'results/baseline', 'results/baseline'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((done) => child.on('close', done));
    expect(stderr).not.toMatch(/internal error|EPIPE/);
    expect(code).toBe(0);
  });
});
