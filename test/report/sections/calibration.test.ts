import { describe, expect, it } from 'vitest';
import type { Calibration, ProductForm } from '../../../src/measure/calibration.js';
import { renderCalibration, renderCalibrationsSideBySide } from '../../../src/report/sections/calibration.js';
import { renderReport } from '../../../src/report/markdown.js';
import { makeRun } from '../fixtures.js';

/** A calibration of the tiny report scenario's cpu cells; GFLOP/s per form as given, 100 MFLOP per product. */
function makeCalibration(gflops: Record<ProductForm, number>, overrides: Partial<Calibration> = {}): Calibration {
  const flops = 100_000_000;
  return {
    scenario: 'tiny',
    backend: 'cpu',
    device: 'cpu (JavaScript)',
    layer: { network: 'G', index: 1, inputSize: 16, outputSize: 32, batchSize: 4 },
    products: (['plain', 'transposeB', 'transposeA'] as const).map((form) => ({
      form,
      flops,
      medianMs: flops / gflops[form] / 1e6,
      gflops: gflops[form],
    })),
    elementwise: { kernel: 'Multiply', elements: 512, bytes: 6144, medianMs: 0.002, gbPerS: 3.072 },
    rounds: 5,
    elapsedMs: 120,
    error: null,
    ...overrides,
  };
}

describe('renderCalibration', () => {
  it('tables each product form with its throughput, time and fraction of the plain product, and the elementwise kernel in GB/s', () => {
    const text = renderCalibration(makeCalibration({ plain: 10, transposeB: 8, transposeA: 12.5 }));
    expect(text).toContain("**Calibration** (the step's products at its largest layer, G layer 2 (16 → 32) at batch 4), median of 5 interleaved rounds after a warm-up, 120 ms in all:");
    expect(text).toContain('| x·W (forward) | 10.0 GFLOP/s | 10.0 ms | 1.00× |');
    expect(text).toContain('| dY·Wᵀ (input gradient) | 8.00 GFLOP/s | 12.5 ms | 0.80× |');
    expect(text).toContain('| Xᵀ·dY (weight gradient) | 12.5 GFLOP/s | 8.00 ms | 1.25× |');
    expect(text).toContain('| Multiply, 512 elements | 3.07 GB/s | 0.00200 ms | — |');
    expect(text).not.toContain('Lopsided');
  });

  it("notes a backend whose transposed products run below half the fastest form's throughput", () => {
    const text = renderCalibration(makeCalibration({ plain: 14, transposeB: 1, transposeA: 0.98 }));
    expect(text).toContain(
      '**Lopsided costs:** dY·Wᵀ (input gradient) runs at 0.07× the throughput of x·W (forward); ' +
        'Xᵀ·dY (weight gradient) runs at 0.07× the throughput of x·W (forward) (below 0.5×). ' +
        "On this backend a FLOP's cost depends on the form of its product",
    );
  });

  it('notes a forward slower than the backward as well', () => {
    const text = renderCalibration(makeCalibration({ plain: 3, transposeB: 10, transposeA: 8 }));
    expect(text).toContain('**Lopsided costs:** x·W (forward) runs at 0.30× the throughput of dY·Wᵀ (input gradient) (below 0.5×).');
  });

  it('says how many rounds the median is of', () => {
    expect(renderCalibration(makeCalibration({ plain: 1, transposeB: 1, transposeA: 1 }, { rounds: 1 }))).toContain('median of 1 interleaved round after a warm-up,');
  });

  it('says why a calibration failed', () => {
    const failed = makeCalibration({ plain: 1, transposeB: 1, transposeA: 1 }, { products: [], elementwise: null, error: 'device lost' });
    expect(renderCalibration(failed)).toBe("**Calibration** (the step's products at its largest layer, G layer 2 (16 → 32) at batch 4): failed: device lost.");
  });
});

describe("PyTorch's calibration and several backends'", () => {
  const peak = { size: 8192, flops: 2 * 8192 ** 3, repeats: 5, bestMs: 21.99, flopsPerSecond: 50e12, precision: "torch.backends.cuda.matmul.fp32_precision = 'ieee'" };
  const pytorch = makeCalibration(
    { plain: 20, transposeB: 21, transposeA: 20.5 },
    { backend: 'pytorch', device: 'pytorch 2.11 cuda', elementwise: { kernel: 'torch.mul', elements: 512, bytes: 6144, medianMs: 0.002, gbPerS: 3.072 }, fp32Peak: peak },
  );
  pytorch.products = pytorch.products.map((product, i) => ({ ...product, operation: ['torch.addmm(b, x, W.t())', 'dY.mm(W)', 'dY.t().mm(X)'][i]! }));

  it("names PyTorch's own call for each form, and the device's float32 peak", () => {
    const text = renderCalibration(pytorch);
    expect(text).toContain('| x·W (forward): torch.addmm(b, x, W.t()) | 20.0 GFLOP/s |');
    expect(text).toContain('| dY·Wᵀ (input gradient): dY.mm(W) | 21.0 GFLOP/s |');
    expect(text).toContain('| torch.mul, 512 elements | 3.07 GB/s |');
    expect(text).toContain("**Float32 peak** of this device: 50.0 TFLOP/s (the best of 5 products of 8192×8192 by 8192×8192, 22.0 ms; torch.backends.cuda.matmul.fp32_precision = 'ieee').");
  });

  it('tables the backends side by side, a row each: each form with its fraction of plain, elementwise, peak, lopsided', () => {
    const wasm = makeCalibration({ plain: 14, transposeB: 1, transposeA: 12 }, { backend: 'wasm' });
    const failed = makeCalibration({ plain: 1, transposeB: 1, transposeA: 1 }, { backend: 'webgpu', products: [], elementwise: null, error: 'device lost' });
    const text = renderCalibrationsSideBySide([
      { label: 'wasm', calibration: wasm },
      { label: 'pytorch', calibration: pytorch },
      { label: 'webgpu', calibration: failed },
    ]);
    expect(text).toContain("**Cost structures side by side** (the step's products at G layer 2 (16 → 32) at batch 4;");
    expect(text).toContain('| Backend | x·W (forward) | dY·Wᵀ (input gradient) | Xᵀ·dY (weight gradient) | Elementwise | Float32 peak | Lopsided |');
    expect(text).toContain('| wasm | 14.0 GFLOP/s | 1.00 GFLOP/s (0.07×) | 12.0 GFLOP/s (0.86×) | 3.07 GB/s (Multiply) | — | yes: dY·Wᵀ (input gradient) at 0.07× |');
    expect(text).toContain('| pytorch | 20.0 GFLOP/s | 21.0 GFLOP/s (1.05×) | 20.5 GFLOP/s (1.02×) | 3.07 GB/s (torch.mul) | 50.0 TFLOP/s | no |');
    expect(text).toContain('| webgpu | failed: device lost | — | — | — | — | — |');
  });

  it("shows the side-by-side table in a scenario measured on two backends, each backend's own calibration in its section", () => {
    const cpu = makeCalibration({ plain: 14, transposeB: 13, transposeA: 12 });
    const cells = makeRun().cells;
    const run = { ...makeRun({ cells: [...cells, ...cells.map((cell) => ({ ...cell, backend: 'pytorch' as const, device: 'pytorch 2.11 cuda' }))] }), calibrations: [cpu, pytorch] };
    const report = renderReport(run);
    expect(report).toContain('**Cost structures side by side**');
    expect(report.match(/\*\*Calibration\*\* \(/g)).toHaveLength(2);
    expect(renderReport({ ...makeRun(), calibrations: [cpu] })).not.toContain('side by side');
  });
});

describe('the report with calibrations', () => {
  it("shows a backend's calibration in its scenario's section, and none for a results file written before calibrations", () => {
    const calibrated = { ...makeRun(), calibrations: [makeCalibration({ plain: 14, transposeB: 1, transposeA: 12 })] };
    const report = renderReport(calibrated);
    const section = report.slice(report.indexOf('### cpu · cpu (JavaScript)'));
    expect(section).toContain('**Calibration**');
    expect(section.indexOf('**Calibration**')).toBeLessThan(section.indexOf('**Claims**'));
    expect(section).toContain('**Lopsided costs:** dY·Wᵀ (input gradient) runs at 0.07× the throughput of x·W (forward)');
    expect(renderReport(makeRun())).not.toContain('**Calibration**');
  });

  it('does not show a calibration of another backend or scenario', () => {
    const elsewhere = [
      makeCalibration({ plain: 1, transposeB: 1, transposeA: 1 }, { backend: 'wasm' }),
      makeCalibration({ plain: 1, transposeB: 1, transposeA: 1 }, { scenario: 'other' }),
    ];
    expect(renderReport({ ...makeRun(), calibrations: elsewhere })).not.toContain('**Calibration**');
  });
});
