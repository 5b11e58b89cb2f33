/**
 * Runs the cells: for each scenario, the update-equivalence check on cpu, then on the chosen backend each
 * strategy's observed and profiled step (counts, FLOPs, memory, leaks), then the interleaved timing.
 * A failing cell becomes a row with status 'errored' and the run goes on.
 */
import { createRequire } from 'node:module';
import { dispatchesGpuKernels, startBackend, type BackendId, type StartedBackend } from './backends/index.js';
import { machineInfo } from './backends/host.js';
import { calibrateBackend } from './measure/calibration-workloads.js';
import type { StepCounts } from './measure/counts.js';
import { checkEquivalence, type EquivalenceResult } from './measure/equivalence.js';
import type { StepProfile } from './measure/memory.js';
import { observeStep } from './measure/observe.js';
import { measureHarnessOverhead, timeInterleaved } from './measure/timing.js';
import { mean } from './measure/statistics.js';
import { macsPerSample, parameterCount } from './models/mlp.js';
import { createBatches, createGan, disposeBatches, type Gan } from './models/gan.js';
import type { Scenario } from './scenario/schema.js';
import { createStepContext } from './strategies/context.js';
import type { StrategyId } from './strategies/ids.js';
import { strategies } from './strategies/index.js';
import type { StepContext } from './strategies/strategy.js';
import { tf } from './tf.js';
import { buildCell, erroredCell } from './results/cell.js';
import type { CellResult, RunResults, ScenarioSummary } from './types.js';
import type { Calibration } from './measure/calibration.js';

/** Distinct batches the timed steps cycle through (data generation is not part of a training step). */
const BATCH_POOL = 4;

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
}

export interface RunOptions {
  scenarios: readonly LoadedScenario[];
  /** Overrides every scenario's `backend`. */
  backend?: BackendId;
  /** Overrides every scenario's `strategies`. */
  strategies?: readonly StrategyId[];
  /** Runs only this share of the scenarios (1-based index), recorded in the results. */
  shard?: { index: number; count: number } | null;
  /** Awaited: a handler may save results before the run goes on. */
  onEvent?: (event: RunEvent) => void | Promise<void>;
}

export type RunEvent =
  | {
      type: 'scenario-start';
      index: number;
      count: number;
      scenario: Scenario;
      backend: BackendId;
      strategies: StrategyId[];
      /** The least timed milliseconds this scenario's settings ask for (minTimeMs per strategy), and the later ones'. */
      timingFloorMs: number;
      laterTimingFloorMs: number;
    }
  | { type: 'backend-started'; scenario: Scenario; started: StartedBackend }
  | { type: 'phase'; scenario: Scenario; phase: string }
  | { type: 'scenario-end'; index: number; count: number; scenario: Scenario; cells: CellResult[]; results: RunResults };

/** The strategy timings and equivalence are measured against: the post's strategy 1 when it runs. */
export function referenceStrategy(ids: readonly StrategyId[]): StrategyId {
  return ids.includes('retain-graph') ? 'retain-graph' : ids[0]!;
}

const require = createRequire(import.meta.url);
const packageJson = require('../package.json') as { name: string; version: string };

/**
 * Runs every cell of every scenario and returns what results.json holds. `scenario-end` events carry the
 * results so far, so that a caller can save them before the next scenario starts.
 */
export async function runBenchmark(options: RunOptions): Promise<RunResults> {
  const { scenarios, onEvent } = options;
  const allIds = [...new Set(scenarios.flatMap(({ scenario }) => options.strategies ?? scenario.strategies))];
  const overheads: number[] = [];
  const backendLabels: string[] = [];
  const results: RunResults = {
    schemaVersion: 1,
    tool: { name: packageJson.name, version: packageJson.version },
    createdAt: new Date().toISOString(),
    versions: { tfjs: tf.version.tfjs, node: process.version },
    machine: machineInfo(),
    settings: {
      backend: options.backend ?? 'per scenario',
      strategies: allIds,
      referenceStrategy: referenceStrategy(allIds),
      shard: options.shard ?? null,
    },
    harnessOverheadPct: null,
    scenarios: scenarios.map((loaded) => summarizeScenario(loaded, options.strategies)),
    cells: [],
  };
  for (const [index, { scenario }] of scenarios.entries()) {
    const backend = options.backend ?? scenario.backend;
    const ids = [...(options.strategies ?? scenario.strategies)];
    const floors = scenarios.map((loaded) => timingFloorMs(loaded.scenario, options.strategies));
    await onEvent?.({
      type: 'scenario-start',
      index,
      count: scenarios.length,
      scenario,
      backend,
      strategies: ids,
      timingFloorMs: floors[index]!,
      laterTimingFloorMs: floors.slice(index + 1).reduce((a, b) => a + b, 0),
    });
    const outcome = await runScenario(scenario, backend, ids, onEvent);
    if (outcome.overheadPct !== null) overheads.push(outcome.overheadPct);
    if (!backendLabels.includes(outcome.backendLabel)) backendLabels.push(outcome.backendLabel);
    if (outcome.calibration) (results.calibrations ??= []).push(outcome.calibration);
    results.cells.push(...outcome.cells);
    results.settings.backend = backendLabels.join('; ');
    results.harnessOverheadPct = overheads.length > 0 ? Math.max(...overheads) : null;
    await onEvent?.({ type: 'scenario-end', index, count: scenarios.length, scenario, cells: outcome.cells, results });
  }
  return results;
}

/** The least timed milliseconds a scenario asks for: minTimeMs for each strategy it runs. */
function timingFloorMs(scenario: Scenario, strategyOverride?: readonly StrategyId[]): number {
  return (strategyOverride ?? scenario.strategies).length * scenario.measure.minTimeMs;
}

/** The scenario facts reports need. */
export function summarizeScenario({ scenario, file }: LoadedScenario, strategyOverride?: readonly StrategyId[]): ScenarioSummary {
  const generatorWidths = [scenario.generator.latentSize, ...scenario.generator.hidden, scenario.generator.outputSize];
  const discriminatorWidths = [scenario.generator.outputSize, ...scenario.discriminator.hidden, 1];
  const layers = (widths: number[]) => widths.slice(1).map((outputSize, i) => ({ inputSize: widths[i]!, outputSize }));
  return {
    name: scenario.name,
    description: scenario.description,
    file,
    batchSize: scenario.batchSize,
    generatorWidths,
    discriminatorWidths,
    generatorParameters: parameterCount(layers(generatorWidths)),
    discriminatorParameters: parameterCount(layers(discriminatorWidths)),
    generatorMacsPerSample: macsPerSample(layers(generatorWidths)),
    discriminatorMacsPerSample: macsPerSample(layers(discriminatorWidths)),
    strategies: [...(strategyOverride ?? scenario.strategies)],
  };
}

interface ScenarioOutcome {
  cells: CellResult[];
  calibration?: Calibration;
  overheadPct: number | null;
  backendLabel: string;
}

/** One strategy's state on the measured backend. */
interface Trainee {
  id: StrategyId;
  gan: Gan;
  ctx: StepContext;
  counts?: StepCounts;
  profile?: StepProfile;
  dispatches?: number | null;
  error?: string;
}

async function runScenario(
  scenario: Scenario,
  backend: BackendId,
  ids: StrategyId[],
  onEvent: RunOptions['onEvent'],
): Promise<ScenarioOutcome> {
  const reference = referenceStrategy(ids);
  const phase = (name: string) => onEvent?.({ type: 'phase', scenario, phase: name });

  const equivalence = new Map<StrategyId, EquivalenceResult>();
  let equivalenceError: string | null = null;
  if (scenario.measure.equivalenceSteps > 0) {
    phase(`update equivalence on cpu (${scenario.measure.equivalenceSteps} steps per strategy)`);
    try {
      await tf.setBackend('cpu');
      for (const result of await checkEquivalence(scenario, ids, reference, scenario.measure.equivalenceSteps)) {
        equivalence.set(result.strategy, result);
      }
    } catch (error) {
      equivalenceError = `equivalence check failed: ${messageOf(error)}`;
    }
  }

  let started: StartedBackend;
  try {
    started = await startBackend(backend);
  } catch (error) {
    const message = messageOf(error);
    return {
      cells: ids.map((id) => erroredCell(scenario, backend === 'auto' ? 'cpu' : backend, 'none', id, message)),
      overheadPct: null,
      backendLabel: backend,
    };
  }
  await onEvent?.({ type: 'backend-started', scenario, started });
  const { provider, device } = started;
  phase("calibrating the backend (the step's products and an elementwise kernel)");
  const calibration = await calibrateBackend(scenario, provider, device);

  const batches = createBatches(scenario, BATCH_POOL);
  const adam = dispatchesGpuKernels(provider.id) ? 'foreach' : 'for-loop';
  const trainees: Trainee[] = ids.map((id) => {
    const gan = createGan(scenario, adam);
    return { id, gan, ctx: createStepContext(gan) };
  });
  try {
    phase('counting passes, FLOPs and memory (one observed, profiled step per strategy)');
    for (const trainee of trainees) {
      try {
        const { counts, profile, dispatches } = await observeStep(trainee.gan, strategies[trainee.id], batches[0]!, batches[1]!, provider);
        if (profile.leakedTensors !== 0) throw new Error(`leaked ${profile.leakedTensors} tensors in one step`);
        trainee.counts = counts;
        trainee.profile = profile;
        trainee.dispatches = dispatches;
      } catch (error) {
        trainee.error = messageOf(error);
      }
    }

    const healthy = trainees.filter((trainee) => !trainee.error);
    const stepOf = (trainee: Trainee) => {
      let next = 0;
      return () => {
        const batch = batches[next++ % batches.length]!;
        tf.tidy(() => strategies[trainee.id].step(trainee.ctx, batch));
      };
    };
    const timings = await timeInterleaved(
      healthy.map((trainee) => ({ id: trainee.id, step: stepOf(trainee) })),
      {
        ...scenario.measure,
        sync: provider.sync,
        onRound: (round, rounds) => phase(`timing round ${round}/${rounds}`),
      },
    );
    const means = [...timings.values()].map(({ samplesMs }) => meanOf(samplesMs)).filter((ms): ms is number => ms !== null);
    const overheadPct = means.length > 0 ? (100 * (await measureHarnessOverhead(provider.sync))) / mean(means) : null;
    const memory = provider.memory();
    const deviceMemory =
      memory.deviceBytes === undefined ? { bytes: null, isEstimate: null } : { bytes: memory.deviceBytes, isEstimate: memory.isEstimate };

    const referenceMean = meanOf(timings.get(reference)?.samplesMs);
    const cells = trainees.map((trainee) => {
      const timing = timings.get(trainee.id);
      return buildCell({
        scenario,
        backend: provider.id,
        device: device.description,
        strategy: trainee.id,
        error: trainee.error ?? (timing?.error ? messageOf(timing.error) : null),
        observed:
          trainee.counts && trainee.profile
            ? { counts: trainee.counts, profile: trainee.profile, dispatches: trainee.dispatches ?? null, layers: { generator: trainee.gan.generator.layers, discriminator: trainee.gan.discriminator.layers } }
            : null,
        samplesMs: timing?.samplesMs ?? [],
        referenceMeanMs: referenceMean,
        equivalence: equivalence.get(trainee.id) ?? null,
        note: equivalenceError,
        deviceMemory,
      });
    });
    return { cells, calibration, overheadPct, backendLabel: `${provider.id} (${device.description})` };
  } finally {
    for (const trainee of trainees) trainee.gan.dispose();
    disposeBatches(batches);
  }
}

function meanOf(samples: readonly number[] | undefined): number | null {
  return samples && samples.length > 0 ? mean(samples) : null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
