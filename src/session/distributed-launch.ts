/**
 * Starts gan_ddp's launcher (`python -m gan_ddp.launcher N job.json`, src/backends/pytorch/gan_ddp/launcher.py),
 * which starts the N ranks as torchrun does (env:// on 127.0.0.1, a free port, each rank in its own session) and
 * kills them all when one fails, hangs past its limits, or the launcher gets SIGTERM. This end makes sure the
 * launcher itself ends: past its own limits plus a margin, or when this process gets SIGINT or SIGTERM, it sends
 * the launcher SIGTERM (SIGKILL after a grace period), waits for it, and only then lets the signal take its course.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `python -m gan_ddp.launcher` prints: per strategy, each rank's cell, for the strategies every rank finished. */
export interface LauncherOutcome {
  ok: boolean;
  error: string | null;
  results: Record<string, GanDdpCell[]>;
  returncodes: (number | null)[];
}

/** One rank's cell as gan_ddp writes it (gan_ddp/README.md, "A cell"); only what the harness reads is typed. */
export interface GanDdpCell {
  strategy: string;
  rank: number;
  world_size: number;
  status: 'ok' | 'raised';
  error?: { type: string; message: string; phase: string };
  ranks_agree?: boolean;
  timing?: {
    steady: { allreduce_calls: number; allreduce_bytes: number };
    step_ms: number[];
    comm_ms: number[];
  };
  equivalence?: {
    /** The optimizer and G loss the check ran with: the scenario's, as the ranks' GAN was built. */
    optimizer: 'adam' | 'sgd';
    loss: 'non-saturating' | 'minimax';
    equal: boolean;
    maxParamDiff: number;
    /** The verdict: the scenario's optimizer and loss. */
    networks: Record<'G' | 'D', GanDdpNetworkCheck>;
    /** Plain SGD at the scenario's rates and with its loss, beside an Adam scenario (Adam's first step hides a gradient's scale); null for an SGD one. */
    sgdProbe: Record<'G' | 'D', GanDdpNetworkCheck> | null;
  };
  /** Null without BatchNorm. `broadcastBuffers`: rank 0's buffers were broadcast to every rank at each forward (DDP's default). */
  batch_norm?: {
    layers: Record<'G' | 'D', number>;
    broadcastBuffers: boolean;
    /** After the equivalence check's steps (the scenario's optimizer); null where the cell raised, a network's null without BatchNorm. */
    runningStats: Record<'G' | 'D', { vsWorld1: number; acrossRanks: number } | null> | null;
  } | null;
}

export interface GanDdpNetworkCheck {
  vsWorld1: number;
  vsShardOnly: number;
  acrossRanks: number;
  verdict: 'equal' | 'shard-only' | 'differs';
}

export interface LaunchOptions {
  python: string;
  worldSize: number;
  job: Record<string, unknown>;
  /** The launcher's limits (seconds): the whole run, and without a line from any rank. */
  timeoutS: number;
  silenceS: number;
  /** Each event a rank reports (the launcher echoes them to stderr as JSON lines). */
  onEvent?: (event: Record<string, unknown>) => void;
  /** The launcher's process id, once started (tests). */
  onSpawn?: (pid: number) => void;
}

const GRACE_MS = 5000;

/** src/backends/pytorch, where the `gan_ddp` package lives: beside this module, or under the working directory when bundled. */
export function ganDdpParent(cwd = process.cwd(), moduleUrl: string | undefined = import.meta.url): string {
  if (moduleUrl?.startsWith('file:')) {
    const beside = fileURLToPath(new URL('../backends/pytorch/', moduleUrl));
    if (existsSync(join(beside, 'gan_ddp'))) return beside;
  }
  return resolve(cwd, 'src/backends/pytorch');
}

/** Runs the launcher to its end and returns its outcome; throws where it printed none (it crashed, or was stopped). */
export async function launchRanks(options: LaunchOptions): Promise<LauncherOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'gan-ddp-'));
  try {
    const jobFile = join(dir, 'job.json');
    await writeFile(jobFile, JSON.stringify({ ...options.job, launchTimeoutS: options.timeoutS, silenceS: options.silenceS }));
    return await runLauncher(options, jobFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runLauncher(options: LaunchOptions, jobFile: string): Promise<LauncherOutcome> {
  const parent = ganDdpParent();
  const env = { ...process.env, PYTHONPATH: [parent, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
  // Its own process group: a terminal's Ctrl-C reaches this process only, which stops the launcher in order.
  const child = spawn(options.python, ['-m', 'gan_ddp.launcher', String(options.worldSize), jobFile], {
    cwd: parent,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderrLine = '';
    const stderrTail: string[] = [];
    let stoppedBy: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: string) => {
      if (stoppedBy !== null || child.exitCode !== null || child.signalCode !== null) return;
      stoppedBy = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    };
    let signalled: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      signalled = signal;
      stop(`this process got ${signal}`);
    };
    // Node exiting without a signal (process.exit): the launcher still gets SIGTERM and stops its ranks on its own.
    const onExit = () => child.kill('SIGTERM');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
    const deadline = setTimeout(() => stop(`the launcher outlived its own ${options.timeoutS} s limit`), (options.timeoutS + 30) * 1000);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (stderrLine + chunk).split('\n');
      stderrLine = lines.pop() ?? '';
      for (const line of lines) {
        try {
          options.onEvent?.(JSON.parse(line) as Record<string, unknown>);
        } catch {
          stderrTail.push(line);
          if (stderrTail.length > 20) stderrTail.shift();
        }
      }
    });
    child.on('error', (error) => stop(error.message));
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
      // The ranks are gone: the signal now does what it would have done (exit), unless someone else handles it.
      if (signalled !== null && process.listenerCount(signalled) === 0) process.kill(process.pid, signalled);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (stoppedBy === null && last.startsWith('{')) {
        try {
          resolvePromise(JSON.parse(last) as LauncherOutcome);
          return;
        } catch {
          // not the launcher's outcome: reported below
        }
      }
      const how = stoppedBy ?? `it ${signal ? `was killed by ${signal}` : `exited with code ${String(code)}`} without an outcome`;
      const tail = stderrTail.length > 0 ? `\n  ${stderrTail.slice(-8).join('\n  ')}` : '';
      reject(new Error(`gan_ddp's launcher (world size ${options.worldSize}) stopped: ${how}; its ranks were stopped with it${tail}`));
    });
  });
}
