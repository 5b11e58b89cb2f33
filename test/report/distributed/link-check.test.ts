import { describe, expect, it } from 'vitest';
import { checkLinkModel, largestError, renderLinkCheck, type LinkCheckMeasurements } from '../../../src/report/distributed/link-check.js';

// Unshaped, world size 2 (2(N-1) = 2 hops, 2(N-1)/N = 1): A = 1 call, 1,000 bytes, 1.5 ms; B = 2 calls, 1,000 bytes,
// 2.5 ms. So 2a + 1000b = 1.5 and 4a + 1000b = 2.5: a = α = 0.5 ms, b = 0.0005 ms a byte (2 MB/s).
// At 8 Mbit/s (1 MB/s, 0.001 ms a byte) the model adds the wire: A = 2 × 0.5 + 1000 × (0.0005 + 0.001) = 2.5 ms,
// B = 4 × 0.5 + 1.5 = 3.5 ms.
const MEASURED: LinkCheckMeasurements = {
  worldSize: 2,
  nodes: 2,
  scenario: 'hand',
  rates: [
    { rate: 'unshaped', bitsPerSecond: null, strategies: { a: { allreduceCalls: 1, allreduceBytes: 1000, commMs: 1.5, stepMs: 3 }, b: { allreduceCalls: 2, allreduceBytes: 1000, commMs: 2.5, stepMs: 4 } } },
    {
      rate: '8mbit',
      bitsPerSecond: 8e6,
      strategies: {
        a: { allreduceCalls: 1, allreduceBytes: 1000, commMs: 2, stepMs: 3.5 },
        b: { allreduceCalls: 2, allreduceBytes: 1000, commMs: 3.5, stepMs: 5 },
        silent: { allreduceCalls: 0, allreduceBytes: 0, commMs: 0, stepMs: 1 },
      },
    },
  ],
};

describe('the ring model checked on a shaped link', () => {
  it('takes α and the per-byte cost from the unshaped link and adds the wire at each rate', () => {
    const check = checkLinkModel(MEASURED)!;
    expect(check.latencySeconds).toBeCloseTo(0.5e-3, 12);
    expect(check.unshapedBytesPerSecond).toBeCloseTo(2e6, 3);
    expect(check.rows.map((row) => [row.strategy, row.rate])).toEqual([['a', '8mbit'], ['b', '8mbit']]);
    expect(check.rows[0]!.predictedMs).toBeCloseTo(2.5, 9);
    expect(check.rows[1]!.predictedMs).toBeCloseTo(3.5, 9);
  });

  it('reports each error against the measurement, and the largest', () => {
    const check = checkLinkModel(MEASURED)!;
    expect(check.rows[0]!.error).toBeCloseTo(0.25, 9);
    expect(check.rows[1]!.error).toBeCloseTo(0, 9);
    expect(largestError(check)).toBeCloseTo(0.25, 9);
  });

  it('renders the prediction beside the measurement with its error', () => {
    const text = renderLinkCheck(MEASURED);
    expect(text).toContain('α = 500 µs');
    expect(text).toContain('| a | 8mbit | 1 | 1,000 | 2.50 | 2.00 | +25% | 3.50 |');
  });

  it('says so where the unshaped link is missing', () => {
    expect(checkLinkModel({ ...MEASURED, rates: MEASURED.rates.slice(1) })).toBeNull();
  });
});
