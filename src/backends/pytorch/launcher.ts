/**
 * Starts gan_ddp's launcher (`python -m gan_ddp.launcher [--nnodes K --node-rank I --rdzv-endpoint HOST:PORT] N
 * job.json`, gan_ddp/launcher.py), which has torchrun's launcher API (its elastic agent, c10d rendezvous: on one
 * machine at 127.0.0.1 and a free port) start this node's share of the N ranks, and stops them all when one fails,
 * hangs past its limits, or the launcher gets SIGTERM or SIGINT. The supervisor (supervisor.ts) makes sure the
 * launcher itself ends: past its own limits plus a margin, or when this process gets SIGINT or SIGTERM (forwarded to
 * it, SIGKILL after a grace period), and only then lets the signal take its course.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryArguments, entryEnvironment, packageRoot } from './packages.js';
import { supervise, tailText } from './supervisor.js';

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
  /** `refused`: the regularizer refused the strategy (WGAN-GP in a one-forward step), in the worker's words. */
  status: 'ok' | 'raised' | 'refused';
  error?: { type: string; message: string; phase: string };
  ranks_agree?: boolean;
  timing?: {
    steady: { allreduce_calls: number; allreduce_bytes: number };
    /** The timed steps grouped by their counts (lazy R1's phase steps apart); absent from older ranks. */
    steps_by_count?: GanDdpStepsByCount[];
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

export interface GanDdpStepsByCount {
  allreduce_calls: number;
  allreduce_bytes: number;
  /** These steps ran lazy R1's phase. */
  lazy_phase: boolean;
  steps: number;
}

export interface GanDdpNetworkCheck {
  vsWorld1: number;
  vsShardOnly: number;
  acrossRanks: number;
  verdict: 'equal' | 'shard-only' | 'differs';
}

/** This node's place in a run on several machines (`--nnodes`, `--node-rank`, `--rdzv-endpoint`). */
export interface NodePlacement {
  /** Nodes in all; the world size is every node's ranks together, worldSize / count on each. */
  count: number;
  /** 0: the node that runs the harness and writes the results (it hosts the rendezvous). */
  rank: number;
  /** HOST:PORT of node 0's rendezvous store. */
  endpoint: string;
}

export interface LaunchOptions {
  python: string;
  worldSize: number;
  /** Absent: every rank on this machine. */
  nodes?: NodePlacement;
  /** How long the rendezvous may wait for every node, seconds (60 by default). */
  rendezvousTimeoutS?: number;
  job: Record<string, unknown>;
  /** The launcher's limits (seconds): the whole run, and without a line from any rank. */
  timeoutS: number;
  silenceS: number;
  /** Each event a rank reports (the launcher echoes them to stderr as JSON lines). */
  onEvent?: (event: Record<string, unknown>) => void;
  /** The launcher's process id, once started (tests). */
  onSpawn?: (pid: number) => void;
}

/** Past the launcher's own limits, the margin this end gives it to stop its ranks and print its outcome. */
const MARGIN_S = 30;

/** Runs the launcher to its end and returns its outcome; throws where it printed none (it crashed, or was stopped). */
export async function launchRanks(options: LaunchOptions): Promise<LauncherOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'gan-ddp-'));
  try {
    const jobFile = join(dir, 'job.json');
    const rendezvousTimeoutS = options.rendezvousTimeoutS ?? 60;
    await writeFile(jobFile, JSON.stringify({ ...options.job, launchTimeoutS: options.timeoutS, silenceS: options.silenceS, rendezvousTimeoutS }));
    return await runLauncher(options, jobFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runLauncher(options: LaunchOptions, jobFile: string): Promise<LauncherOutcome> {
  const root = packageRoot('gan_ddp');
  const { args, pythonPath } = entryArguments({ module: 'gan_ddp.launcher', root }, process.env);
  let last = '';
  const nodes = options.nodes;
  const placement = nodes ? ['--nnodes', String(nodes.count), '--node-rank', String(nodes.rank), '--rdzv-endpoint', nodes.endpoint] : [];
  // Before the ranks' first line the launcher waits on the rendezvous (its limit, then a minute to start the ranks).
  const quietS = Math.max(options.silenceS, (options.rendezvousTimeoutS ?? 60) + 60);
  const launcher = supervise({
    command: options.python,
    args: [...args, ...placement, String(options.worldSize), jobFile],
    cwd: root,
    env: entryEnvironment(pythonPath, process.env),
    timeoutMs: (options.timeoutS + MARGIN_S) * 1000,
    // The launcher echoes every rank line it counts against its silence limit: quiet past it and the margin, it hangs.
    silenceMs: (quietS + MARGIN_S) * 1000,
    onStdoutLine: (line) => {
      if (line.trim() !== '') last = line.trim();
    },
    onStderrLine: (line) => {
      try {
        options.onEvent?.(JSON.parse(line) as Record<string, unknown>);
        return true;
      } catch {
        return false;
      }
    },
  });
  if (launcher.pid !== undefined) options.onSpawn?.(launcher.pid);
  const end = await launcher.ended;
  if (end.stoppedBy === null && last.startsWith('{')) {
    try {
      return JSON.parse(last) as LauncherOutcome;
    } catch {
      // not the launcher's outcome: reported below
    }
  }
  const how = end.stoppedBy ?? `it ${end.how} without an outcome`;
  throw new Error(`gan_ddp's launcher (world size ${options.worldSize}) stopped: ${how}; its ranks were stopped with it${tailText(end.stderrTail)}`);
}
