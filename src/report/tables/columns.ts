/**
 * The CSV columns, as data: one `{ header, value }` per column, in order. The first 26 are the documented
 * layout; the ones after them were added later and stay at the end so column positions never move. A cell's
 * `status` is ok, raised, errored or diverged; a stopped cell's timing columns are empty.
 */
import type { CellResult } from '../../results/cell.js';
import type { ScenarioSummary } from '../../results/run.js';
import { keyOf } from '../../results/key.js';

/**
 * One CSV column: its header and how a cell fills it (null leaves the field empty), given the summary of the
 * cell's scenario where the results have one.
 */
export interface CsvColumn {
  readonly header: string;
  value(cell: CellResult, scenario: ScenarioSummary | undefined): string | number | null;
}

export const CSV_COLUMNS = [
  { header: 'scenario', value: (cell) => cell.scenario },
  { header: 'backend', value: (cell) => cell.backend },
  { header: 'device', value: (cell) => cell.device },
  { header: 'strategy', value: (cell) => cell.strategy },
  { header: 'batch_size', value: (cell) => cell.batchSize },
  { header: 'samples', value: (cell) => cell.timing?.samples ?? null },
  { header: 'time_ms_mean', value: (cell) => cell.timing?.meanMs ?? null },
  { header: 'time_ms_p50', value: (cell) => cell.timing?.p50Ms ?? null },
  { header: 'time_ms_p99', value: (cell) => cell.timing?.p99Ms ?? null },
  { header: 'time_rme_pct', value: (cell) => cell.timing?.rmePct ?? null },
  { header: 'flops', value: (cell) => cell.flops },
  { header: 'flops_predicted', value: (cell) => cell.flopsPredicted },
  { header: 'kernels', value: (cell) => cell.kernels },
  { header: 'g_forwards', value: (cell) => cell.generatorForwards },
  { header: 'd_forwards', value: (cell) => cell.discriminatorForwards },
  { header: 'g_backwards', value: (cell) => cell.generatorBackwards },
  { header: 'd_backwards', value: (cell) => cell.discriminatorBackwards },
  { header: 'backward_calls', value: (cell) => cell.backwardCalls },
  { header: 'wasted_grad_elems', value: (cell) => cell.wastedGradientElements },
  { header: 'peak_bytes', value: (cell) => cell.peakBytes },
  { header: 'retained_bytes', value: (cell) => cell.retainedBytes },
  { header: 'leaked_tensors', value: (cell) => cell.leakedTensors },
  { header: 'equivalent_to', value: (cell) => cell.equivalentTo },
  { header: 'max_param_diff', value: (cell) => cell.maxParamDiff },
  { header: 'status', value: (cell) => cell.status },
  { header: 'error', value: (cell) => cell.error },
  // Added after the layout above; appended so earlier columns keep their positions.
  { header: 'time_ratio', value: (cell) => cell.timeRatio },
  { header: 'order', value: (cell) => cell.order },
  { header: 'equivalence', value: (cell) => cell.equivalence },
  { header: 'device_bytes', value: (cell) => cell.deviceBytes },
  {
    header: 'device_bytes_estimate',
    value: (cell) => (cell.deviceBytesIsEstimate === null ? null : String(cell.deviceBytesIsEstimate)),
  },
  { header: 'gpu_dispatches', value: (cell) => cell.dispatches },
  // The sweep a variant belongs to (empty for a scenario of its own), and D's MACs per sample over G's.
  { header: 'sweep', value: (_cell, scenario) => scenario?.sweep?.name ?? null },
  {
    header: 'd_to_g_macs',
    value: (_cell, scenario) =>
      scenario && scenario.generatorMacsPerSample > 0 ? scenario.discriminatorMacsPerSample / scenario.generatorMacsPerSample : null,
  },
  // BatchNorm: running-statistics updates per network in the observed step (0 without BatchNorm), and the largest
  // difference of D's running statistics to the reference strategy's after the equivalence check's steps.
  { header: 'g_bn_updates', value: (cell) => cell.generatorBatchNormUpdates ?? null },
  { header: 'd_bn_updates', value: (cell) => cell.discriminatorBatchNormUpdates ?? null },
  { header: 'd_running_stats_diff', value: (cell) => cell.maxRunningStatsDiff ?? null },
  // The strategy's step at which its loss or parameters first became non-finite (status 'diverged'); empty otherwise.
  { header: 'diverged_at_step', value: (cell) => (cell.status === 'diverged' ? cell.diverged.step : null) },
  // Data parallelism (issue 18): the ranks, each rank's all-reduces and bytes per steady-state step, the mean ms per
  // step waiting in communication (the slowest rank's), and each network's update against world size 1 (gan_ddp).
  { header: 'world_size', value: (cell) => keyOf(cell).worldSize },
  { header: 'allreduce_calls', value: (cell) => cell.allreduceCalls ?? null },
  { header: 'allreduce_bytes', value: (cell) => cell.allreduceBytes ?? null },
  { header: 'comm_ms', value: (cell) => cell.commMs ?? null },
  {
    header: 'vs_world_size_1',
    value: (cell) => (cell.distributedVerdicts ? `G ${cell.distributedVerdicts.G}; D ${cell.distributedVerdicts.D}` : null),
  },
  // The rest of the cell's key (src/results/key.ts): scenario, backend, strategy and world size are above.
  { header: 'nodes', value: (cell) => keyOf(cell).nodes },
  { header: 'framework', value: (cell) => keyOf(cell).framework },
  { header: 'compile', value: (cell) => keyOf(cell).compile },
  { header: 'precision', value: (cell) => keyOf(cell).precision },
  { header: 'regularizer', value: (cell) => keyOf(cell).regularizer },
  // At world size N with BatchNorm: whether DDP broadcast rank 0's buffers at each forward (its default).
  { header: 'ddp_broadcast_buffers', value: (cell) => (cell.bufferBroadcast == null ? null : String(cell.bufferBroadcast)) },
  // A step variant's measurements (issue 22; empty for eager fp32): torch.compile's cost and Dynamo's counters, fp16's
  // skipped steps and last loss scale, and the update against the same strategy eager in fp32.
  { header: 'compile_ms', value: (cell) => cell.compileMs ?? null },
  { header: 'graph_breaks', value: (cell) => cell.graphBreaks ?? null },
  { header: 'recompiles', value: (cell) => cell.recompiles ?? null },
  { header: 'skipped_steps', value: (cell) => cell.skippedSteps ?? null },
  { header: 'loss_scale_last', value: (cell) => cell.lossScales?.at(-1) ?? null },
  { header: 'vs_eager_fp32', value: (cell) => cell.vsEagerFp32 ?? null },
  // A gradient penalty's double backward (issue 23): backward passes per network that were recorded and differentiated.
  { header: 'g_double_backwards', value: (cell) => cell.generatorDoubleBackwards ?? null },
  { header: 'd_double_backwards', value: (cell) => cell.discriminatorDoubleBackwards ?? null },
] as const satisfies readonly CsvColumn[];

/** The header names, in column order. */
export const CSV_HEADERS: readonly string[] = CSV_COLUMNS.map((column) => column.header);
