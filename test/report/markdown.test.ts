import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/markdown.js';
import { makeCell, makeCells, makeErroredCell, makeRun, makeScenario, makeTiming } from './fixtures.js';

describe('renderReport', () => {
  it('heads the report with the machine, backend and device, tfjs version, date and harness overhead', () => {
    const report = renderReport(makeRun());
    expect(report).toContain('Test CPU (8 CPUs, 16.0 GiB), linux x64, Node v20.20.2');
    expect(report).toContain('cpu · cpu (JavaScript)');
    expect(report).toContain('4.22.0');
    expect(report).toContain('2025-01-02T03:04:05.000Z');
    expect(report).toContain('0.80% of a step');
  });

  it('describes the scenario and its shapes', () => {
    const report = renderReport(makeRun());
    expect(report).toContain('## tiny');
    expect(report).toContain('A tiny MLP GAN for tests.');
    expect(report).toContain('G 8 → 16 → 32; D 32 → 16 → 1; batch 4; parameters G 688 · D 545');
  });

  it('tables each strategy with its time, FLOPs, passes, memory and equivalence', () => {
    const report = renderReport(makeRun());
    const row = report.split('\n').find((line) => line.startsWith('| retain-graph'));
    expect(row).toBe(
      "| retain-graph (post's 1) | 1.40 ms ± 1.0% | 1.40 ms | 2.10 ms | 20 | 1.56× | 120 kFLOP / 120 kFLOP | 40 | " +
        'G 1 · D 2 | G 2 · D 3 (2) | 1,233 | 40.0 KiB | 8.00 KiB | 0 | identical to single-forward |',
    );
    expect(report).toContain("| g-first (post's 3) | 1.00 ms ± 1.0%");
    expect(report).toContain('within-tolerance (max Δ 3.1e-8)');
  });

  it('gives every claim its verdict in bold, with evidence and rule', () => {
    const report = renderReport(makeRun({ cells: makeCells({ 'detach-d-first': { retainedBytes: 0 } }) }));
    expect(report).toContain('**Claims**');
    expect(report).toMatch(/\| Strategy three is the best \| \*\*holds\*\* \| g-first 1\.00 ms ± 1\.0%/);
    expect(report).toMatch(/\| Strategy two must hold G's graph until D is updated \| \*\*does not hold\*\* \|/);
    expect(report).toContain('FLOPs per step (measured): retain-graph 120 kFLOP, g-first 110 kFLOP (+9.1%)');
  });

  it('says which strategies compute the same update and which order each uses', () => {
    const report = renderReport(makeRun());
    expect(report).toContain(
      '**Update equivalence.** Against single-forward (same weights, data and noise): retain-graph (identical) and ' +
        'g-first (within tolerance, max Δ 3.1e-8) compute the same update as single-forward; detach-d-first (max Δ 1.2e-2) computes a different one.',
    );
    expect(report).toContain(
      "simultaneous (both gradients at the step's starting weights): retain-graph, g-first and single-forward",
    );
    expect(report).toContain("alternating, D first (G's gradient goes through the updated D): detach-d-first");
  });

  it("with BatchNorm: a column of updates per network, and D's running statistics against the reference's in the check", () => {
    // retain-graph as the reference (its D forwards twice); g-first's third D forward updates D's statistics once more.
    const withBatchNorm = makeCells({
      'retain-graph': { generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 2, equivalence: 'reference', equivalentTo: 'retain-graph', maxRunningStatsDiff: 0 },
      'detach-d-first': { generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, equivalentTo: 'retain-graph', maxRunningStatsDiff: 0.02 },
      'g-first': { generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, equivalence: 'identical', maxParamDiff: 0, equivalentTo: 'retain-graph', maxRunningStatsDiff: 0.015 },
      'single-forward': { generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 2, equivalence: 'identical', maxParamDiff: 0, equivalentTo: 'retain-graph', maxRunningStatsDiff: 0 },
    });
    const report = renderReport(makeRun({ cells: withBatchNorm }));
    expect(report).toContain('| Backwards (calls) | BatchNorm updates | Wasted grads |');
    expect(report.split('\n').find((line) => line.startsWith('| g-first'))).toContain(
      "| G 1 · D 3 | 545 | 32.0 KiB | 0 B | 0 | identical to retain-graph; D's running stats Δ 1.5e-2 |",
    );
    expect(report).toContain(
      "D's BatchNorm running statistics after the same steps (retain-graph, 2 D updates a step): single-forward, 2 D updates a step match; " +
        'detach-d-first (max Δ 2.0e-2, 3 D updates a step) and g-first (max Δ 1.5e-2, 3 D updates a step) differ.',
    );
    expect(report).toContain("With BatchNorm in training mode the parameters of g-first still agree with retain-graph's although D's running statistics do not");
    // Without BatchNorm: no column, no sentence.
    const plain = renderReport(makeRun());
    expect(plain).not.toContain('BatchNorm');
  });

  it('shows an errored cell with its error and marks its claims inconclusive', () => {
    const cells = [
      ...makeCells().filter((cell) => cell.strategy !== 'g-first'),
      makeErroredCell('g-first', 'WebGPU device lost | retry'),
    ];
    const report = renderReport(makeRun({ cells }));
    expect(report).toContain("| g-first (post's 3) | **errored** |");
    expect(report).toContain('- **g-first errored:** WebGPU device lost | retry');
    expect(report).toContain('**inconclusive** | Not measured: g-first (errored: WebGPU device lost \\| retry).');
  });

  it('embeds the charts it is given as images', () => {
    const report = renderReport(makeRun(), { charts: { time: 'time.svg', memory: 'memory.svg' } });
    expect(report).toContain('![time per step](time.svg)');
    expect(report).toContain('![peak memory per strategy](memory.svg)');
  });

  it('shows the same cell once per run when several runs are merged, labelled by date and machine', () => {
    const second = makeRun({
      createdAt: '2025-03-01T00:00:00.000Z',
      machine: { ...makeRun().machine, cpuModel: 'Other CPU' },
      cells: makeCells({ 'g-first': { timing: { ...makeCell('g-first').timing!, meanMs: 2.5 } } }),
    });
    const report = renderReport([makeRun(), second]);
    expect(report).toContain('### cpu · cpu (JavaScript) · run 1 (2025-01-02T03:04:05.000Z, Test CPU)');
    expect(report).toContain('### cpu · cpu (JavaScript) · run 2 (2025-03-01T00:00:00.000Z, Other CPU)');
    const gFirstRows = report.split('\n').filter((line) => line.startsWith('| g-first'));
    expect(gFirstRows).toHaveLength(2);
    expect(gFirstRows[1]).toContain('2.50 ms ± 1.0%');
    expect(report.match(/^## tiny$/gm)).toHaveLength(1);
  });

  it('says which cells it left out for want of a scenario summary', () => {
    const report = renderReport(makeRun({ cells: [...makeCells(), makeCell('g-first', { scenario: 'ghost' })] }));
    expect(report).toContain('Left out, for want of a scenario summary in the results: the cells of ghost.');
  });

  it('marks a run that did not finish, saying how many of its scenarios were measured', () => {
    const second = { ...makeScenario(), name: 'second' };
    const report = renderReport({ ...makeRun({ scenarios: [makeScenario(), second] }), complete: false });
    expect(report).toContain(
      '> ⚠️ **Incomplete:** This run did not finish (interrupted, or still running): 1 of 2 scenarios measured; the others show no cells.',
    );
    expect(report).toContain('## second\n\nA tiny MLP GAN for tests.');
    expect(renderReport(makeRun())).not.toContain('Incomplete');
  });

  it('says that an empty shard had no scenario, alone or merged with the other shards', () => {
    const empty = makeRun({ scenarios: [], cells: [], settings: { ...makeRun().settings, shard: { index: 2, count: 2 } } });
    expect(renderReport(empty)).toContain('This run had no scenario: it is shard 2/2, and every scenario of the sweep fell to the other shards.');
    const merged = renderReport([makeRun(), empty]);
    expect(merged).toContain('run 2 (2025-01-02T03:04:05.000Z, Test CPU) had no scenario: it is shard 2/2');
    expect(merged.match(/^## tiny$/gm)).toHaveLength(1);
  });

  it('puts the claims of several backends side by side, one verdict column each, with a line where tfjs and PyTorch disagree', () => {
    const pytorch = makeCells({ 'g-first': { timing: makeTiming(1.6) } }).map((cell) => ({ ...cell, backend: 'pytorch' as const, device: 'pytorch 1.13.0 cpu' }));
    const report = renderReport(makeRun({ cells: [...makeCells(), ...pytorch], versions: { tfjs: '4.22.0', torch: '1.13.0' } }));
    expect(report).toContain("### The post's claims on cpu and pytorch");
    expect(report).toContain('| Claim | cpu | pytorch | Rule |');
    expect(report).toMatch(/^\| Strategy three is the best \| \*\*holds\*\* \| \*\*does not hold\*\* \| Holds when g-first's mean/m);
    expect(report).toContain('**Where TensorFlow.js and PyTorch disagree**');
    expect(report).toMatch(/^- \*\*Strategy three is the best\*\*: pytorch \*\*does not hold\*\*; cpu \*\*holds\*\*\. pytorch: g-first 1\.60 ms/m);
    // Each backend's own section keeps its evidence; the rules are in the side-by-side table.
    expect(report).toContain('### pytorch · pytorch 1.13.0 cpu');
    expect(report.match(/^\| Claim \| Verdict \| Evidence \|$/gm)).toHaveLength(2);
    expect(report.indexOf("### The post's claims on")).toBeLessThan(report.indexOf('### cpu · cpu (JavaScript)'));
  });

  it('labels the columns of one backend measured in two runs by their runs', () => {
    const report = renderReport([makeRun(), makeRun({ createdAt: '2025-03-01T00:00:00.000Z' })]);
    expect(report).toContain('| Claim | cpu · run 1 | cpu · run 2 | Rule |');
    expect(report).not.toContain('TensorFlow.js and PyTorch');
  });
});
