/**
 * Human-readable numbers for reports, comparisons and messages: durations, FLOPs, bytes, counts. Pure; null
 * prints as an em dash. At the root of src/ because every folder formats numbers (measure's footprint messages
 * as much as the reports), as every folder takes `messageOf` from errors.ts.
 */

const DASH = '—';

/** Three significant digits, no exponent for everyday magnitudes: 1.23, 12.3, 123, 1230. */
export function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 20));
}

function scaled(value: number, base: number, units: readonly string[]): string {
  let index = 0;
  let scaledValue = value;
  while (Math.abs(scaledValue) >= base && index < units.length - 1) {
    scaledValue /= base;
    index++;
  }
  return `${index === 0 ? String(Math.round(scaledValue)) : significant(scaledValue)} ${units[index]}`;
}

/** Milliseconds with three significant digits: "1.23 ms". */
export function formatMs(ms: number | null): string {
  return ms == null ? DASH : `${significant(ms)} ms`;
}

/** FLOPs in decimal units: "12.3 MFLOP". */
export function formatFlops(flops: number | null): string {
  return flops == null ? DASH : scaled(flops, 1000, ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP', 'PFLOP']);
}

/** Bytes in binary units: "1.50 KiB". */
export function formatBytes(bytes: number | null): string {
  return bytes == null ? DASH : scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
}

/** An integer with thousands separators: "1,234,567". */
export function formatCount(count: number | null): string {
  return count == null ? DASH : count.toLocaleString('en-US');
}

/** A relative margin of error: "± 2.1%". */
export function formatRme(rmePct: number): string {
  return `± ${rmePct.toFixed(1)}%`;
}

/** A ratio to the reference: "1.05×" (comparisons, where ratios near 1 matter, ask for 3 decimals). */
export function formatRatio(ratio: number | null, decimals = 2): string {
  return ratio == null ? DASH : `${ratio.toFixed(decimals)}×`;
}

/** A change with its sign, the magnitude rendered by `magnitude`: "+30.0%", "−7", "±0.0%" (a true minus sign). */
export function formatSigned(change: number, magnitude: (value: number) => string): string {
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${magnitude(Math.abs(change))}`;
}

/** A fraction as a percentage with one decimal: 0.3 → "30.0%". */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A parameter difference: "1.0e-7"; "0" for none. */
export function formatDiff(diff: number | null): string {
  return diff == null ? DASH : diff === 0 ? '0' : diff.toExponential(1);
}

/** A test's p-value: "p = 0.042", or "p < 0.001" below that. */
export function formatPValue(pValue: number): string {
  return pValue < 0.001 ? 'p < 0.001' : `p = ${pValue.toFixed(3)}`;
}

export { DASH };
