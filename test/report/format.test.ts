import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatFlops, formatMs, formatRatio, significant } from '../../src/report/format.js';

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
});
