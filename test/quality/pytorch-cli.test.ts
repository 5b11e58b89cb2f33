import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../src/backends/pytorch/python.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const python = await findPython().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
if (typeof python === 'string') console.warn(`skipping the quality runs on the pytorch backend: ${python}`);

async function quality(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(tsx, ['src/cli/quality.ts', ...args], { cwd: root, timeout: 600_000, env });
    return { code: 0, stderr };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

const CI = ['ring', 'grid', 'mnist', 'dirac'].map((name) => `scenarios/quality/ci/${name}.ts`);
type Row = Record<string, string>;
const csvRows = async (out: string) => parse(await readFile(join(out, 'quality.csv'), 'utf8'), { columns: true }) as Row[];

describe('npm run quality -- --backend pytorch', () => {
  it.skipIf(typeof python === 'string')(
    "trains CI's cut-down scenarios in PyTorch end to end: timed through the worker, the CSV, the report, the pictures",
    { timeout: 600_000 },
    async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'quality-pytorch-')), 'run');
      const { code, stderr } = await quality([...CI, '--backend', 'pytorch', '--out', out]);
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/\[1\/4\] ci-ring: running on pytorch: pytorch \S+ (cpu|cuda) \(/);
      expect(stderr).toMatch(/\[3\/4\] ci-mnist: .*MNIST is slow/);
      expect(stderr).toMatch(/\[4\/4\] ci-dirac: done in .*, 8\/8 trainings ok/);

      const rows = await csvRows(out);
      const expected = { 'ci-ring': 4 * 2 * 4 * 3, 'ci-grid': 4 * 2 * 4 * 3, 'ci-mnist': 4 * 2 * 3 * 3, 'ci-dirac': 4 * 2 * 11 * 3 };
      for (const [scenario, count] of Object.entries(expected)) expect(rows.filter((row) => row.scenario === scenario)).toHaveLength(count);
      expect(new Set(rows.map((row) => row.backend))).toEqual(new Set(['pytorch']));
      const start = rows.filter((row) => row.scenario === 'ci-dirac' && row.step === '0' && row.metric === 'distance');
      expect(start.map((row) => Number(row.value))).toEqual(Array(8).fill(Math.SQRT2).map((value) => expect.closeTo(value, 6)));
      expect(rows.filter((row) => row.step === '20').every((row) => Number(row.seconds) > 0)).toBe(true);

      const report = await readFile(join(out, 'quality.md'), 'utf8');
      for (const name of ['ci-ring', 'ci-grid', 'ci-mnist', 'ci-dirac']) expect(report).toContain(`### ${name} on pytorch`);
      expect(report).toMatch(/Device: pytorch \S+ (cpu|cuda) \(/);
      expect(report.match(/\| three is the best \| (holds|\*\*does not hold\*\*|inconclusive) \| (holds|\*\*does not hold\*\*|inconclusive) \|/g)).toHaveLength(4);
      expect(report).not.toContain('side by side');
      const pictures = [...report.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1]!);
      expect(pictures).toEqual(
        expect.arrayContaining(['quality-ci-ring-pytorch-points.svg', 'quality-ci-dirac-pytorch-trajectories.svg', 'quality-ci-mnist-pytorch-digits-g-first.png']),
      );
      for (const picture of pictures) expect(existsSync(join(out, picture)), picture).toBe(true);

      expect(report).toMatch(/^Quality run of .*, PyTorch \S+ \(Python \d+\.\d+\.\d+\), /m);
      const json = JSON.parse(await readFile(join(out, 'quality.json'), 'utf8'));
      expect(json.versions).toEqual(expect.objectContaining({ torch: expect.any(String), python: expect.any(String) }));
      for (const scenario of json.scenarios) {
        expect(scenario.backend).toBe('pytorch');
        expect(scenario.stepTimes.map((time: { meanMs: number | null }) => time.meanMs)).toEqual(Array(4).fill(expect.any(Number)));
      }
    },
  );

  it.skipIf(typeof python === 'string')(
    'trains each scenario on cpu and pytorch in one run: both curves in quality.csv, each backend\'s section, then the two side by side',
    { timeout: 600_000 },
    async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'quality-pytorch-')), 'run');
      const { code, stderr } = await quality(['scenarios/quality/ci/ring.ts', 'scenarios/quality/ci/dirac.ts', '--backend', 'cpu,pytorch', '--out', out]);
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/\[1\/2\] ci-ring on cpu: running on cpu/);
      expect(stderr).toMatch(/\[1\/2\] ci-ring on pytorch: running on pytorch/);
      expect(stderr).toMatch(/\[2\/2\] ci-dirac on pytorch: done in/);

      const rows = await csvRows(out);
      for (const backend of ['cpu', 'pytorch']) {
        expect(rows.filter((row) => row.scenario === 'ci-ring' && row.backend === backend)).toHaveLength(4 * 2 * 4 * 3);
        expect(rows.filter((row) => row.scenario === 'ci-dirac' && row.backend === backend)).toHaveLength(4 * 2 * 11 * 3);
      }
      // The same weights, batches and noise: the Dirac-GAN's theta and psi agree to float32 rounding at every checkpoint.
      for (const row of rows.filter((candidate) => candidate.scenario === 'ci-dirac' && candidate.backend === 'cpu')) {
        const twin = rows.find((other) => other.backend === 'pytorch' && ['scenario', 'strategy', 'seed', 'step', 'metric'].every((key) => other[key] === row[key]))!;
        expect(Number(twin.value), `${row.strategy} ${row.step} ${row.metric}`).toBeCloseTo(Number(row.value), 5);
      }

      const report = await readFile(join(out, 'quality.md'), 'utf8');
      const headings = [...report.matchAll(/^### (.+)$/gm)].map((match) => match[1]);
      expect(headings).toEqual([
        'ci-ring on cpu',
        'ci-ring on pytorch',
        'ci-ring: the backends side by side',
        'ci-dirac on cpu',
        'ci-dirac on pytorch',
        'ci-dirac: the backends side by side',
      ]);
      expect(report).toContain('| strategy | ms per step (cpu) | ms per step (pytorch) | final modes covered (cpu) | final modes covered (pytorch) |');
      expect(report).toContain("| the post's claim | per step (cpu) | on time to quality (cpu) | per step (pytorch) | on time to quality (pytorch) |");
      expect(report).toMatch(/Seed for seed, cpu and pytorch first reached the threshold at the same checkpoint \(or both never did\) in 8 of 8 trainings\./);
      for (const backend of ['cpu', 'pytorch']) {
        expect(existsSync(join(out, `quality-ci-ring-${backend}-points.svg`))).toBe(true);
        expect(report).toContain(`](quality-ci-dirac-${backend}-trajectories.svg)`);
      }
      const json = JSON.parse(await readFile(join(out, 'quality.json'), 'utf8'));
      expect(json.settings.backend).toBe('cpu,pytorch');
      expect(json.scenarios.map((scenario: { scenario: string; backend: string }) => `${scenario.scenario} on ${scenario.backend}`)).toEqual([
        'ci-ring on cpu',
        'ci-ring on pytorch',
        'ci-dirac on cpu',
        'ci-dirac on pytorch',
      ]);
    },
  );

  it.skipIf(typeof python === 'string')(
    "trains under WGAN-GP in PyTorch: the worker's batches carry the harness's interpolation weights",
    { timeout: 120_000 },
    async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'quality-pytorch-')), 'run');
      const flags = ['--backend', 'pytorch', '--regularizer', 'wgan-gp', '--strategies', 'g-first,detach-d-first', '--seeds', '1', '--steps', '10', '--out', out];
      const { code, stderr } = await quality(['scenarios/quality/ci/ring.ts', ...flags]);
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/\[1\/1\] ci-ring: done in .*, 2\/2 trainings ok/);
      expect(new Set((await csvRows(out)).map((row) => `${row.backend} ${row.regularizer}`))).toEqual(new Set(['pytorch wgan-gp']));
    },
  );

  it('goes on with the other backends where no Python has PyTorch: the section says why, exit 1', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quality-pytorch-'));
    const out = join(dir, 'run');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const { code, stderr } = await quality(['scenarios/quality/ci/dirac.ts', '--backend', 'pytorch,cpu', '--out', out], {
      ...process.env,
      PATH: `${join(root, 'node_modules/.bin')}:${bin}`,
      GAN_BENCH_PYTHON: '',
      GAN_BENCH_VENV: '',
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/\[1\/1\] ci-dirac on pytorch: not run: backend 'pytorch' is unavailable: no Python with PyTorch found/);
    const report = await readFile(join(out, 'quality.md'), 'utf8');
    expect(report).toMatch(/### ci-dirac on pytorch\n\n.*\n\nNot run: backend 'pytorch' is unavailable: no Python with PyTorch found.*pip install torch/);
    expect(report).toContain('### ci-dirac on cpu');
    expect(report).not.toContain('side by side');
    expect(new Set((await csvRows(out)).map((row) => row.backend))).toEqual(new Set(['cpu']));
  });
});
