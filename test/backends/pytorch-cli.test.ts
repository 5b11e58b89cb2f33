import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { STRATEGY_IDS, strategies } from '../../src/strategies/index.js';
import { findPython, probePython } from '../../src/backends/pytorch/python.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const python = await findPython().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
if (typeof python === 'string') console.warn(`skipping the pytorch command-line test: ${python}`);
// The two versions CI tests: Debian's 1.13 at /usr/bin/python3, 2.x in the project's venv.
const versions = await Promise.all([probePython('/usr/bin/python3'), probePython(join(root, '.venv/bin/python'))]);
const [oldest, newest] = versions.map((found) => ('torch' in found ? found : null));
const twoVersions = oldest?.torch.startsWith('1.') === true && newest?.torch.startsWith('2.') === true;

async function bench(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(tsx, ['src/cli/bench.ts', ...args], { cwd: root, timeout: 180_000, env });
    return { code: 0, stderr };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('npm run bench -- --backend pytorch', () => {
  it.skipIf(typeof python === 'string')('measures scenarios/ci/small-d.ts in PyTorch and writes pytorch rows to results.csv', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-pytorch-')), 'run');
    const { code, stderr } = await bench(['scenarios/ci/small-d.ts', '--backend', 'pytorch', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/ci-small-d: running on pytorch: pytorch \S+ (cpu|cuda) \(/);
    expect(stderr).toMatch(/update equivalence in float64 on the cpu \(pytorch, 3 steps per strategy\)/);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.backend, row.strategy, row.status])).toEqual(
      STRATEGY_IDS.map((id) => ['pytorch', id, strategies[id].raises ? 'raised' : 'ok']),
    );
    const row = (strategy: string) => rows.find((candidate) => candidate.strategy === strategy)!;
    expect(row('retain-graph-printed').error).toMatch(/one of the variables needed for gradient computation has been modified by an inplace operation/);
    expect(row('detach-d-first-printed').error).toMatch(/Trying to backward through the graph a second time/);
    // The same counts as the cpu backend's committed baseline.
    const baseline = parse(await readFile(join(root, 'results/baseline/results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    for (const row of rows.filter(({ status }) => status === 'ok')) {
      const cpu = baseline.find((line) => line.scenario === 'ci-small-d' && line.strategy === row.strategy)!;
      for (const column of ['flops', 'g_forwards', 'd_forwards', 'g_backwards', 'd_backwards', 'backward_calls', 'wasted_grad_elems']) {
        expect(row[column], `${row.strategy} ${column}`).toBe(cpu[column]);
      }
      expect(row.flops).toBe(row.flops_predicted);
      expect(row.leaked_tensors).toBe('0');
      expect(Number(row.time_ms_mean)).toBeGreaterThan(0);
    }
    expect(rows.map((row) => row.equivalence)).toEqual(['reference', 'different', 'identical', 'identical', 'different', '', '']);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.versions.torch).toBeTruthy();
  });

  it.skipIf(typeof python === 'string')(
    'measures cpu and pytorch in one run: both backends\' rows, tfjs\'s equivalence check once, a report with two verdict columns',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'bench-multi-'));
      const file = join(dir, 'small-d-quick.ts');
      await writeFile(
        file,
        `import scenario from ${JSON.stringify(join(root, 'scenarios/ci/small-d.ts'))};\n` +
          'export default { ...scenario, measure: { warmupSteps: 1, minSamples: 2, minTimeMs: 0, rounds: 1, equivalenceSteps: 1 } };\n',
      );
      const out = join(dir, 'run');
      const { code, stderr } = await bench([file, '--backend', 'cpu,pytorch', '--out', out]);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain(`[1/1] ci-small-d: ${STRATEGY_IDS.length} strategies on backends cpu, pytorch`);
      expect(stderr).toMatch(/\[1\/1\] ci-small-d · pytorch \(2\/2\): running on pytorch: pytorch /);
      expect(stderr.match(/update equivalence on cpu/g)).toHaveLength(1);
      expect(stderr.match(/update equivalence in float64 on the cpu \(pytorch/g)).toHaveLength(1);
      const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      const statuses = STRATEGY_IDS.map((id) => [id, strategies[id].raises ? 'raised' : 'ok']);
      expect(rows.map((row) => [row.backend, row.strategy, row.status])).toEqual([
        ...statuses.map((status) => ['cpu', ...status]),
        ...statuses.map((status) => ['pytorch', ...status]),
      ]);
      // The same counts on both backends, cell by cell.
      for (const cpu of rows.filter((row) => row.backend === 'cpu' && row.status === 'ok')) {
        const pytorch = rows.find((row) => row.backend === 'pytorch' && row.strategy === cpu.strategy)!;
        for (const column of ['flops', 'g_forwards', 'd_forwards', 'g_backwards', 'd_backwards', 'backward_calls', 'wasted_grad_elems']) {
          expect(pytorch[column], `${pytorch.strategy} ${column}`).toBe(cpu[column]);
        }
      }
      const report = await readFile(join(out, 'report.md'), 'utf8');
      expect(report).toContain("### The post's claims on cpu and pytorch");
      expect(report).toContain('| Claim | cpu | pytorch | Rule |');
      expect(report).toMatch(/\*\*TensorFlow\.js and PyTorch agree\*\*|\*\*Where TensorFlow\.js and PyTorch disagree\*\*/);
      expect(report).toContain('**Cost structures side by side**');
      expect(report).toMatch(/- \*\*retain-graph-printed\*\*.*tfjs 4\.22\.0 \(cpu\) raised in `g_loss\.backward\(\)`: “one of the variables needed for gradient computation has been modified by an inplace operation.*PyTorch \S+ raised in `g_loss\.backward\(\)`: “RuntimeError: one of the variables needed/);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
      expect(results.calibrations.map((calibration: { backend: string }) => calibration.backend)).toEqual(['cpu', 'pytorch']);
      // compare and report read the run back.
      const compared = await run(tsx, ['src/cli/compare.ts', out, out], { cwd: root, timeout: 60_000 });
      expect(compared.stdout).toContain('ci-small-d / pytorch / retain-graph-printed');
    },
  );

  it.skipIf(typeof python === 'string')('refuses a scenario too big for the machine in seconds, before the worker allocates it (no OOM killer)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-pytorch-huge-'));
    const file = join(dir, 'huge.ts');
    await writeFile(file, `import tiny from ${JSON.stringify(join(root, 'test/fixtures/tiny.js'))};\nexport default { ...tiny, name: 'huge', generator: { ...tiny.generator, hidden: [65536, 65536, 65536] } };\n`);
    const started = Date.now();
    const { code, stderr } = await bench([file, '--backend', 'pytorch', '--out', join(dir, 'run'), '--strategies', 'g-first']);
    expect(code, stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const rows = parse(await readFile(join(dir, 'run', 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.strategy, row.status])).toEqual([['g-first', 'errored']]);
    expect(rows[0]!.error).toMatch(/^needs about \S+ GiB \(parameters 32.0 GiB, .*\), more than the .* of (free system memory|the GPU's memory .*) pytorch can use$/);
  });

  it('goes on with the other backends where one cannot start: its cells fail with the install hint, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-pytorch-'));
    const out = join(dir, 'run');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--backend', 'pytorch,cpu', '--out', out], {
      ...process.env,
      PATH: `${join(root, 'node_modules/.bin')}:${bin}`,
      GAN_BENCH_PYTHON: '',
      GAN_BENCH_VENV: '',
    });
    expect(code, stderr).toBe(1);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.backend, row.status])).toEqual([
      ...STRATEGY_IDS.map(() => ['pytorch', 'errored']),
      ...STRATEGY_IDS.map((id) => ['cpu', strategies[id].raises ? 'raised' : 'ok']),
    ]);
    expect(rows[0]!.error).toContain('pip install torch');
  });

  it('fails the cells with the install hint, and exits 1, where no Python has PyTorch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-pytorch-'));
    const out = join(dir, 'run');
    // A PATH with Node and no Python at all.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const { code, stderr } = await bench(['test/fixtures/tiny.ts', '--backend', 'pytorch', '--out', out], {
      ...process.env,
      PATH: `${join(root, 'node_modules/.bin')}:${bin}`,
      GAN_BENCH_PYTHON: '',
      GAN_BENCH_VENV: '',
    });
    expect(code, stderr).toBe(1);
    const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(STRATEGY_IDS.length);
    for (const row of rows) {
      expect(row).toMatchObject({ backend: 'pytorch', status: 'errored' });
      expect(row.error).toContain("backend 'pytorch' is unavailable: no Python with PyTorch found");
      expect(row.error).toContain('pip install torch');
      expect(row.error).toContain('apt install python3-torch libopenblas0-pthread');
    }
  });

  // CI tests two versions: Debian's 1.13 at /usr/bin/python3 and 2.13 in the project's venv. A BatchNorm D run on real,
  // then generated, before one backward under DistributedDataParallel raises on 1.13 (DDP's buffer broadcast writes
  // into what BatchNorm saved) and runs on 2.13: the difference stays visible, side by side, in one results folder.
  it.runIf(twoVersions || process.env['CI'] === 'true')(
    '--python with PyTorch 1.13 and 2.13 measures both into one report: at world size 2 a BatchNorm D raises on 1.13 and runs on 2.13',
    async () => {
      expect(twoVersions, `CI needs Debian's PyTorch 1.13 at /usr/bin/python3 and 2.x in .venv: ${JSON.stringify(versions)}`).toBe(true);
      const out = join(await mkdtemp(join(tmpdir(), 'bench-versions-')), 'run');
      const pythons = `/usr/bin/python3,${join(root, '.venv/bin/python')}`;
      const { code, stderr } = await bench(['test/fixtures/tiny-dcgan.ts', '--python', pythons, '--world-size', '2', '--strategies', 'g-first', '--out', out]);
      expect(code, stderr).toBe(0);
      const rows = parse(await readFile(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      const at = (framework: string, worldSize: string) => rows.find((row) => row.framework === framework && row.world_size === worldSize)!;
      const [v1, v2] = [`torch ${oldest!.torch}`, `torch ${newest!.torch}`];
      expect(rows.map(({ framework, world_size }) => `${framework} ${world_size}`)).toEqual([`${v1} 1`, `${v1} 2`, `${v2} 1`, `${v2} 2`]);
      expect(at(v1, '1').status).toBe('ok');
      expect(at(v1, '2')).toMatchObject({ status: 'raised' });
      expect(at(v1, '2').error).toContain('one of the variables needed for gradient computation has been modified by an inplace operation');
      expect(at(v2, '2')).toMatchObject({ status: 'ok', ddp_broadcast_buffers: 'true' });
      // Equal counts on both versions at world size 1 (the same step), each version's cells its own.
      expect(at(v1, '1').flops).toBe(at(v2, '1').flops);
      const report = await readFile(join(out, 'report.md'), 'utf8');
      expect(report).toContain(`### The post's claims on pytorch · ${v1}, pytorch · world size 2 · ${v1}, pytorch · ${v2} and pytorch · world size 2 · ${v2}`);
    },
    240_000,
  );
});
