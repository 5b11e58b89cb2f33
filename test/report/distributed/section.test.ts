import { describe, expect, it } from 'vitest';
import { renderDistributedSection, renderProjection } from '../../../src/report/distributed/section.js';
import { makeCell, makeDistributedOnlyCell, makeErroredCell, makeTiming } from '../fixtures.js';

// g-first at world size 1: 4 ms a step. At world size 2: 10 ms, 3 all-reduces of 1,000,000 bytes in all per step.
const single = [makeCell('g-first', { timing: makeTiming(4) })];
const distributed = [
  makeCell('g-first', { timing: makeTiming(10), device: 'world size 2 (gloo)', worldSize: 2, allreduceCalls: 3, allreduceBytes: 1_000_000, commMs: 6, distributedVerdicts: { G: 'equal', D: 'equal' } }),
];

describe('renderProjection', () => {
  it('projects the measured traffic and compute onto each link with the ring model', () => {
    const rows = renderProjection(single, distributed).split('\n');
    // N = 8, hops 2 x 7 = 14. NVLink: 3 calls x 14 x 3 µs = 126 µs, plus 14/8 x 1e6 B / 900e9 B/s = 1.944 µs:
    // 0.128 ms, step 4.128 ms, 3% in communication. 10 Gb/s: 3 x 14 x 50 µs = 2.1 ms, plus 1.75e6 / 1.25e9 = 1.4 ms:
    // 3.5 ms, step 7.5 ms, 47%.
    expect(rows[2]).toMatch(/^\| g-first \| 8 \| 4\.13 \(3%\) \| .* \| 7\.50 \(47%\) \|$/);
    // N = 1,024, hops 2,046, 10 Gb/s: 3 x 2,046 x 50 µs = 306.9 ms, plus 2,046/1,024 x 1e6 / 1.25e9 = 1.598 ms: step
    // 4 + 308.498 = 312.50 ms, 99%.
    expect(rows[4]).toMatch(/^\| g-first \| 1,024 \| .* \| 312\.50 \(99%\) \|$/);
  });
});

describe('renderDistributedSection', () => {
  it('puts world size 2 beside world size 1 and writes the model next to the projection', () => {
    const section = renderDistributedSection([...single, ...distributed])!;
    expect(section).toContain('### World size 2 beside world size 1 (cpu)');
    expect(section).toContain('| g-first | 4.00 | 10.00 | 3 | 1,000,000 | 6.00 | G and D: equal |');
    expect(section).toContain('comm(N) = calls × 2(N-1) × α + 2(N-1)/N × B / β');
  });

  it("writes a distributed-only strategy's row with no world size 1 time beside it, and projects nothing for it", () => {
    const stylegan = makeDistributedOnlyCell('stylegan2-ada', { backend: 'cpu', timing: makeTiming(8) });
    const section = renderDistributedSection([...single, ...distributed, stylegan])!;
    expect(section).toContain('| stylegan2-ada | — | 8.00 | 2 | 120 | 3.00 | G and D: equal |');
    // The projection needs a world size 1 step (its compute): g-first's rows only.
    expect(renderProjection(single, [...distributed, stylegan])).not.toContain('stylegan2-ada');
  });

  it('is absent where every cell ran at world size 1', () => {
    expect(renderDistributedSection([...single, makeErroredCell('retain-graph', 'failed')])).toBeNull();
  });
});
