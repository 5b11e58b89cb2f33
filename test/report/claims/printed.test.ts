import { describe, expect, it } from 'vitest';
import { renderPrintedStrategies } from '../../../src/report/claims/printed.js';
import { renderReport } from '../../../src/report/markdown.js';
import { makeCell, makeCells, makeErroredCell, makeRun, makeTiming } from '../fixtures.js';

const IN_PLACE_TFJS =
  'one of the variables needed for gradient computation has been modified by an inplace operation: [float32 [16, 1] D/dense1/kernel] is at version 2; expected version 1 instead.';
const IN_PLACE_TORCH =
  'RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [1, 16]], which is output 0 of AsStridedBackward0, is at version 2; expected version 1 instead.';
const FREED = 'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed).';

const raised = (strategy: 'retain-graph-printed' | 'detach-d-first-printed', error: string, backend: 'cpu' | 'pytorch' = 'cpu') =>
  makeErroredCell(strategy, error, { backend, device: backend === 'cpu' ? 'cpu (JavaScript)' : 'pytorch 1.13.0 cpu', status: 'raised' });

describe("the section on the post's printed code", () => {
  it('says what each printed strategy raised on each backend, word for word and where, beside its faithful form', () => {
    const section = renderPrintedStrategies([
      { cell: makeCell('retain-graph', { timing: makeTiming(31.2) }), place: 'tfjs 4.22.0 (cpu)' },
      { cell: makeCell('retain-graph', { backend: 'pytorch', timing: makeTiming(2.41) }), place: 'PyTorch 1.13.0' },
      { cell: raised('retain-graph-printed', IN_PLACE_TFJS), place: 'tfjs 4.22.0 (cpu)' },
      { cell: raised('retain-graph-printed', IN_PLACE_TORCH, 'pytorch'), place: 'PyTorch 1.13.0' },
    ])!;
    expect(section).toContain("### The post's code as printed");
    expect(section).toContain(
      "- **retain-graph-printed**, the post's strategy 1 exactly as printed; `retain-graph` is the form that runs (31.2 ms with tfjs 4.22.0 (cpu), " +
        `2.41 ms with PyTorch 1.13.0). tfjs 4.22.0 (cpu) raised in \`g_loss.backward()\`: “${IN_PLACE_TFJS.replace('<', '&lt;')}”; ` +
        `PyTorch 1.13.0 raised in \`g_loss.backward()\`: “${IN_PLACE_TORCH}”.`,
    );
    expect(section).not.toContain('detach-d-first-printed');
  });

  it('flags a printed strategy that did not raise as PyTorch does, and is absent when no printed strategy ran', () => {
    const section = renderPrintedStrategies([
      { cell: makeErroredCell('detach-d-first-printed', "expected PyTorch's freed-graph error in g_loss.backward(), but the step ran to the end"), place: 'tfjs 4.22.0 (wasm)' },
    ])!;
    expect(section).toContain('tfjs 4.22.0 (wasm) **did not raise as PyTorch does**: expected PyTorch');
    expect(renderPrintedStrategies(makeCells().map((cell) => ({ cell, place: 'tfjs' })))).toBeNull();
  });

  it('takes the raised cells out of the measurement table and the failures, into their own section, in the report', () => {
    const run = makeRun({ cells: [...makeCells(), raised('retain-graph-printed', IN_PLACE_TFJS), raised('detach-d-first-printed', FREED)] });
    const report = renderReport(run);
    expect(report).not.toMatch(/^\| retain-graph-printed/m);
    expect(report).not.toContain('errored:**');
    expect(report).not.toMatch(/Not compared: .*printed/);
    expect(report).toContain(`tfjs 4.22.0 (cpu) raised in \`g_loss.backward()\`: “${FREED}”`);
    expect(report.indexOf("### The post's code as printed")).toBeLessThan(report.indexOf('### cpu · cpu (JavaScript)'));
  });
});
