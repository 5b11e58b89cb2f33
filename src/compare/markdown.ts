/**
 * Renders a Comparison as markdown for a CI job summary or a PR comment: headline, what changed, then
 * everything that stayed the same collapsed per cell (one line per cell keeps comments under GitHub's limit).
 */
import type { Comparison, ComparisonRow, Verdict } from './comparison.js';

const VERDICT_LABELS: Record<Verdict, string> = {
  regressed: '❌ regressed',
  changed: '❌ changed',
  improved: '✅ improved',
  added: '➕ added',
  removed: '➖ removed',
  same: 'same',
};

/** Order of the "what changed" table: failures first. */
const VERDICT_ORDER: Verdict[] = ['regressed', 'changed', 'improved', 'added', 'removed', 'same'];

/** Escapes what would break a table cell and keeps it on one line. */
function cellText(text: string, maxLength = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
  return short.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toPrecision(6);
}

function formatValue(row: ComparisonRow, value: number | string | null): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (row.metric === 'time') return value >= 1000 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toPrecision(3)} ms`;
  if (row.metric === 'timeRatio') return `${value.toFixed(3)}×`;
  return formatCount(value);
}

function formatChange(row: ComparisonRow): string {
  if (row.change === null) return '—';
  const sign = row.change > 0 ? '+' : row.change < 0 ? '−' : '±';
  const magnitude = Math.abs(row.change);
  return row.changeKind === 'relative' ? `${sign}${(magnitude * 100).toFixed(1)}%` : `${sign}${formatCount(magnitude)}`;
}

function formatPValue(pValue: number): string {
  return pValue < 0.001 ? 'p < 0.001' : `p = ${pValue.toFixed(3)}`;
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
        return '—';
    }
  }
  if (row.metric === 'status' || row.metric === 'cell') return '—';
  return 'exact';
}

function verdictText(row: ComparisonRow): string {
  const label = VERDICT_LABELS[row.verdict];
  return row.note ? `${label}: ${cellText(row.note)}` : label;
}

/** The columns of the "what changed" table, as data. */
const CHANGE_COLUMNS = [
  { title: 'Cell', render: (row: ComparisonRow) => cellText(row.key) },
  { title: 'Metric', render: (row: ComparisonRow) => row.metric },
  { title: 'Baseline', render: (row: ComparisonRow) => formatValue(row, row.baseline) },
  { title: 'Current', render: (row: ComparisonRow) => formatValue(row, row.current) },
  { title: 'Change', render: formatChange },
  { title: 'Confidence', render: formatConfidence },
  { title: 'Verdict', render: verdictText },
] as const;

function table(headers: readonly string[], lines: string[][]): string {
  const header = `| ${headers.join(' | ')} |`;
  const rule = `|${headers.map(() => ' --- ').join('|')}|`;
  return [header, rule, ...lines.map((cells) => `| ${cells.join(' | ')} |`)].join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** One line per cell whose every row stayed the same, or whose time stayed the same while a count moved. */
function unchangedTable(rows: ComparisonRow[]): { count: number; text: string } {
  const byCell = new Map<string, ComparisonRow[]>();
  for (const row of rows) {
    if (row.verdict !== 'same') continue;
    const list = byCell.get(row.key) ?? [];
    list.push(row);
    byCell.set(row.key, list);
  }
  const lines: string[][] = [];
  for (const [key, cellRows] of byCell) {
    const time = cellRows.find((row) => row.metric === 'time' || row.metric === 'timeRatio');
    const status = cellRows.find((row) => row.metric === 'status');
    const counts = cellRows.filter((row) => row !== time && row !== status).length;
    lines.push([
      cellText(key),
      time
        ? `${time.metric}: ${formatValue(time, time.baseline)} → ${formatValue(time, time.current)}`
        : status
          ? `status: ${String(status.current)}`
          : 'changed (above)',
      time ? formatChange(time) : '—',
      time ? formatConfidence(time) : '—',
      counts > 0 ? `${counts} equal` : '—',
      time?.note ? cellText(time.note) : status?.note ? cellText(status.note) : '',
    ]);
  }
  return { count: rows.filter((row) => row.verdict === 'same').length, text: table(['Cell', 'Time', 'Change', 'Confidence', 'Exact counts', 'Note'], lines) };
}

/** The comparison as markdown: headline, settings, warnings, the changes table, the rest collapsed. */
export function renderComparison(comparison: Comparison): string {
  const counts = new Map<Verdict, number>();
  for (const row of comparison.rows) counts.set(row.verdict, (counts.get(row.verdict) ?? 0) + 1);
  const headline = comparison.regressed
    ? `## ❌ ${plural(comparison.regressions, 'regression')}`
    : '## ✅ No regression';
  const tally = (['improved', 'added', 'removed'] as const)
    .map((verdict) => `${counts.get(verdict) ?? 0} ${verdict}`)
    .join(' · ');

  const { baseline, current } = comparison;
  const timeThreshold = comparison.mode === 'absolute' ? comparison.thresholds.time : comparison.thresholds.timeRatio;
  const lines = [
    headline,
    '',
    `${tally} · ${plural(counts.get('same') ?? 0, 'metric')} unchanged`,
    '',
    `- **Baseline**: ${cellText(baseline.createdAt)}, ${cellText(baseline.tool)}, tfjs ${cellText(baseline.tfjs)}, ${cellText(baseline.machine)}`,
    `- **Current**: ${cellText(current.createdAt)}, ${cellText(current.tool)}, tfjs ${cellText(current.tfjs)}, ${cellText(current.machine)}`,
    `- **Times**: ${comparison.mode === 'absolute' ? 'absolute ms' : 'ratio to the reference strategy'} (${cellText(comparison.modeReason)}); ` +
      `a change needs both ±${(timeThreshold * 100).toFixed(0)}% and a two-sided Mann–Whitney U test at α = ${comparison.alpha}. Counts must match exactly.`,
  ];
  for (const warning of comparison.warnings) lines.push('', `> ⚠️ ${cellText(warning, 400)}`);

  const changed = comparison.rows
    .filter((row) => row.verdict !== 'same')
    .sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
  lines.push('', '### What changed', '');
  if (changed.length === 0) {
    lines.push('Nothing: every compared metric stayed the same.');
  } else {
    lines.push(table(CHANGE_COLUMNS.map((column) => column.title), changed.map((row) => CHANGE_COLUMNS.map((column) => column.render(row)))));
  }
  const unchanged = unchangedTable(comparison.rows);
  if (unchanged.count > 0) {
    lines.push('', `<details><summary>${plural(unchanged.count, 'metric')} unchanged</summary>`, '', unchanged.text, '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}
