/**
 * Parsing of the comparison flags' values, shared by the compare CLI and the bench CLI's `--baseline` (the flags
 * themselves are declared in src/cli/compare-flags.ts); errors name the flag.
 */
import { BYTE_METRICS, DETERMINISTIC_METRICS, TIME_METRICS, type CompareOptions, type TimeMetric } from './comparison.js';
import { COMPARE_MODES, type CompareMode } from './mode.js';

/** "10%" or "0.1" as 0.1. A bare number of 1 or more is refused: "10" might mean 10% or 1000%. */
export function parseFraction(text: string, flag: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const number = Number(percent ? trimmed.slice(0, -1) : trimmed);
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(number) || number < 0) {
    throw new Error(`${flag} expects a percentage such as 10% or a fraction such as 0.1, got '${text}'`);
  }
  if (!percent && number >= 1) throw new Error(`${flag} '${text}' is ambiguous: write ${number}% or ${number / 100}`);
  return percent ? number / 100 : number;
}

/** "time=5%" as ['time', 0.05]; only time metrics take thresholds, counts must match exactly. */
export function parseMetricThreshold(text: string, flag = '--metric-threshold'): [TimeMetric, number] {
  const separator = text.indexOf('=');
  if (separator < 0) throw new Error(`${flag} expects METRIC=THRESHOLD such as time=5%, got '${text}'`);
  const metric = text.slice(0, separator).trim();
  if ((DETERMINISTIC_METRICS as readonly string[]).includes(metric) || (BYTE_METRICS as readonly string[]).includes(metric)) {
    throw new Error(`${flag}: ${metric} is a count and must match exactly; thresholds apply to ${TIME_METRICS.join(' and ')}`);
  }
  if (!(TIME_METRICS as readonly string[]).includes(metric)) {
    throw new Error(`${flag}: unknown metric '${metric}' (thresholds apply to ${TIME_METRICS.join(' and ')})`);
  }
  return [metric as TimeMetric, parseFraction(text.slice(separator + 1), `${flag} ${metric}`)];
}

/** A significance level strictly between 0 and 1. */
export function parseAlpha(text: string, flag = '--alpha'): number {
  const alpha = Number(text);
  if (text.trim() === '' || !(alpha > 0 && alpha < 1)) throw new Error(`${flag} expects a number between 0 and 1 such as 0.05, got '${text}'`);
  return alpha;
}

export function parseMode(text: string, flag = '--mode'): CompareMode {
  if (!(COMPARE_MODES as readonly string[]).includes(text)) {
    throw new Error(`${flag} expects one of ${COMPARE_MODES.join(', ')}, got '${text}'`);
  }
  return text as CompareMode;
}

/** Turns the parsed comparison flags into CompareOptions; every error names its flag. */
export function parseCompareFlags(values: {
  threshold?: string;
  'metric-threshold'?: string[];
  alpha?: string;
  mode?: string;
  'allow-missing'?: boolean;
}): CompareOptions {
  const options: CompareOptions = {};
  if (values['allow-missing']) options.allowMissing = true;
  if (values.threshold !== undefined) options.threshold = parseFraction(values.threshold, '--threshold');
  if (values.alpha !== undefined) options.alpha = parseAlpha(values.alpha);
  if (values.mode !== undefined) options.mode = parseMode(values.mode);
  const metricThresholds: Partial<Record<TimeMetric, number>> = {};
  for (const entry of values['metric-threshold'] ?? []) {
    const [metric, threshold] = parseMetricThreshold(entry);
    metricThresholds[metric] = threshold;
  }
  options.metricThresholds = metricThresholds;
  return options;
}
