import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatFlops, formatMs, formatPercent, formatPValue, formatRatio, formatSigned, significant } from '../../src/format.js';

describe('format', () => {
  it('keeps three significant digits without exponents', () => {
    expect([
      significant(1.234),
      significant(12.34),
      significant(123.4),
      significant(1234),
      significant(0.0001234),
    ]).toEqual(['1.23', '12.3', '123', '1234', '0.000123']);
  });

  it('prints FLOPs in decimal units and bytes in binary units', () => {
    expect(formatFlops(12_340_000)).toBe('12.3 MFLOP');
    expect(formatFlops(999)).toBe('999 FLOP');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(5 * 1024 ** 2)).toBe('5.00 MiB');
    expect(formatBytes(0)).toBe('0 B');
  });

  it('prints a missing value as an em dash', () => {
    expect([formatMs(null), formatFlops(null), formatBytes(null), formatCount(null), formatRatio(null)]).toEqual([
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
  });

  it('signs a change with a true minus and formats p-values and percentages', () => {
    expect([formatSigned(0.3, formatPercent), formatSigned(-7, formatCount), formatSigned(0, formatPercent)]).toEqual(['+30.0%', '−7', '±0.0%']);
    expect([formatPValue(0.0421), formatPValue(0.0004)]).toEqual(['p = 0.042', 'p < 0.001']);
    expect(formatRatio(1.23456, 3)).toBe('1.235×');
  });
});
