import { describe, expect, it } from 'vitest';
import { fitRingModel, projectedStepMs, ringCommMs } from '../../../src/report/distributed/projection.js';

// A link of 1 GB/s with 10 µs per message keeps the arithmetic by hand short.
const link = { name: 'test', bytesPerSecond: 1e9, latencySeconds: 10e-6 };

describe('ringCommMs', () => {
  it('charges 2(N-1)/N of the bytes and 2(N-1) latencies per call', () => {
    // N = 8: hops 2 x 7 = 14. Latency: 2 calls x 14 x 10 µs = 280 µs. Bytes: 14/8 x 1,000,000 B / 1e9 B/s = 1,750 µs.
    expect(ringCommMs({ allreduceCalls: 2, allreduceBytes: 1_000_000 }, 8, link)).toBeCloseTo(2.03, 12);
    // N = 2: hops 2. Latency 3 x 2 x 10 µs = 60 µs; bytes 2/2 x 186,248 / 1e9 = 186.248 µs.
    expect(ringCommMs({ allreduceCalls: 3, allreduceBytes: 186_248 }, 2, link)).toBeCloseTo(0.246248, 12);
  });

  it('costs nothing at world size 1 or with nothing to all-reduce', () => {
    expect(ringCommMs({ allreduceCalls: 2, allreduceBytes: 120 }, 1, link)).toBe(0);
    expect(ringCommMs({ allreduceCalls: 0, allreduceBytes: 0 }, 1024, link)).toBe(0);
  });

  it('adds the compute to the communication for a step', () => {
    expect(projectedStepMs(4, { allreduceCalls: 2, allreduceBytes: 1_000_000 }, 8, link)).toBeCloseTo(6.03, 12);
  });
});

describe('fitRingModel', () => {
  it("recovers a link's latency and bandwidth from measurements it generated", () => {
    const truth = { latencySeconds: 50e-6, bytesPerSecond: 20e6 };
    const traffic = [
      { allreduceCalls: 2, allreduceBytes: 177_988 },
      { allreduceCalls: 3, allreduceBytes: 186_248 },
      { allreduceCalls: 1, allreduceBytes: 500_000 },
    ];
    const measured = traffic.map((cell) => ({ ...cell, commMs: ringCommMs(cell, 2, truth) }));
    const fit = fitRingModel(measured, 2)!;
    expect(fit.latencySeconds).toBeCloseTo(50e-6, 12);
    expect(fit.bytesPerSecond / 20e6).toBeCloseTo(1, 9);
    fit.predictedMs.forEach((predicted, i) => expect(predicted).toBeCloseTo(measured[i]!.commMs, 9));
  });

  it('falls back to bandwidth alone where the latency comes out negative', () => {
    // 2 calls / 100 B -> 1 ms, 4 calls / 100 B -> 0.5 ms: more calls, less time, so alpha < 0. Bandwidth alone, N = 2
    // (x2 = bytes): b = (100 x 1 + 100 x 0.5) / (100² + 100²) = 0.0075 ms per byte, beta = 1 / 0.0075e-3 B/s.
    const fit = fitRingModel(
      [
        { allreduceCalls: 2, allreduceBytes: 100, commMs: 1 },
        { allreduceCalls: 4, allreduceBytes: 100, commMs: 0.5 },
      ],
      2,
    )!;
    expect(fit.latencySeconds).toBe(0);
    expect(fit.bytesPerSecond).toBeCloseTo(1 / 0.0075e-3, 6);
    expect(fit.predictedMs).toEqual([expect.closeTo(0.75, 12), expect.closeTo(0.75, 12)]);
  });

  it('fits nothing where nothing was communicated', () => {
    expect(fitRingModel([{ allreduceCalls: 0, allreduceBytes: 0, commMs: 0 }], 2)).toBeNull();
  });
});
