/**
 * What a run writes to results.json: its settings, machine and scenarios, and one `CellResult` per
 * scenario × backend × strategy. CSV rows, reports, comparisons and merges all read these.
 */
import { machineInfo, type MachineInfo } from '../backends/host.js';
import { tf } from '../tf.js';
import { TOOL } from '../tool.js';
import type { Calibration } from '../measure/calibration.js';
import type { SweepTag } from '../scenario/sweep.js';
import type { StrategyId } from '../strategies/ids.js';
import { elementSizes, macsPerSample, parameterCount } from '../scenario/shapes.js';
import type { Scenario } from '../scenario/schema.js';
import { scenarioLayers, type CellResult } from './cell.js';

/** What a report needs to know about a scenario besides its cells. */
export interface ScenarioSummary {
  name: string;
  description: string;
  file: string;
  batchSize: number;
  generatorWidths: number[];
  discriminatorWidths: number[];
  generatorParameters: number;
  discriminatorParameters: number;
  /** Multiply-accumulates of one forward pass over one sample. */
  generatorMacsPerSample: number;
  discriminatorMacsPerSample: number;
  strategies: StrategyId[];
  /** The sweep this scenario is a variant of, and its axis values; absent for a scenario of its own. */
  sweep?: SweepTag;
}

export interface RunResults {
  /** Bumped when the layout changes incompatibly. */
  schemaVersion: 1;
  tool: { name: string; version: string };
  createdAt: string;
  versions: { tfjs: string; [pkg: string]: string };
  machine: MachineInfo;
  settings: {
    backend: string;
    strategies: StrategyId[];
    /** The strategy whose time the `timeRatio`s divide by. */
    referenceStrategy: StrategyId;
    shard: { index: number; count: number } | null;
  };
  /**
   * False while the run is going, and so in the files an interrupted run leaves; true once every scenario ran.
   * Absent in files written before the field existed.
   */
  complete?: boolean;
  /** Harness time inside a timed step (an empty step through the same loop and sync) over the mean step time, in percent. */
  harnessOverheadPct: number | null;
  scenarios: ScenarioSummary[];
  cells: CellResult[];
  /** Each backend's product and elementwise throughput at each scenario's shapes (absent in files written before it). */
  calibrations?: Calibration[];
}

/**
 * What every results file opens with, bench's and quality's alike: the layout version, the tool, when, the versions
 * that ran and the machine.
 */
export function runProvenance(): Pick<RunResults, 'schemaVersion' | 'tool' | 'createdAt' | 'machine'> & { versions: { tfjs: string; node: string } } {
  return {
    schemaVersion: 1,
    tool: { ...TOOL },
    createdAt: new Date().toISOString(),
    versions: { tfjs: tf.version.tfjs, node: process.version },
    machine: machineInfo(),
  };
}

/** The scenario facts reports need, with the strategies its units ran. */
export function summarizeScenario({ scenario, file, sweep }: { scenario: Scenario; file: string; sweep?: SweepTag }, strategies: readonly StrategyId[]): ScenarioSummary {
  const layers = scenarioLayers(scenario);
  return {
    name: scenario.name,
    description: scenario.description,
    file,
    batchSize: scenario.batchSize,
    // Elements per sample along each network: an MLP's widths; a convolutional network's channels x height x width.
    generatorWidths: elementSizes(layers.generator),
    discriminatorWidths: elementSizes(layers.discriminator),
    generatorParameters: parameterCount(layers.generator),
    discriminatorParameters: parameterCount(layers.discriminator),
    generatorMacsPerSample: macsPerSample(layers.generator),
    discriminatorMacsPerSample: macsPerSample(layers.discriminator),
    strategies: [...strategies],
    ...(sweep ? { sweep } : {}),
  };
}
