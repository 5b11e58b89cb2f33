/**
 * Renders a Comparison as markdown for a CI job summary or a PR comment: headline, what changed, then
 * everything that stayed the same collapsed per cell (one line per cell keeps comments under GitHub's limit).
 * Tables and numbers come from the report's toolkit (src/report/tables/tables.ts and format.ts).
 */
import { DASH, formatCount, formatMs, formatPercent, formatPValue, formatRatio, formatSigned } from '../format.js';
import { plainText, renderTable, type MarkdownColumn } from '../report/tables/tables.js';
import type { Comparison, ComparisonRow, Verdict } from './comparison.js';

const VERDICT_LABELS: Record<Verdict, string> = {
  regressed: '❌ regressed',
  changed: '❌ changed',
  improved: '✅ improved',
  added: '➕ added',
  removed: '❌ missing from the current run',
  same: 'same',
};

/** A removed cell's label when --allow-missing let it pass. */
const ALLOWED_MISSING_LABEL = '➖ missing (allowed)';

/** Order of the "what changed" table: failures first. */
const VERDICT_ORDER: Verdict[] = ['regressed', 'changed', 'removed', 'improved', 'added', 'same'];

function formatValue(row: ComparisonRow, value: number | string | null): string {
  if (value === null) return DASH;
  if (typeof value === 'string') return value;
  if (row.metric === 'time') return formatMs(value);
  if (row.metric === 'timeRatio') return formatRatio(value, 3);
  return formatCount(value);
}

function formatChange(row: ComparisonRow): string {
  if (row.change === null) return DASH;
  return formatSigned(row.change, row.changeKind === 'relative' ? formatPercent : formatCount);
}

/** How sure the verdict is: the test's p-value and sample sizes, or "exact" for counts. */
function formatConfidence(row: ComparisonRow): string {
  if (row.metric === 'time' || row.metric === 'timeRatio') {
    const sizes = row.sampleCounts ? `n = ${row.sampleCounts.baseline}/${row.sampleCounts.current}` : '';
    switch (row.test) {
      case 'mann-whitney-exact':
      case 'mann-whitney-normal':
        return `${formatPValue(row.pValue ?? 1)}, ${sizes}`;
      case 'ci-overlap':
        return `95% CI (too few samples for U), ${sizes}`;
      case 'too-few-samples':
        return `too few samples, ${sizes}`;
      default:
        return DASH;
    }
  }
  if (row.metric === 'status' || row.metric === 'cell') return DASH;
  return 'exact';
}

function verdictText(row: ComparisonRow, allowMissing: boolean): string {
  const label = row.verdict === 'removed' && allowMissing ? ALLOWED_MISSING_LABEL : VERDICT_LABELS[row.verdict];
  return row.note ? `${label}: ${plainText(row.note)}` : label;
}

/** The columns of the "what changed" table, as data. */
function changeColumns(allowMissing: boolean): MarkdownColumn<ComparisonRow>[] {
  return [
    { header: 'Cell', align: 'left', value: (row) => plainText(row.key) },
    { header: 'Metric', align: 'left', value: (row) => row.metric },
    { header: 'Baseline', align: 'right', value: (row) => formatValue(row, row.baseline) },
    { header: 'Current', align: 'right', value: (row) => formatValue(row, row.current) },
    { header: 'Change', align: 'right', value: formatChange },
    { header: 'Confidence', align: 'left', value: formatConfidence },
    { header: 'Verdict', align: 'left', value: (row) => verdictText(row, allowMissing) },
  ];
}

/** A cell whose rows all stayed the same (or whose time did while a count moved), as one line. */
interface UnchangedCell {
  key: string;
  time: ComparisonRow | undefined;
  status: ComparisonRow | undefined;
  equalCounts: number;
}

const UNCHANGED_COLUMNS: readonly MarkdownColumn<UnchangedCell>[] = [
  { header: 'Cell', align: 'left', value: ({ key }) => plainText(key) },
  {
    header: 'Time',
    align: 'left',
    value: ({ time, status }) =>
      time
        ? `${time.metric}: ${formatValue(time, time.baseline)} → ${formatValue(time, time.current)}`
        : status
          ? `status: ${String(status.current)}`
          : 'changed (above)',
  },
  { header: 'Change', align: 'right', value: ({ time }) => (time ? formatChange(time) : DASH) },
  { header: 'Confidence', align: 'left', value: ({ time }) => (time ? formatConfidence(time) : DASH) },
  { header: 'Exact counts', align: 'right', value: ({ equalCounts }) => (equalCounts > 0 ? `${equalCounts} equal` : DASH) },
  {
    header: 'Note',
    align: 'left',
    value: ({ time, status }) => (time?.note ? plainText(time.note) : status?.note ? plainText(status.note) : ''),
  },
];

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** One line per cell whose every row stayed the same, or whose time stayed the same while a count moved. */
function unchangedTable(rows: ComparisonRow[]): { count: number; text: string } {
  const byCell = new Map<string, ComparisonRow[]>();
  for (const row of rows) {
    if (row.verdict !== 'same') continue;
    byCell.set(row.key, [...(byCell.get(row.key) ?? []), row]);
  }
  const cells = [...byCell].map(([key, cellRows]): UnchangedCell => {
    const time = cellRows.find((row) => row.metric === 'time' || row.metric === 'timeRatio');
    const status = cellRows.find((row) => row.metric === 'status');
    return { key, time, status, equalCounts: cellRows.filter((row) => row !== time && row !== status).length };
  });
  return { count: rows.filter((row) => row.verdict === 'same').length, text: renderTable(UNCHANGED_COLUMNS, cells) };
}

/** "❌ 2 regressions and 6 baseline cells missing from the current run", or "✅ No regression". */
function headline(comparison: Comparison): string {
  const failures = [
    ...(comparison.regressions > 0 ? [plural(comparison.regressions, 'regression')] : []),
    ...(comparison.missing > 0 && !comparison.allowMissing
      ? [`${plural(comparison.missing, 'baseline cell')} missing from the current run`]
      : []),
  ];
  if (failures.length > 0) return `## ❌ ${failures.join(' and ')}`;
  const allowed = comparison.missing > 0 ? ` (${plural(comparison.missing, 'baseline cell')} missing, allowed by --allow-missing)` : '';
  return `## ✅ No regression${allowed}`;
}

/** The comparison as markdown: headline, settings, warnings, the changes table, the rest collapsed. */
export function renderComparison(comparison: Comparison): string {
  const counts = new Map<Verdict, number>();
  for (const row of comparison.rows) counts.set(row.verdict, (counts.get(row.verdict) ?? 0) + 1);
  const tally = (['improved', 'added', 'removed'] as const)
    .map((verdict) => `${counts.get(verdict) ?? 0} ${verdict}`)
    .join(' · ');

  const { baseline, current } = comparison;
  const timeThreshold = comparison.mode === 'absolute' ? comparison.thresholds.time : comparison.thresholds.timeRatio;
  const lines = [
    headline(comparison),
    '',
    `${tally} · ${plural(counts.get('same') ?? 0, 'metric')} unchanged`,
    '',
    `- **Baseline**: ${plainText(baseline.createdAt)}, ${plainText(baseline.tool)}, tfjs ${plainText(baseline.tfjs)}, ${plainText(baseline.machine)}`,
    `- **Current**: ${plainText(current.createdAt)}, ${plainText(current.tool)}, tfjs ${plainText(current.tfjs)}, ${plainText(current.machine)}`,
    `- **Times**: ${comparison.mode === 'absolute' ? 'absolute ms' : 'ratio to the reference strategy'} (${plainText(comparison.modeReason)}); ` +
      `a change needs both ±${(timeThreshold * 100).toFixed(0)}% and a two-sided Mann–Whitney U test at α = ${comparison.alpha}. Counts must match exactly.`,
  ];
  for (const warning of comparison.warnings) lines.push('', `> ⚠️ ${plainText(warning, 400)}`);

  const changed = comparison.rows
    .filter((row) => row.verdict !== 'same')
    .sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
  lines.push('', '### What changed', '');
  if (changed.length === 0) {
    lines.push('Nothing: every compared metric stayed the same.');
  } else {
    lines.push(renderTable(changeColumns(comparison.allowMissing), changed));
  }
  const unchanged = unchangedTable(comparison.rows);
  if (unchanged.count > 0) {
    lines.push('', `<details><summary>${plural(unchanged.count, 'metric')} unchanged</summary>`, '', unchanged.text, '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}
