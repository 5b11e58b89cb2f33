/**
 * The calibration section of a report (data in, markdown out): a backend's throughput in the step's own
 * product forms and one elementwise kernel, and a note when one form is so slow that the backend, not the
 * strategy, decides what that form's work costs (src/measure/calibration.ts, docs/costs.md).
 */
import { FORM_LABELS, LOPSIDED_FRACTION, lopsidedForms, PRODUCT_FORMS, type Calibration, type Fp32Peak } from '../../measure/calibration.js';
import { DASH, formatCount, formatMs, formatRatio, significant } from '../../format.js';
import { escapeCell, renderTable, type MarkdownColumn } from '../tables/tables.js';

interface CalibrationRow {
  kernel: string;
  throughput: string;
  medianMs: number;
  ofPlain: number | null;
}

const CALIBRATION_COLUMNS: readonly MarkdownColumn<CalibrationRow>[] = [
  { header: 'Kernel', align: 'left', value: (row) => row.kernel },
  { header: 'Throughput', align: 'right', value: (row) => row.throughput },
  { header: 'Median', align: 'right', value: (row) => formatMs(row.medianMs) },
  { header: 'Of plain', align: 'right', value: (row) => formatRatio(row.ofPlain) },
];

/**
 * "G layer 5 (1024 → 784) at batch 64"; for a convolution, its im2col product: "D layer 2 (conv2d 64→128, ...):
 * its im2col product, 1024 → 128 at 2048 rows".
 */
function layerWords({ layer }: Calibration): string {
  if (layer.im2col) {
    return `${layer.network} layer ${layer.index + 1} (${layer.im2col}): its im2col product, ${layer.inputSize} → ${layer.outputSize} at ${layer.batchSize} rows`;
  }
  return `${layer.network} layer ${layer.index + 1} (${layer.inputSize} → ${layer.outputSize}) at batch ${layer.batchSize}`;
}

/** The calibration as a paragraph, a table and, where a product form is lopsided, a note. */
export function renderCalibration(calibration: Calibration): string {
  const heading = `**Calibration** (the step's products at its largest layer, ${layerWords(calibration)})`;
  if (calibration.error !== null) return `${heading}: failed: ${calibration.error}.`;
  const plain = calibration.products.find((product) => product.form === 'plain');
  const rows: CalibrationRow[] = calibration.products.map((product) => ({
    kernel: `${FORM_LABELS[product.form]}${product.operation ? `: ${product.operation}` : ''}`,
    throughput: `${significant(product.gflops)} GFLOP/s`,
    medianMs: product.medianMs,
    ofPlain: plain && plain.gflops > 0 ? product.gflops / plain.gflops : null,
  }));
  const { elementwise } = calibration;
  if (elementwise) {
    rows.push({
      kernel: `${elementwise.kernel}, ${formatCount(elementwise.elements)} elements`,
      throughput: `${significant(elementwise.gbPerS)} GB/s`,
      medianMs: elementwise.medianMs,
      ofPlain: null,
    });
  }
  const how = `median of ${calibration.rounds} interleaved round${calibration.rounds === 1 ? '' : 's'} after a warm-up`;
  const lopsided = lopsidedForms(calibration);
  const note = lopsided.length
    ? `**Lopsided costs:** ${lopsided
        .map(({ form, ofFastest, fastest }) => `${FORM_LABELS[form]} runs at ${formatRatio(ofFastest)} the throughput of ${FORM_LABELS[fastest]}`)
        .join('; ')} (below ${LOPSIDED_FRACTION}×). On this backend a FLOP's cost depends on the form of its product, so FLOP ` +
      'counts do not predict time, and a strategy that does more of the slow form pays for the backend as well as for its work.'
    : null;
  return [
    `${heading}, ${how}, ${formatMs(calibration.elapsedMs)} in all:`,
    rows.length ? renderTable(CALIBRATION_COLUMNS, rows) : DASH,
    ...(calibration.fp32Peak ? [peakSentence(calibration.fp32Peak)] : []),
    ...(note ? [note] : []),
  ].join('\n\n');
}

/** "52.1 TFLOP/s": a rate in FLOP/s with a decimal prefix. */
export function formatFlopRate(flopsPerSecond: number | null): string {
  if (flopsPerSecond === null || !Number.isFinite(flopsPerSecond)) return DASH;
  const prefixes: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const [scale, prefix] = prefixes.find(([threshold]) => flopsPerSecond >= threshold) ?? [1, ''];
  return `${significant(flopsPerSecond / scale)} ${prefix}FLOP/s`;
}

function peakSentence(peak: Fp32Peak): string {
  return (
    `**Float32 peak** of this device: ${formatFlopRate(peak.flopsPerSecond)} (the best of ${peak.repeats} products of ` +
    `${peak.size}×${peak.size} by ${peak.size}×${peak.size}, ${formatMs(peak.bestMs)}${peak.precision ? `; ${peak.precision}` : ''}).`
  );
}

/** One backend's calibration under the label of its column in the side-by-side claims. */
export interface LabelledCalibration {
  label: string;
  calibration: Calibration;
}

const throughputCell = (calibration: Calibration, form: (typeof PRODUCT_FORMS)[number]): string => {
  const product = calibration.products.find((candidate) => candidate.form === form);
  const plain = calibration.products.find((candidate) => candidate.form === 'plain');
  if (!product) return DASH;
  const ofPlain = form !== 'plain' && plain && plain.gflops > 0 ? ` (${formatRatio(product.gflops / plain.gflops)})` : '';
  return `${significant(product.gflops)} GFLOP/s${ofPlain}`;
};

/**
 * Several backends' calibrations of one scenario in one table, a row each: the cost structures side by side
 * (throughput per product form, with its fraction of the plain product, the elementwise kernel, the float32 peak
 * where measured, and whether the backend's costs are lopsided).
 */
export function renderCalibrationsSideBySide(entries: readonly LabelledCalibration[]): string {
  const first = entries[0];
  if (!first) return '';
  const anyPeak = entries.some(({ calibration }) => calibration.fp32Peak);
  const columns: MarkdownColumn<LabelledCalibration>[] = [
    { header: 'Backend', align: 'left', value: ({ label }) => label },
    ...PRODUCT_FORMS.map(
      (form): MarkdownColumn<LabelledCalibration> => ({
        header: FORM_LABELS[form],
        align: 'right',
        value: ({ calibration }) => (calibration.error !== null ? (form === 'plain' ? `failed: ${calibration.error}` : DASH) : throughputCell(calibration, form)),
      }),
    ),
    {
      header: 'Elementwise',
      align: 'right',
      value: ({ calibration: { elementwise } }) => (elementwise ? `${significant(elementwise.gbPerS)} GB/s (${elementwise.kernel})` : DASH),
    },
    ...(anyPeak
      ? [{ header: 'Float32 peak', align: 'right' as const, value: ({ calibration }: LabelledCalibration) => formatFlopRate(calibration.fp32Peak?.flopsPerSecond ?? null) }]
      : []),
    {
      header: 'Lopsided',
      align: 'left',
      value: ({ calibration }) => {
        if (calibration.error !== null) return DASH;
        const lopsided = lopsidedForms(calibration);
        return lopsided.length ? `yes: ${lopsided.map(({ form, ofFastest }) => `${FORM_LABELS[form]} at ${formatRatio(ofFastest)}`).join(', ')}` : 'no';
      },
    },
  ];
  return [
    `**Cost structures side by side** (the step's products at ${escapeCell(layerWords(first.calibration))}; each form's fraction of the plain product's throughput in parentheses):`,
    renderTable(columns, entries),
  ].join('\n\n');
}
