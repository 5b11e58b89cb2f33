import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import type { RunResults } from '../../src/types.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../src/backends/pytorch/python.js';
import { cli, startCli } from './run-cli.js';

const python = await findPython().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
const hasTorch = typeof python !== 'string';

/** Every process under `pid` (its children, theirs, ...), as [pid, command line]. */
function descendants(pid: number): Array<[number, string]> {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      return match ? [{ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }] : [];
    });
  const found: Array<[number, string]> = [];
  const walk = (parent: number) => {
    for (const row of table.filter((candidate) => candidate.ppid === parent)) {
      found.push([row.pid, row.args]);
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('bench --world-size', () => {
  it('refuses a world size the batch does not divide before anything is measured, naming the flag', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'world-size-')), 'run');
    const odd = await cli('bench', ['scenarios/ci/small-d.ts', '--backend', 'pytorch', '--world-size', '3', '--out', out]);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('--world-size: 3 does not divide the batch size 16');
    expect(existsSync(out)).toBe(false);
    const word = await cli('bench', ['scenarios/ci/small-d.ts', '--world-size', 'two']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain("--world-size: expected a whole number from 1 to 1024, not 'two'");
  }, 60_000);

  it("refuses gan_ddp's distributed-only strategies at world size 1 before anything is measured, naming the flag", async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'world-size-')), 'run');
    const alone = await cli('bench', ['scenarios/ci/small-d.ts', '--backend', 'pytorch', '--strategies', 'stylegan2-ada', '--out', out]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--strategies: stylegan2-ada runs at a world size above 1 only (gan_ddp's distributed-only forms, no tfjs form): add --world-size 2 or more");
    const one = await cli('bench', ['scenarios/ci/small-d.ts', '--strategies', 'g-first,stylegan3-flat', '--world-size', '1', '--out', out]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--strategies: stylegan3-flat runs at a world size above 1 only');
    const only = await cli('bench', ['scenarios/ci/small-d.ts', '--strategies', 'stylegan2-ada', '--world-size', '2', '--out', out]);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('--strategies: names only distributed-only strategies; name one of retain-graph,');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it.skipIf(!hasTorch)('runs world size 2 on two nodes (two bench processes on loopback): node 0 writes every cell, the other node nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'two-nodes-'));
    const out = join(dir, 'run');
    // A free port for the rendezvous: bind to 0, read it, let it go.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: found } = server.address() as AddressInfo;
        server.close(() => resolve(found));
      });
    });
    const common = ['scenarios/ci/small-d.ts', '--backend', 'pytorch', '--strategies', 'g-first', '--world-size', '2', '--nnodes', '2', '--rdzv-endpoint', `127.0.0.1:${port}`];
    const [other, first] = await Promise.all([
      cli('bench', [...common, '--node-rank', '1', '--out', join(dir, 'never')]),
      cli('bench', [...common, '--node-rank', '0', '--out', out]),
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain('its ranks finished; node 0 writes the results');
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map(({ strategy, worldSize, nodes, status, allreduceCalls }) => ({ strategy, worldSize, nodes, status, allreduceCalls }))).toEqual([
      { strategy: 'g-first', worldSize: 1, nodes: 1, status: 'ok', allreduceCalls: null },
      // g-first's DDP step all-reduces G once and D twice (docs/distributed.md), wherever the ranks are.
      { strategy: 'g-first', worldSize: 2, nodes: 2, status: 'ok', allreduceCalls: 3 },
    ]);
  }, 240_000);

  it.skipIf(!hasTorch)('stops every rank when the run is interrupted while they run', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'world-size-')), 'run');
    const child = startCli('bench', ['scenarios/ci/small-d.ts', '--backend', 'pytorch', '--world-size', '2', '--out', out]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // Wait for both ranks to be up under the launcher.
    let ranks: Array<[number, string]> = [];
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      ranks = descendants(child.pid!).filter(([, args]) => args.includes('gan_ddp.rank'));
      if (ranks.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ranks, stderr).toHaveLength(2);
    child.kill('SIGINT');
    // Exit 130, as a shell reports SIGINT (src/cli/interrupt.ts), once every rank has stopped.
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/bench: interrupted \(SIGINT\)/);
    for (const [pid] of ranks) expect(isRunning(pid), `rank ${pid}`).toBe(false);
    // What was measured before (world size 1) was written when its backend ended.
    expect(existsSync(join(out, 'results.json'))).toBe(true);
  }, 200_000);
});
