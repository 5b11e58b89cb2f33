/**
 * The ring model checked on a real, shaped link (issue 24): scripts/link_check.py's measurements (two nodes in two
 * network namespaces joined by a veth pair, tc tbf at each rate) in, the model's prediction beside each measured
 * all-reduce time out. Data in, markdown out.
 *
 * The prediction for a shaped rate R: α and the link's own per-byte cost from the unshaped link (fitted there by
 * `fitRingModel`: what the same two ranks pay per message and per byte without tbf: gloo, the copies, the veth),
 * plus the wire at R: comm = calls × 2(N-1) × α + 2(N-1)/N × B × (1/β_unshaped + 8/R). The per-byte costs add
 * because a step's bytes go through both, one after the other, on every hop.
 */
import { formatCount } from '../../format.js';
import { renderTable, type MarkdownColumn } from '../tables/tables.js';
import { fitRingModel, ringCommMs } from './projection.js';

/** One strategy at one rate, as scripts/link_check.py writes it (node 0's rank 0; medians over the timed steps). */
export interface LinkStrategyMeasurement {
  allreduceCalls: number;
  allreduceBytes: number;
  commMs: number | null;
  stepMs: number | null;
}

/** scripts/link_check.py's output. */
export interface LinkCheckMeasurements {
  worldSize: number;
  nodes: number;
  scenario: string;
  rates: { rate: string; bitsPerSecond: number | null; strategies: Record<string, LinkStrategyMeasurement> }[];
}

export interface LinkCheckRow {
  strategy: string;
  rate: string;
  allreduceCalls: number;
  allreduceBytes: number;
  predictedMs: number;
  measuredMs: number;
  stepMs: number | null;
  /** (predicted - measured) / measured. */
  error: number;
}

export interface LinkCheck {
  /** Fitted on the unshaped link. */
  latencySeconds: number;
  unshapedBytesPerSecond: number;
  rows: LinkCheckRow[];
}

/** The model's prediction at every shaped rate beside the measurement; null where the unshaped link gives no fit. */
export function checkLinkModel(measurements: LinkCheckMeasurements): LinkCheck | null {
  const { worldSize } = measurements;
  const unshaped = measurements.rates.find((rate) => rate.bitsPerSecond === null);
  if (!unshaped) return null;
  const measured = Object.values(unshaped.strategies).flatMap((m) => (m.commMs === null || m.allreduceCalls === 0 ? [] : [{ ...m, commMs: m.commMs }]));
  const fit = fitRingModel(measured, worldSize);
  if (!fit) return null;
  const rows = measurements.rates.flatMap((rate) => {
    if (rate.bitsPerSecond === null) return [];
    const bytesPerSecond = 1 / (1 / fit.bytesPerSecond + 8 / rate.bitsPerSecond);
    return Object.entries(rate.strategies).flatMap(([strategy, m]) => {
      if (m.commMs === null || m.allreduceCalls === 0) return [];
      const predictedMs = ringCommMs(m, worldSize, { latencySeconds: fit.latencySeconds, bytesPerSecond });
      return [{ strategy, rate: rate.rate, allreduceCalls: m.allreduceCalls, allreduceBytes: m.allreduceBytes, predictedMs, measuredMs: m.commMs, stepMs: m.stepMs, error: (predictedMs - m.commMs) / m.commMs }];
    });
  });
  return { latencySeconds: fit.latencySeconds, unshapedBytesPerSecond: fit.bytesPerSecond, rows };
}

/** The largest |error| of the check, or null where nothing was checked. */
export function largestError(check: LinkCheck | null): number | null {
  if (!check || check.rows.length === 0) return null;
  return Math.max(...check.rows.map((row) => Math.abs(row.error)));
}

const ms = (value: number | null) => (value === null ? '—' : value.toFixed(2));
const percent = (value: number) => `${value >= 0 ? '+' : ''}${Math.round(100 * value)}%`;

const COLUMNS: readonly MarkdownColumn<LinkCheckRow>[] = [
  { header: 'strategy', align: 'left', value: (row) => row.strategy },
  { header: 'link', align: 'left', value: (row) => row.rate },
  { header: 'all-reduces / step', align: 'right', value: (row) => String(row.allreduceCalls) },
  { header: 'bytes / step', align: 'right', value: (row) => formatCount(row.allreduceBytes) },
  { header: 'ms in all-reduce, predicted', align: 'right', value: (row) => ms(row.predictedMs) },
  { header: 'measured', align: 'right', value: (row) => ms(row.measuredMs) },
  { header: 'error', align: 'right', value: (row) => percent(row.error) },
  { header: 'ms / step (slowest rank)', align: 'right', value: (row) => ms(row.stepMs) },
];

/** The check's paragraph and table: the fitted α, the rule, each prediction beside its measurement. */
export function renderLinkCheck(measurements: LinkCheckMeasurements): string {
  const check = checkLinkModel(measurements);
  if (!check) return 'The link check has no unshaped measurement with communication to take α from.';
  const worst = largestError(check);
  return [
    `Checked on a shaped link: ${measurements.nodes} nodes, world size ${measurements.worldSize}, ${measurements.scenario}'s networks, each node in its own ` +
      'network namespace joined by a veth pair, shaped with tc tbf (scripts/link_check.py). From the unshaped link α = ' +
      `${(check.latencySeconds * 1e6).toFixed(0)} µs and its own cost per byte (${formatCount(Math.round(check.unshapedBytesPerSecond / 1e6))} MB/s); at each rate ` +
      "R the model adds the wire's 8/R per byte. Largest error " + (worst === null ? '—' : percent(worst).replace('+', '')) + '.',
    renderTable(COLUMNS, check.rows),
  ].join('\n\n');
}
