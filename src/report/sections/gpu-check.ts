/**
 * The GPU check's table (docs/gpu-check.md), data in, markdown out: per webgpu run, strategy and batch, the webgpu
 * step time against PyTorch's for the same cell from the same results, their ratio and whether it is within the
 * goal (3x), kernels and dispatches per step, FLOPs per step, and the FLOP/s each side reaches against the float32
 * peak the pytorch backend measured on the device. scripts/gpu-check.ts writes it after every backend of every
 * scenario, so a check cut short still has its table.
 */
import { isDistributedOnly } from '../../strategies/ids.js';
import { RUNNABLE_STRATEGY_IDS, strategies, type StrategyId } from '../../strategies/index.js';
import type { CellResult } from '../../results/cell.js';
import type { RunResults } from '../../results/run.js';
import { formatFlopRate } from './calibration.js';
import { DASH, formatRatio, significant } from '../../format.js';
import { formatDiff, plainText, renderTable, type MarkdownColumn } from '../tables/tables.js';

/** The goal: a webgpu step within this factor of PyTorch's. */
export const GOAL_RATIO = 3;

/** What scripts/gpu-check.ts records beside a run's results.json (gpu-check.json): how webgpu was set up. */
export interface GpuCheckMeta {
  /** The webgpu adapter as src/backends/webgpu.ts summarises it; null where webgpu did not start. */
  adapter: { isNullDevice?: boolean; isFallbackAdapter?: boolean; dawnOptions?: string[] } | null;
  /** tfjs flags as requested (`--flag`) and the WebGPU overhead flags as they were when the backend ran. */
  flagsRequested: Record<string, unknown>;
  webgpuFlags: Record<string, unknown>;
}

/** One run of the check: the main one (webgpu and PyTorch) or a variant (webgpu only, e.g. on Dawn's null device). */
export interface GpuCheckRun {
  label: string;
  /** Null where the run left no results (it never started, or died before its first save): `problem` says why. */
  results: RunResults | null;
  meta: GpuCheckMeta | null;
  problem?: string;
}

interface Row {
  label: string;
  webgpu: CellResult;
  pytorch: CellResult | undefined;
  computes: boolean;
  peak: number | null;
}

const meanOf = (cell: CellResult | undefined): number | null => (cell?.status === 'ok' ? (cell.timing?.meanMs ?? null) : null);
const ms = (value: number | null) => (value === null ? 'n/a' : value >= 1 ? value.toFixed(2) : value.toFixed(3));
const count = (value: number | null | undefined) => (value == null ? 'n/a' : String(value));
const gflop = (value: number | null | undefined) => (value == null ? 'n/a' : `${(value / 1e9).toFixed(3)} G`);
const rateOf = (cell: CellResult | undefined, computes = true): number | null => {
  const mean = meanOf(cell);
  return computes && mean && cell?.flops != null ? cell.flops / (mean / 1000) : null;
};
const percent = (rate: number | null, peak: number | null) => (rate === null || !peak ? 'n/a' : `${significant((100 * rate) / peak)} %`);
const ratioOf = (row: Row): number | null => {
  const [webgpu, pytorch] = [meanOf(row.webgpu), meanOf(row.pytorch)];
  return webgpu !== null && pytorch ? webgpu / pytorch : null;
};

const COLUMNS: readonly MarkdownColumn<Row>[] = [
  { header: 'run', align: 'left', value: (row) => row.label },
  { header: 'strategy', align: 'left', value: (row) => row.webgpu.strategy },
  { header: 'batch', align: 'right', value: (row) => String(row.webgpu.batchSize) },
  { header: 'webgpu ms', align: 'right', value: (row) => ms(meanOf(row.webgpu)) },
  { header: 'PyTorch ms', align: 'right', value: (row) => ms(meanOf(row.pytorch)) },
  { header: 'ratio', align: 'right', value: (row) => (ratioOf(row) === null ? 'n/a' : formatRatio(ratioOf(row))) },
  {
    header: `<= ${GOAL_RATIO}x`,
    align: 'left',
    value: (row) => {
      if (row.webgpu.status !== 'ok') return `failed: ${plainText(row.webgpu.error ?? '', 80)}`;
      const ratio = ratioOf(row);
      return ratio === null ? 'n/a' : ratio <= GOAL_RATIO ? 'yes' : 'no';
    },
  },
  { header: 'webgpu kernels/step', align: 'right', value: (row) => count(row.webgpu.kernels) },
  { header: 'dispatches/step', align: 'right', value: (row) => count(row.webgpu.dispatches) },
  { header: 'PyTorch kernels/step', align: 'right', value: (row) => count(row.pytorch?.kernels) },
  { header: 'webgpu FLOP/step', align: 'right', value: (row) => gflop(row.webgpu.flops) },
  { header: 'PyTorch FLOP/step', align: 'right', value: (row) => gflop(row.pytorch?.flops) },
  { header: 'webgpu FLOP/s', align: 'right', value: (row) => formatFlopRate(rateOf(row.webgpu, row.computes)).replace(DASH, 'n/a') },
  { header: '% peak', align: 'right', value: (row) => percent(rateOf(row.webgpu, row.computes), row.peak) },
  { header: 'PyTorch FLOP/s', align: 'right', value: (row) => formatFlopRate(rateOf(row.pytorch)).replace(DASH, 'n/a') },
  { header: '% peak ', align: 'right', value: (row) => percent(rateOf(row.pytorch), row.peak) },
];

const cellKey = (cell: CellResult) => `${cell.scenario}\u0000${cell.strategy}`;

/** "retain-graph, g-first and single-forward agree; detach-d-first differs (max Δ 8.7e-4)", checked against each strategy's update order. */
function equivalenceLines(side: string, cells: readonly CellResult[]): string[] {
  const lines: string[] = [];
  const scenarios = [...new Set(cells.map((cell) => cell.scenario))];
  for (const scenario of scenarios) {
    const checked = cells.flatMap((cell) =>
      cell.scenario === scenario && cell.equivalence !== null && cell.equivalentTo !== null && !isDistributedOnly(cell.strategy) ? [{ ...cell, strategy: cell.strategy }] : [],
    );
    if (checked.length === 0) continue;
    const parts = checked.map((cell) => {
      const reference = cell.equivalentTo as StrategyId;
      const expectedSame = strategies[cell.strategy].order === strategies[reference].order;
      const same = cell.equivalence !== 'different';
      const words = cell.equivalence === 'reference' ? 'reference' : `${cell.equivalence} (max Δ ${formatDiff(cell.maxParamDiff)})`;
      return `${cell.strategy} ${words}${same === expectedSame ? '' : ' **NOT AS EXPECTED**'}`;
    });
    lines.push(`- ${side}, ${scenario}: ${parts.join('; ')}.`);
  }
  return lines;
}

/**
 * The check's markdown: what ran where (the GPU, PyTorch, the float32 peak, each webgpu run's adapter and flags),
 * the table, how many cells meet the goal, the update checks on both sides, and every failed cell.
 */
export function renderGpuCheck(runs: readonly GpuCheckRun[]): string {
  const all = runs.flatMap((run) => run.results?.cells ?? []);
  const pytorchCells = all.filter((cell) => cell.backend === 'pytorch');
  const reference = new Map<string, CellResult>();
  for (const cell of pytorchCells) if (!reference.has(cellKey(cell))) reference.set(cellKey(cell), cell);
  const peakOf = runs
    .flatMap((run) => run.results?.calibrations ?? [])
    .find((calibration) => calibration.backend === 'pytorch' && calibration.fp32Peak)?.fp32Peak;
  const peak = peakOf?.flopsPerSecond ?? null;
  const torch = runs.map((run) => run.results?.versions['torch']).find(Boolean);

  const lines = ['# GPU check: tfjs-webgpu against PyTorch, balanced GAN', ''];
  lines.push(`- PyTorch: ${pytorchCells[0] ? `${pytorchCells[0].device}` : 'no cells (not run, or it did not start)'}${torch ? `; torch ${torch}` : ''}`);
  lines.push(
    `- measured float32 peak: ${
      peakOf ? `${formatFlopRate(peakOf.flopsPerSecond)} (best of ${peakOf.repeats} products of ${peakOf.size}³, ${peakOf.precision ?? 'TF32 off'})` : 'n/a (PyTorch did not run on CUDA)'
    }`,
  );
  for (const run of runs) {
    if (!run.results) {
      lines.push(`- webgpu run \`${run.label}\`: no results (${run.problem ?? 'it left none'})`);
      continue;
    }
    const webgpu = run.results.cells.find((cell) => cell.backend === 'webgpu');
    const flags = run.meta?.webgpuFlags ?? {};
    lines.push(
      `- webgpu run \`${run.label}\`: ${webgpu?.device ?? 'no webgpu cells'}; tfjs ${run.results.versions.tfjs}; ` +
        `flags requested ${JSON.stringify(run.meta?.flagsRequested ?? {})}; WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=${String(flags['WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'] ?? 'n/a')}`,
    );
    if (run.results.complete === false) lines.push(`  - **\`${run.label}\` did not finish (stopped at its time limit?): the table shows what it measured**`);
    const adapter = run.meta?.adapter;
    if (adapter?.isNullDevice) {
      lines.push(
        `  - **\`${run.label}\` ran on Dawn's null device (${(adapter.dawnOptions ?? []).join(' ')}): nothing was computed, its times are ` +
          "the host's own overhead per step (JavaScript, tfjs, Dawn encoding), a floor under any GPU's time on this host**",
      );
    } else if (adapter?.isFallbackAdapter) {
      lines.push(`  - **\`${run.label}\` ran on a software (CPU) adapter: its times say nothing about a GPU**`);
    }
  }
  lines.push('', `Goal: webgpu step time <= ${GOAL_RATIO}x PyTorch's for the same strategy and batch.`, '');

  const rows: Row[] = runs.flatMap((run) =>
    (run.results?.cells ?? [])
      .filter((cell) => cell.backend === 'webgpu' && (RUNNABLE_STRATEGY_IDS as readonly string[]).includes(cell.strategy))
      .map((webgpu) => ({ label: run.label, webgpu, pytorch: reference.get(cellKey(webgpu)), computes: !run.meta?.adapter?.isNullDevice, peak })),
  );
  lines.push(rows.length ? renderTable(COLUMNS, rows) : 'No webgpu cells to compare.');
  const met = rows.filter((row) => row.webgpu.status === 'ok' && (ratioOf(row) ?? Infinity) <= GOAL_RATIO).length;
  lines.push('', `${met} of ${rows.length} cells within ${GOAL_RATIO}x of PyTorch.`);

  // tfjs's check runs once per scenario (on its cpu backend), in whichever run did not skip it.
  const tfjsChecked = new Map<string, CellResult[]>();
  for (const cell of all.filter((candidate) => candidate.backend !== 'pytorch' && candidate.equivalence !== null)) {
    const owner = tfjsChecked.get(cell.scenario);
    if (!owner) tfjsChecked.set(cell.scenario, [cell]);
    else if (owner[0]!.backend === cell.backend && owner[0]!.device === cell.device && !owner.some((other) => other.strategy === cell.strategy)) owner.push(cell);
  }
  const checks = [...equivalenceLines('tfjs (cpu)', [...tfjsChecked.values()].flat()), ...equivalenceLines('PyTorch (float64, cpu)', pytorchCells)];
  if (checks.length) lines.push('', 'Update checks (from identical weights and data; a simultaneous strategy must match retain-graph, an alternating one differ):', ...checks);
  const failed = all.filter((cell) => cell.status === 'errored' || cell.status === 'diverged');
  if (failed.length) lines.push('', 'Failed cells:', ...failed.map((cell) => `- ${cell.backend} ${cell.scenario} ${cell.strategy}: ${plainText(cell.error ?? 'no message', 300)}`));
  return `${lines.join('\n')}\n`;
}
