/**
 * The public result types, for the public API (src/index.ts): each lives with the code that makes it and is only
 * re-exported here. Code inside src/ imports them from where they live.
 */
export type { MachineInfo } from './backends/host.js';
export type { EquivalenceClass } from './measure/equivalence.js';
export type { TimingStats } from './measure/statistics.js';
export type { SweepTag } from './scenario/sweep.js';
export type {
  CellDistributedOnly,
  CellDiverged,
  CellErrored,
  CellIdentity,
  CellOk,
  CellRaised,
  CellResult,
  CellStatus,
  CountsIfObserved,
  DeviceMemoryFields,
  Divergence,
  EquivalenceFields,
  ObservedCounts,
  StoppedCell,
} from './results/cell.js';
export type { RunResults, ScenarioSummary } from './results/run.js';
