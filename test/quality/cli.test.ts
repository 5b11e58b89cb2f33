import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { QUALITY_CSV_COLUMNS } from '../../src/quality/report/csv.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

async function quality(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['src/cli/quality.ts', ...args], { cwd: root, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const CI = ['ring', 'grid', 'mnist', 'dirac'].map((name) => `scenarios/quality/ci/${name}.ts`);

describe('npm run quality', () => {
  it("runs CI's cut-down scenarios end to end on the cpu backend: the CSV, the report section, the pictures", { timeout: 600_000 }, async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'quality-')), 'run');
    const { code, stderr } = await quality([...CI, '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[3\/4\] ci-mnist: .*MNIST is slow/);
    expect(stderr).toMatch(/\[1\/4\] ci-ring: seed 2, single-forward \(training 8\/8\) \(~[^)]+ left in ci-ring\)/);

    const csv = await readFile(join(out, 'quality.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(QUALITY_CSV_COLUMNS.join(','));
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    // Per scenario: 4 strategies x 2 seeds x checkpoints x metrics.
    const expected = { 'ci-ring': 4 * 2 * 4 * 3, 'ci-grid': 4 * 2 * 4 * 3, 'ci-mnist': 4 * 2 * 3 * 3, 'ci-dirac': 4 * 2 * 11 * 3 };
    for (const [scenario, count] of Object.entries(expected)) {
      expect(rows.filter((row) => row.scenario === scenario)).toHaveLength(count);
    }
    expect(new Set(rows.map((row) => row.backend))).toEqual(new Set(['cpu']));
    // The Dirac-GAN starts at (theta, psi) = (1, 1) for every strategy and seed.
    const start = rows.filter((row) => row.scenario === 'ci-dirac' && row.step === '0' && row.metric === 'distance');
    expect(start.map((row) => Number(row.value))).toEqual(Array(8).fill(Math.SQRT2).map((value) => expect.closeTo(value, 6)));
    // Seconds are steps x the strategy's ms per step: 0 at step 0 and growing.
    expect(rows.filter((row) => row.step === '0').every((row) => row.seconds === '0')).toBe(true);
    expect(rows.filter((row) => row.step === '20').every((row) => Number(row.seconds) > 0)).toBe(true);

    const report = await readFile(join(out, 'quality.md'), 'utf8');
    expect(report).toMatch(/^## Does the best step train best\?/);
    for (const name of ['ci-ring', 'ci-grid', 'ci-mnist', 'ci-dirac']) expect(report).toContain(`### ${name} on cpu`);
    expect(report.match(/\| three is the best \| (holds|\*\*does not hold\*\*|inconclusive) \| (holds|\*\*does not hold\*\*|inconclusive) \|/g)).toHaveLength(4);
    expect(report).toMatch(/MNIST classifier \(linear, 1 epoch, trained on wasm( SIMD)?\): held-out accuracy \d+\.\d% on 997 digits/);
    const pictures = [...report.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1]!);
    expect(pictures).toEqual(expect.arrayContaining(['quality-ci-ring-cpu-points.svg', 'quality-ci-grid-cpu-points.svg', 'quality-ci-dirac-cpu-trajectories.svg', 'quality-ci-mnist-cpu-digits-g-first.png']));
    for (const picture of pictures) expect(existsSync(join(out, picture)), picture).toBe(true);
    const png = await readFile(join(out, 'quality-ci-mnist-cpu-digits-g-first.png'));
    expect([...png.subarray(1, 4)].map((byte) => String.fromCharCode(byte)).join('')).toBe('PNG');

    const json = JSON.parse(await readFile(join(out, 'quality.json'), 'utf8'));
    expect(json.scenarios.map((scenario: { scenario: string }) => scenario.scenario)).toEqual(['ci-ring', 'ci-grid', 'ci-mnist', 'ci-dirac']);
    expect(json.scenarios[0].stepTimes).toHaveLength(4);
  });

  it('exits 2 naming the flag at fault, and writes nothing', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'quality-')), 'run');
    const cases: Array<[string[], RegExp]> = [
      [['--seeds', '0'], /--seeds: '0' is not a positive integer/],
      [['--steps', 'many'], /--steps: 'many' is not a positive integer/],
      [['--strategies', 'retain-graph-printed'], /--strategies: strategy 'retain-graph-printed' raises by design/],
      [['--strategies', 'g-last'], /--strategies: unknown strategy 'g-last'/],
      [['--backend', 'tpu'], /--backend: unknown backend 'tpu'/],
      [['--backend', 'cpu,cpu'], /--backend: lists cpu twice/],
      [['--backend', 'auto,pytorch'], /--backend: auto picks one backend and cannot be listed with others/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--regularizer', 'r2'], /--regularizer: unknown value 'r2'/],
      [['--seeds', '3', '--seeds', '5'], /--seeds given twice/],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await quality(['scenarios/quality/ci/dirac.ts', '--out', out, ...flags]);
      expect(code, flags.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('trains under WGAN-GP: the batches carry their interpolation weights, and the rows their regularizer', { timeout: 120_000 }, async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'quality-')), 'run');
    const flags = ['--regularizer', 'wgan-gp', '--strategies', 'g-first,detach-d-first', '--seeds', '1', '--steps', '10', '--out', out];
    const { code, stderr } = await quality(['scenarios/quality/ci/ring.ts', ...flags]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[1\/1\] ci-ring: 2 strategies x 1 seeds x 10 steps, 2 checkpoints each, on backend cpu, regularizer wgan-gp/);
    expect(stderr).toMatch(/done in .*, 2\/2 trainings ok/);
    const rows = parse(await readFile(join(out, 'quality.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.regularizer))).toEqual(new Set(['wgan-gp']));
    const json = JSON.parse(await readFile(join(out, 'quality.json'), 'utf8'));
    expect(json.scenarios.map((scenario: { regularizer: string }) => scenario.regularizer)).toEqual(['wgan-gp']);
  });

  it('trains each regularizer as a unit of its own: progress, rows, sections and pictures name it', { timeout: 120_000 }, async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'quality-')), 'run');
    const flags = ['--regularizer', 'none,r1', '--strategies', 'g-first,detach-d-first', '--seeds', '1', '--steps', '10', '--out', out];
    const { code, stderr } = await quality(['scenarios/quality/ci/ring.ts', ...flags]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[1\/1\] ci-ring, regularizer none: seed 1, g-first \(training 1\/2\)/);
    expect(stderr).toMatch(/\[1\/1\] ci-ring, regularizer r1: done in .*, 2\/2 trainings ok/);
    // Both regularizers timed in the same rounds, in the first unit's session; the second takes its times from there.
    expect(stderr).toMatch(/\[1\/1\] ci-ring, regularizer none: timing each strategy's step under none, r1, in the same interleaved rounds/);
    expect(stderr).toMatch(/\[1\/1\] ci-ring, regularizer r1: step times from the timing of none, r1 together/);
    const json = JSON.parse(await readFile(join(out, 'quality.json'), 'utf8'));
    expect(json.scenarios.map((scenario: { timedWith: string[] }) => scenario.timedWith)).toEqual([['none', 'r1'], ['none', 'r1']]);
    const rows = parse(await readFile(join(out, 'quality.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect([...new Set(rows.map((row) => row.regularizer))]).toEqual(['none', 'r1']);
    const report = await readFile(join(out, 'quality.md'), 'utf8');
    expect([...report.matchAll(/^### (.+)$/gm)].map((match) => match[1])).toEqual([
      'ci-ring on cpu, regularizer none',
      'ci-ring on cpu, regularizer r1',
      'ci-ring on cpu: the regularizers side by side',
    ]);
    expect(report).toMatch(/\| with R1 the simultaneous and alternating updates train alike \| (holds|\*\*does not hold\*\*|inconclusive) \|/);
    expect(report).toContain("Every regularizer's steps were timed in the same interleaved rounds");
    for (const picture of ['quality-ci-ring-cpu-none-points.svg', 'quality-ci-ring-cpu-r1-points.svg']) {
      expect(report).toContain(`](${picture})`);
      expect(existsSync(join(out, picture)), picture).toBe(true);
    }
  });

  it('refuses a scenario without a quality section, naming the file (exit 2)', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'quality-')), 'run');
    const { code, stderr } = await quality(['scenarios/quality/ci/dirac.ts', 'scenarios/ci/small-d.ts', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/scenarios\/ci\/small-d\.ts: has no quality section/);
    expect(existsSync(out)).toBe(false);
  });
});
