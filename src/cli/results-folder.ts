/**
 * Opening a results folder for a command that writes one (bench, report, quality), before anything runs: its
 * outputs checked against its inputs (output-checks.ts), created and probed (paths.ts), a default folder claimed
 * new, the folder locked for this process (folder-lock.ts), and an interrupt made to end the command with one line
 * saying what the folder kept (interrupt.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { claimNewFolder, lockResultsFolder } from './folder-lock.js';
import { onInterrupt } from './interrupt.js';
import { checkOutputs, type CommandInput } from './output-checks.js';
import { prepareOutputs, type OutputTarget } from './paths.js';

export interface ResultsFolderRequest {
  /** The command, for the lock and the interrupt's line: 'bench'. */
  command: string;
  /** `--out` as given; undefined: `defaultDir`, claimed new. */
  out: string | undefined;
  defaultDir: () => string;
  /** Other outputs (`--summary`). */
  others?: readonly OutputTarget[];
  /** What the command reads: no output may replace it. */
  inputs: readonly CommandInput[];
}

/** Checks, creates, claims and locks the results folder; returns its path. Throws a UsageError (nothing created) on bad input. */
export async function openResultsFolder({ command, out, defaultDir, others = [], inputs }: ResultsFolderRequest): Promise<string> {
  const base = out === undefined ? defaultDir() : undefined;
  const folder: OutputTarget = { flag: '--out', path: out ?? dirname(base!), kind: 'folder' };
  await checkOutputs(out === undefined ? others : [folder, ...others], inputs);
  await prepareOutputs([folder, ...others]);
  const dir = out ?? (await claimNewFolder(base!));
  await lockResultsFolder(dir, '--out', command);
  onInterrupt(command, () => keptIn(dir));
  return dir;
}

/** What a results folder holds, for the line an interrupt prints. */
export function keptIn(dir: string): string {
  const file = [join(dir, 'results.json'), join(dir, 'quality.json')].find((path) => existsSync(path));
  if (file === undefined) return `nothing had been measured yet; ${dir} holds no results`;
  try {
    const results = JSON.parse(readFileSync(file, 'utf8')) as { cells?: { scenario?: string }[]; scenarios?: unknown[] };
    if (results.cells === undefined) return `${dir} keeps the ${results.scenarios?.length ?? 0} scenarios trained before`;
    const scenarios = new Set(results.cells.map((cell) => cell.scenario)).size;
    const cells = results.cells.length;
    return `${dir} keeps what was measured before: ${cells} cell${cells === 1 ? '' : 's'} of ${scenarios} scenario${scenarios === 1 ? '' : 's'}`;
  } catch {
    return `${dir} keeps the files written before`;
  }
}
