/**
 * The calibration section of a report (data in, markdown out): a backend's throughput in the step's own
 * product forms and one elementwise kernel, and a note when one form is so slow that the backend, not the
 * strategy, decides what that form's work costs (src/measure/calibration.ts, docs/costs.md).
 */
import { FORM_LABELS, LOPSIDED_FRACTION, lopsidedForms, type Calibration } from '../measure/calibration.js';
import { DASH, formatCount, formatMs, formatRatio, significant } from './format.js';
import { renderTable, type MarkdownColumn } from './tables.js';

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

/** "G layer 5 (1024 → 784) at batch 64". */
function layerWords({ layer }: Calibration): string {
  return `${layer.network} layer ${layer.index + 1} (${layer.inputSize} → ${layer.outputSize}) at batch ${layer.batchSize}`;
}

/** The calibration as a paragraph, a table and, where a product form is lopsided, a note. */
export function renderCalibration(calibration: Calibration): string {
  const heading = `**Calibration** (the step's products at its largest layer, ${layerWords(calibration)})`;
  if (calibration.error !== null) return `${heading}: failed: ${calibration.error}.`;
  const plain = calibration.products.find((product) => product.form === 'plain');
  const rows: CalibrationRow[] = calibration.products.map((product) => ({
    kernel: FORM_LABELS[product.form],
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
    ...(note ? [note] : []),
  ].join('\n\n');
}
