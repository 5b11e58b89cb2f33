import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitDescription, printable, supervise, tailText, type SuperviseOptions } from '../../src/backends/pytorch/supervisor.js';

// Real child processes: small node scripts in a temporary folder, run by this node. Grace periods are short so that
// every test takes a second or two.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pids a test started, killed after it whatever happened (a failing test leaves no process behind). */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

let scripts = 0;
/** A node script with `body`, written to the temporary folder; its path. */
async function script(body: string): Promise<string> {
  const path = join(dir, `child-${++scripts}.mjs`);
  await writeFile(path, body);
  return path;
}

/** Supervises `node <script body>` with short limits. */
async function run(body: string, options: Partial<SuperviseOptions> = {}) {
  const child = supervise({ command: process.execPath, args: [await script(body)], graceMs: 300, ...options });
  if (child.pid !== undefined) started.push(child.pid);
  return child;
}

/** Whether `pid` is a process at all: a zombie (exited, not reaped by its parent) counts. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` runs: a zombie no longer does (it is its parent's to reap, and init's once orphaned). */
function isRunning(pid: number): boolean {
  if (!exists(pid)) return false;
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false;
  }
}

const LISTENED = ['SIGINT', 'SIGTERM', 'exit'] as const;
const listeners = () => LISTENED.map((event) => process.listenerCount(event));

describe('supervise', () => {
  it('reads a child that exits on its own to its end, reaps it and reports its code, its lines and no stop', async () => {
    const before = listeners();
    const lines: string[] = [];
    const child = await run('console.log("one"); process.stdout.write("two\\r\\nthree"); process.exitCode = 3;', {
      onStdoutLine: (line) => lines.push(line),
    });
    expect(listeners()).toEqual(before.map((count) => count + 1));
    const end = await child.ended;
    expect(end).toEqual({ code: 3, signal: null, how: 'exited with code 3', stoppedBy: null, stderrTail: [] });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(child.running).toBe(false);
    // Waited for: not even a zombie is left, and no listener stays on process.
    expect(exists(child.pid!)).toBe(false);
    expect(listeners()).toEqual(before);
  });

  it('keeps the last stderr lines of a crash, control bytes printable, for a message that says how it ended', async () => {
    const child = await run(
      'for (let i = 1; i <= 30; i++) console.error(`log ${i}`);\n' +
        'console.error("\\x1b[31mred\\x1b[0m and a bell\\x07");\n' +
        'console.error(JSON.stringify({ event: "ready" }));\n' +
        'console.error("Fatal: boom"); process.exit(1);',
      { tailLines: 5, onStderrLine: (line) => line.startsWith('{"event"') },
    );
    const end = await child.ended;
    expect(end.how).toBe('exited with code 1');
    // The last 5 log lines: the event line was read, not kept; the escape sequences and the bell are printable.
    expect(end.stderrTail).toEqual(['log 28', 'log 29', 'log 30', '\\x1b[31mred\\x1b[0m and a bell\\x07', 'Fatal: boom']);
    expect(tailText(end.stderrTail, 8)).toMatch(/^; its last stderr lines:\n {4}/);
    expect(printable('\x1b[31mred\x1b[0m and a bell\x07')).toBe('\\x1b[31mred\\x1b[0m and a bell\\x07');
    expect(printable('x'.repeat(5_000))).toHaveLength(1_001);
    expect(exists(child.pid!)).toBe(false);
  });

  it('stops a child with SIGTERM, and one that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const polite = await run('console.log("up"); setInterval(() => {}, 1000);', { onStdoutLine: () => polite.stop('asked to') });
    expect(await polite.ended).toMatchObject({ signal: 'SIGTERM', how: 'killed by SIGTERM', stoppedBy: 'asked to' });

    const stubborn = await run('process.on("SIGTERM", () => console.log("ignored")); console.log("up"); setInterval(() => {}, 1000);', {
      graceMs: 500,
      onStdoutLine: (line) => {
        if (line === 'up') stubborn.stop('asked to');
      },
    });
    const asked = Date.now();
    const end = await stubborn.ended;
    expect(end).toMatchObject({ signal: 'SIGKILL', how: 'killed by SIGKILL', stoppedBy: 'asked to' });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(450);
    expect(exists(stubborn.pid!)).toBe(false);
  }, 10_000);

  it('stops a child that falls silent past its silence limit', async () => {
    const child = await run('console.log("up"); setInterval(() => {}, 1000);', { silenceMs: 300 });
    expect(await child.ended).toMatchObject({ how: 'killed by SIGTERM', stoppedBy: 'it wrote nothing for 0.3 s' });
  }, 10_000);

  it('stops a child that runs past its time limit, though it talks all the while', async () => {
    const started = Date.now();
    // The silence limit leaves room for node's start on a busy machine; the time limit is more than twice it.
    const child = await run('setInterval(() => console.error("busy"), 50);', { silenceMs: 1_000, timeoutMs: 2_500 });
    const end = await child.ended;
    expect(end).toMatchObject({ how: 'killed by SIGTERM', stoppedBy: 'it ran past its time limit of 2.5 s' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_450);
  }, 10_000);

  it('says a command that cannot be run could not be, and leaves no listener', async () => {
    const before = listeners();
    const child = supervise({ command: join(dir, 'no-such-python'), args: [] });
    const end = await child.ended;
    expect(end.how).toMatch(/^could not be run \(spawn .*no-such-python ENOENT\)$/);
    expect(child.running).toBe(false);
    expect(listeners()).toEqual(before);
  });

  it('kills what is left in the group once the child has exited', async () => {
    // The child starts a grandchild in its group and exits at once, leaving it running.
    const pids: number[] = [];
    const child = await run(
      'import { spawn } from "node:child_process";\n' +
        'const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });\n' +
        'console.log(grandchild.pid); grandchild.unref();',
      { onStdoutLine: (line) => pids.push(Number(line)) },
    );
    await child.ended;
    started.push(...pids);
    expect(pids).toHaveLength(1);
    await until(() => !isRunning(pids[0]!), 3_000);
    expect(isRunning(pids[0]!)).toBe(false);
  }, 10_000);

  it('forwards SIGINT to the whole group (a grandchild too) and lets it end this process once the child has ended', async () => {
    const child = await script(
      'import { spawn } from "node:child_process";\n' +
        'const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });\n' +
        'console.log(grandchild.pid); setInterval(() => {}, 1000);',
    );
    const host = join(dir, 'host.mts');
    const supervisor = join(process.cwd(), 'src/backends/pytorch/supervisor.ts');
    await writeFile(
      host,
      `import { supervise } from ${JSON.stringify(supervisor)};\n` +
        `const child = supervise({ command: process.execPath, args: [${JSON.stringify(child)}], graceMs: 5000,\n` +
        '  onStdoutLine: (line) => console.log(JSON.stringify({ child: child.pid, grandchild: Number(line) })) });\n' +
        'setInterval(() => {}, 1000);\n',
    );
    // Plain node with tsx's loader: the tsx command would add its own SIGINT relay.
    const hostProcess = spawn(process.execPath, ['--import', 'tsx', host], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(hostProcess.pid!);
    const pids = JSON.parse(await new Promise<string>((resolve) => hostProcess.stdout.once('data', (data: Buffer) => resolve(data.toString())))) as {
      child: number;
      grandchild: number;
    };
    started.push(pids.child, pids.grandchild);
    expect([isRunning(pids.child), isRunning(pids.grandchild)]).toEqual([true, true]);
    const exited = new Promise((resolve) => hostProcess.once('exit', (_code, signal) => resolve(signal)));
    const interrupted = Date.now();
    hostProcess.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    // Well within the grace period: the child and its grandchild ended by the SIGINT itself, not a later SIGKILL.
    expect(Date.now() - interrupted).toBeLessThan(4_000);
    await until(() => !isRunning(pids.grandchild), 2_000);
    expect({ child: isRunning(pids.child), grandchild: isRunning(pids.grandchild) }).toEqual({ child: false, grandchild: false });
  }, 20_000);

  it('describes an end in words', () => {
    expect(exitDescription(0, null)).toBe('exited with code 0');
    expect(exitDescription(null, 'SIGKILL')).toBe('killed by SIGKILL');
    expect(tailText(['', '  '])).toBe('');
  });
});

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}
