/** How the quality report writes its numbers: values, intervals over seeds, thresholds. Pure. */
import { significant } from '../../format.js';
import type { Threshold } from '../results.js';
import type { Interval } from './summary.js';

export const DASH = '—';

/** Three significant digits, or the integer itself (modes, classes, steps). */
export const formatValue = (value: number): string => (Number.isInteger(value) ? String(value) : significant(value));

/** "0.38 [0.30, 0.45]", a lone value for one seed, a dash for none. */
export function formatInterval(interval: Interval | null | undefined, format: (value: number) => string = formatValue): string {
  if (!interval) return DASH;
  if (interval.n < 2) return format(interval.mean);
  return `${format(interval.mean)} [${format(interval.low)}, ${format(interval.high)}]`;
}

/** "high-quality >= 0.5". */
export function thresholdText({ metric, value, direction }: Threshold): string {
  return `${metric} ${direction === 'above' ? '>=' : '<='} ${value}`;
}

/** A verdict as a table cell: "does not hold" in bold, so that it cannot be missed. */
export const markVerdict = (verdict: string): string => (verdict === 'does not hold' ? '**does not hold**' : verdict);

const UPDATE_WORDS: Record<string, string> = {
  simultaneous: 'simultaneous',
  'alternating-d-first': 'alternating, D first',
  'alternating-g-first': 'alternating, G first',
};

/** A strategy's update order in words ("alternating, D first"). */
export const updateWords = (order: string): string => UPDATE_WORDS[order] ?? order;
