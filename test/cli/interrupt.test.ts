import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './run-cli.js';

/**
 * A command's process (onInterrupt installed) whose write of three files gets SIGINT after the first file is
 * written: `signals` more SIGINTs follow it.
 */
function interruptedWrite(dir: string, signals: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    import { onInterrupt } from ${JSON.stringify(join(root, 'src/cli/interrupt.ts'))};
    import { writeFilesAtomically } from ${JSON.stringify(join(root, 'src/cli/write-atomic.ts'))};
    import { writeFile } from 'node:fs/promises';
    import { setTimeout as sleep } from 'node:timers/promises';
    onInterrupt('bench', () => 'kept what was written');
    let written = 0;
    const slowWrite = async (path, data) => {
      await writeFile(path, data);
      if (written++ === 0) for (let i = 0; i <= ${signals}; i++) { process.kill(process.pid, 'SIGINT'); await sleep(50); }
      await sleep(100);
    };
    const files = ['results.json', 'results.csv', 'report.md'].map((name) => ({ path: ${JSON.stringify(dir)} + '/' + name, data: 'new ' + name }));
    await writeFilesAtomically(files, { write: slowWrite });
    console.error('not reached: the interrupt ends the command once the write is done');
    await sleep(5000);
  `;
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 }, (error, _stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

async function oldSet(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'interrupt-'));
  for (const name of ['results.json', 'results.csv', 'report.md']) await writeFile(join(dir, name), `old ${name}`);
  return dir;
}

describe('an interrupt while results are written', () => {
  it('is held until the whole set is renamed into place, then ends the command with exit 130 and a line saying what was kept', async () => {
    const dir = await oldSet();
    const { code, stderr } = await interruptedWrite(dir, 0);
    expect(code).toBe(130);
    expect(stderr).toBe('bench: SIGINT: finishing the write under way, then stopping\nbench: interrupted (SIGINT): kept what was written\n');
    expect((await readdir(dir)).sort()).toEqual(['report.md', 'results.csv', 'results.json']);
    for (const name of ['results.json', 'results.csv', 'report.md']) expect(await readFile(join(dir, name), 'utf8')).toBe(`new ${name}`);
  });

  it('a second interrupt stops at once and leaves the old set whole (its temporary files are the next run\'s to remove)', async () => {
    const dir = await oldSet();
    const { code, stderr } = await interruptedWrite(dir, 1);
    expect(code).toBe(130);
    expect(stderr).toMatch(/SIGINT again: stopping in the middle of writing/);
    for (const name of ['results.json', 'results.csv', 'report.md']) expect(await readFile(join(dir, name), 'utf8')).toBe(`old ${name}`);
  });
});
