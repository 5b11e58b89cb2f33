/**
 * The report's data-parallel section for one scenario (issue 18), data in, markdown out: each world size N > 1
 * beside world size 1 (step time, all-reduce calls and bytes, time in communication, the update against world
 * size 1), the ring model checked against this machine's measured communication, and its projection to links people
 * have at world sizes 8 to 1,024. The post's claims at world size N are judged in the scenario's side-by-side table
 * (their cells form their own group).
 */
import { formatCount } from '../../format.js';
import type { CellOk, CellResult } from '../../results/cell.js';
import { checkLinkModel, largestError, renderLinkCheck, type LinkCheckMeasurements } from './link-check.js';
import { fitRingModel, LINKS, PROJECTED_WORLD_SIZES, projectedStepMs, ringCommMs, type MeasuredComm } from './projection.js';
import { describeUnit, keyId, keyOf, unitKeyId } from '../../results/key.js';
import { groupBy } from '../tables/grouping.js';
import { renderTable, type MarkdownColumn } from '../tables/tables.js';

const ms = (value: number | null | undefined) => (value == null ? '—' : value.toFixed(2));

interface Row {
  strategy: string;
  single: CellResult | undefined;
  distributed: CellResult;
}

const COLUMNS: readonly MarkdownColumn<Row>[] = [
  { header: 'strategy', align: 'left', value: (row) => row.strategy },
  { header: 'ms / step, world size 1', align: 'right', value: (row) => (row.single?.status === 'ok' ? ms(row.single.timing.meanMs) : (row.single?.status ?? '—')) },
  { header: 'ms / step (slowest rank)', align: 'right', value: (row) => (row.distributed.status === 'ok' ? ms(row.distributed.timing.meanMs) : row.distributed.status) },
  { header: 'all-reduces / step', align: 'right', value: (row) => (row.distributed.allreduceCalls == null ? '—' : String(row.distributed.allreduceCalls)) },
  { header: 'bytes / step', align: 'right', value: (row) => (row.distributed.allreduceBytes == null ? '—' : formatCount(row.distributed.allreduceBytes)) },
  { header: 'ms in all-reduce', align: 'right', value: (row) => ms(row.distributed.commMs) },
  {
    header: 'update vs world size 1',
    align: 'left',
    value: (row) => {
      const verdicts = row.distributed.distributedVerdicts;
      if (verdicts) return verdicts.G === verdicts.D ? `G and D: ${verdicts.G}` : `G: ${verdicts.G}, D: ${verdicts.D}`;
      return row.distributed.status === 'ok' ? '—' : (row.distributed.error ?? '—').split('\n')[0]!.slice(0, 120);
    },
  },
];

/** The measured cells the ring model is fitted to: ok cells at world size N that communicated. */
function measuredComm(cells: readonly CellResult[]): (MeasuredComm & { strategy: string })[] {
  return cells.flatMap((cell) =>
    cell.status === 'ok' && cell.allreduceCalls != null && cell.allreduceBytes != null && cell.commMs != null && cell.allreduceCalls > 0
      ? [{ strategy: cell.strategy, allreduceCalls: cell.allreduceCalls, allreduceBytes: cell.allreduceBytes, commMs: cell.commMs }]
      : [],
  );
}

export const RING_MODEL_TEXT =
  'The model (ring all-reduce): per step each rank sends and receives 2(N-1)/N × B bytes and waits 2(N-1) latencies per ' +
  'all-reduce call, so comm(N) = calls × 2(N-1) × α + 2(N-1)/N × B / β, and step(N) = compute + comm(N) (no overlap with ' +
  "the backward pass: an upper bound). B and calls are a strategy's measured bytes and all-reduces per step (per rank; " +
  'they do not depend on N); compute is its measured world size 1 step on this machine, each rank on a shard the size ' +
  "of this scenario's batch (weak scaling: the global batch grows with N). α and β: the links' figures below (latencies assumed).";

/** The model fitted to this machine's measured communication at world size N, and its prediction per strategy. */
export function renderModelCheck(cells: readonly CellResult[], worldSize: number): string {
  const measured = measuredComm(cells);
  const fit = fitRingModel(measured, worldSize);
  if (!fit) return `Not checked against this machine: no strategy at world size ${worldSize} communicated and was measured.`;
  const lines = measured.map((cell, i) => `${cell.strategy} ${ms(fit.predictedMs[i])} predicted, ${ms(cell.commMs)} measured`);
  return (
    `Checked here: fitted by least squares to the measured ms in all-reduce at world size ${worldSize} (this machine's ` +
    `gloo), α = ${(fit.latencySeconds * 1e6).toFixed(1)} µs and β = ${formatCount(Math.round(fit.bytesPerSecond / 1e6))} MB/s; ` +
    `the model then gives ${lines.join('; ')}.`
  );
}

/** The projection: per strategy that communicates, per world size, per link, the step's ms and its share in communication. */
export function renderProjection(single: readonly CellResult[], distributed: readonly CellResult[]): string {
  const rows = distributed.flatMap((cell) => {
    const own = single.find((candidate) => candidate.strategy === cell.strategy);
    if (cell.status !== 'ok' || own?.status !== 'ok' || cell.allreduceCalls == null || cell.allreduceBytes == null) return [];
    const traffic = { allreduceCalls: cell.allreduceCalls, allreduceBytes: cell.allreduceBytes };
    return PROJECTED_WORLD_SIZES.map((worldSize) => ({ strategy: cell.strategy, worldSize, computeMs: (own as CellOk).timing.meanMs, traffic }));
  });
  if (rows.length === 0) return 'No projection: no strategy was measured at both world sizes.';
  type ProjectionRow = (typeof rows)[number];
  const columns: MarkdownColumn<ProjectionRow>[] = [
    { header: 'strategy', align: 'left', value: (row) => row.strategy },
    { header: 'N', align: 'right', value: (row) => formatCount(row.worldSize) },
    ...LINKS.map(
      (link): MarkdownColumn<ProjectionRow> => ({
        header: `${link.name}: ms / step (comm %)`,
        align: 'right',
        value: (row) => {
          const step = projectedStepMs(row.computeMs, row.traffic, row.worldSize, link);
          return `${ms(step)} (${Math.round((100 * ringCommMs(row.traffic, row.worldSize, link)) / step)}%)`;
        },
      }),
    ),
  ];
  return renderTable(columns, rows);
}

/**
 * The scenario's data-parallel section, or null where it ran at world size 1 only: one part per unit above world size
 * 1 (its key without the strategy: src/results/key.ts), beside the unit whose key differs only in its world size.
 */
export function renderDistributedSection(cells: readonly CellResult[], linkCheck?: LinkCheckMeasurements): string | null {
  const distributedUnits = groupBy(
    cells.filter((cell) => keyOf(cell).worldSize > 1),
    (cell) => unitKeyId(cell),
  ).sort((a, b) => keyOf(a[0]!).worldSize - keyOf(b[0]!).worldSize);
  if (distributedUnits.length === 0) return null;
  // World size 1 runs on one machine: a unit on several nodes stands beside it too.
  const besideWorldSize1 = (cell: CellResult) => keyId(cell, ['strategy', 'worldSize', 'nodes']);
  return distributedUnits
    .map((distributed) => {
      const { worldSize } = keyOf(distributed[0]!);
      const single = cells.filter((cell) => keyOf(cell).worldSize === 1 && besideWorldSize1(cell) === besideWorldSize1(distributed[0]!));
      const rows = distributed.map((cell) => ({ strategy: cell.strategy, single: single.find((s) => s.strategy === cell.strategy), distributed: cell }));
      return [
        `### World size ${worldSize} beside world size 1 (${describeUnit({ ...distributed[0]!, worldSize: 1 }).split(' / ').slice(1).join(' · ')})`,
        'Per rank and steady-state step; ms / step is the slowest rank\'s, the ranks synchronised before the clock starts and stops; ' +
          "\"shard-only\": the network's update is its rank's shard's alone (its gradient was never all-reduced), with no error. " +
          `The post's claims at world size ${worldSize} are in the side-by-side table above; their time claims use the slowest rank's step, ` +
          `their count claims world size 1's counts (gan_ddp observes no passes, FLOPs or memory: the world size ${worldSize} table below carries world size 1's).`,
        renderTable(COLUMNS, rows),
        `#### Projection to other links, world sizes ${PROJECTED_WORLD_SIZES.map((n) => formatCount(n)).join(', ')}`,
        RING_MODEL_TEXT,
        renderModelCheck(distributed, worldSize),
        ...(linkCheck ? [renderLinkCheck(linkCheck)] : []),
        renderProjection(single, distributed),
        ...(linkCheck ? [measuredErrorLine(linkCheck)] : []),
      ].join('\n\n');
    })
    .join('\n\n');
}

/** Under the projection: how far the same model missed on a real, shaped link (the check above). */
function measuredErrorLine(linkCheck: LinkCheckMeasurements): string {
  const worst = largestError(checkLinkModel(linkCheck));
  return worst === null
    ? "The model's error on a shaped link: not measured."
    : `The model's measured error on a shaped link (two nodes, tbf, above): at most ${Math.round(100 * worst)}% per strategy and rate; the projection is no closer than that.`;
}
