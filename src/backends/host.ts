/** The host machine, as results.json and the cpu-side backends describe it. */
import os from 'node:os';

/** The machine a run happened on, as results.json records it. */
export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}

/** "AMD EPYC 7B13, 2 cores": how cpu and wasm name their device. */
export function describeHostCpu(): string {
  const { cpuModel, cpus } = machineInfo();
  return `${cpuModel}, ${cpus} core${cpus === 1 ? '' : 's'}`;
}
