/**
 * Whether two runs' absolute step times can be compared (same machine) or only their times relative to
 * the reference strategy (`timeRatio`), which travel between machines.
 */
import type { MachineInfo } from '../backends/host.js';
import type { RunResults } from '../results/run.js';

export const COMPARE_MODES = ['auto', 'ratio', 'absolute'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];
export type ResolvedMode = Exclude<CompareMode, 'auto'>;

/** The machine fields that decide "same machine": what changes step times, not what names the host. */
const MACHINE_IDENTITY = ['cpuModel', 'platform', 'arch', 'cpus'] as const satisfies readonly (keyof MachineInfo)[];

/** The identity fields that differ between two machines, as "cpuModel: A vs B"; empty when they match. */
export function machineDifferences(baseline: MachineInfo, current: MachineInfo): string[] {
  return MACHINE_IDENTITY.filter((field) => baseline[field] !== current[field]).map(
    (field) => `${field}: ${String(baseline[field])} vs ${String(current[field])}`,
  );
}

/** The run-level mode and why: `auto` picks absolute on the same machine and ratio across machines. */
export function resolveMode(requested: CompareMode, baseline: RunResults, current: RunResults): { mode: ResolvedMode; reason: string } {
  const differences = machineDifferences(baseline.machine, current.machine);
  if (requested === 'absolute') {
    return { mode: 'absolute', reason: differences.length === 0 ? 'requested; same machine' : `requested, although machines differ (${differences.join('; ')})` };
  }
  if (requested === 'ratio') return { mode: 'ratio', reason: 'requested' };
  return differences.length === 0
    ? { mode: 'absolute', reason: 'auto: same machine (cpu model, platform, arch, cpus)' }
    : { mode: 'ratio', reason: `auto: different machines (${differences.join('; ')})` };
}
