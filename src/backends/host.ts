/** The host machine, as results.json and the cpu-side backends describe it. */
import os from 'node:os';
import type { MachineInfo } from '../types.js';

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
