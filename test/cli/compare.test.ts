import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/types.js';
import { makeCell, makeRun, normalSamples, seededRandom } from '../compare/fixtures.js';
import { cli } from './run-cli.js';

let directory: string;

async function runCompare(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await cli('compare', args);
  return { status: code, stdout, stderr };
}

async function writeResults(name: string, run: RunResults): Promise<string> {
  const folder = join(directory, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'results.json'), JSON.stringify(run, null, 2));
  return folder;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'compare-cli-'));
  const random = seededRandom(21);
  await writeResults('baseline', makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 20, 10, 0.2) })] }));
  await writeResults('noise', makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 20, 10, 0.2) })] }));
  await writeResults('slower', makeRun({ cells: [makeCell({ samplesMs: normalSamples(random, 20, 13, 0.2) })] }));
  await writeResults('two-strategies', makeRun({ cells: [makeCell(), makeCell({ strategy: 'g-first' })] }));
  await writeFile(join(directory, 'old-schema.json'), JSON.stringify({ schemaVersion: 0, cells: [] }));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the compare CLI', () => {
  it('exits 1 and prints the regression when the current run is 30% slower', async () => {
    const result = await runCompare(join(directory, 'baseline'), join(directory, 'slower', 'results.json'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('## ❌ 1 regression');
  });

  it('exits 0 on noise and writes the same markdown to --summary', async () => {
    const summary = join(directory, 'out', 'summary.md');
    const result = await runCompare(join(directory, 'baseline'), join(directory, 'noise'), '--summary', summary, '--threshold', '5%');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('## ✅ No regression');
    expect(await readFile(summary, 'utf8')).toBe(result.stdout);
  });

  it('exits 2 on a missing file and names its path', async () => {
    const missing = join(directory, 'nowhere', 'results.json');
    const result = await runCompare(join(directory, 'baseline'), missing);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(result.stdout).toBe('');
  });

  it('exits 2 on a file that is not a schemaVersion 1 results.json and names the file', async () => {
    const file = join(directory, 'old-schema.json');
    const result = await runCompare(file, join(directory, 'baseline'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}: is not a schemaVersion 1 results.json`);
    expect(result.stderr).toContain('schemaVersion');
  });

  it('exits 2 on a bad flag value and names the flag', async () => {
    const threshold = await runCompare(join(directory, 'baseline'), join(directory, 'noise'), '--threshold', '10');
    expect(threshold.status).toBe(2);
    expect(threshold.stderr).toContain("--threshold '10' is ambiguous: write 10% or 0.1");
    const metric = await runCompare(join(directory, 'baseline'), join(directory, 'noise'), '--metric-threshold', 'kernels=5%');
    expect(metric.status).toBe(2);
    expect(metric.stderr).toContain('--metric-threshold: kernels is a count and must match exactly');
    const mode = await runCompare(join(directory, 'baseline'), join(directory, 'noise'), '--mode', 'fast');
    expect(mode.status).toBe(2);
    expect(mode.stderr).toContain("--mode expects one of auto, ratio, absolute, got 'fast'");
  });

  it('a per-metric threshold on the command line lets the 30% slowdown through', async () => {
    const result = await runCompare(join(directory, 'baseline'), join(directory, 'slower'), '--metric-threshold', 'time=50%');
    expect(result.status).toBe(0);
  });

  it('prints usage with examples and exit codes on --help and exits 0', async () => {
    const result = await runCompare('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: npm run compare -- <baseline> <current>');
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('  3  the harness itself crashed');
  });

  it('exits 1 when a baseline cell is missing from the current run, and 0 with --allow-missing', async () => {
    const [missing, allowed] = await Promise.all([
      runCompare(join(directory, 'two-strategies'), join(directory, 'noise')),
      runCompare(join(directory, 'two-strategies'), join(directory, 'noise'), '--allow-missing'),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('## ❌ 1 baseline cell missing from the current run');
    expect(missing.stdout).toContain('| tiny / cpu / g-first | cell | ok | — | — | — | ❌ missing from the current run |');
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('## ✅ No regression (1 baseline cell missing, allowed by --allow-missing)');
  });

  it('checks the --summary path before comparing: a folder there exits 2 naming it', async () => {
    const result = await runCompare(join(directory, 'baseline'), join(directory, 'noise'), '--summary', directory);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`compare: error: --summary ${directory}: cannot be written: is a folder, not a file\n`);
    expect(result.stdout).toBe('');
  });
});
