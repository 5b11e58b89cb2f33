import { describe, expect, it } from 'vitest';
import { calibratePytorch } from '../../src/backends/pytorch/calibration.js';
import type { PytorchWorker } from '../../src/backends/pytorch/client.js';
import type { CalibrateResult } from '../../src/backends/pytorch/protocol.js';
import type { CalibrationLayer } from '../../src/measure/calibration.js';

const LAYER: CalibrationLayer = { network: 'G', index: 1, inputSize: 4, outputSize: 8, batchSize: 2 };

/** A stand-in worker: each `calibrate` answer is one round taking 10 ms on the injected clock, samples 1, 2, 3, ... */
function fakeWorker(clock: { now: number }) {
  const requests: string[] = [];
  let round = 0;
  const worker = {
    async request(op: string) {
      requests.push(op);
      if (op === 'peak') return { fp32Peak: null };
      clock.now += 10;
      round++;
      const answer: CalibrateResult = {
        samplesMs: { plain: round, transposeB: 2 * round, transposeA: 3 * round, elementwise: 0.5 * round },
        operations: { plain: 'torch.addmm(b, x, W.t())', transposeB: 'dY.mm(W)', transposeA: 'dY.t().mm(X)' },
        elementwise: { kernel: 'torch.mul', elements: 32 },
      };
      return answer;
    },
  };
  return { worker: worker as unknown as PytorchWorker, requests };
}

describe('the pytorch calibration', () => {
  it('asks the worker for one round at a time and stops, as anotherRoundFits says, before a round would pass the budget', async () => {
    const clock = { now: 0 };
    const { worker, requests } = fakeWorker(clock);
    const measured = await calibratePytorch(worker, LAYER, { budgetMs: 35, maxRounds: 9, clock: () => clock.now });
    // The warm-up (0-10 ms), round 1 (10-20), round 2 (20-30: 20 + 10 fits 35); a third would end at 40.
    expect(requests).toEqual(['calibrate', 'calibrate', 'calibrate', 'peak']);
    expect(measured.rounds).toBe(2);
    expect(measured.elapsedMs).toBe(30);
    // The warm-up's samples (round 1's) are dropped: medians of rounds 2 and 3.
    expect(measured.products.map(({ form, operation, medianMs }) => [form, operation, medianMs])).toEqual([
      ['plain', 'torch.addmm(b, x, W.t())', 2.5],
      ['transposeB', 'dY.mm(W)', 5],
      ['transposeA', 'dY.t().mm(X)', 7.5],
    ]);
    expect(measured.products[0]!.flops).toBe(2 * 2 * 4 * 8);
    expect(measured.elementwise).toEqual({ kernel: 'torch.mul', elements: 32, bytes: 384, medianMs: 1.25, gbPerS: 384 / 1.25 / 1e6 });
    expect(measured.fp32Peak).toBeNull();
  });

  it('takes at most maxRounds rounds and asks for no peak unless told to', async () => {
    const clock = { now: 0 };
    const { worker, requests } = fakeWorker(clock);
    const measured = await calibratePytorch(worker, LAYER, { budgetMs: 1e9, maxRounds: 3, peak: false, clock: () => clock.now });
    expect(measured.rounds).toBe(3);
    expect(requests).toEqual(['calibrate', 'calibrate', 'calibrate', 'calibrate']);
  });
});
