import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_HEADERS } from '../../../src/report/tables/columns.js';
import { renderCsv } from '../../../src/report/tables/csv.js';
import { makeCell, makeDistributedOnlyCell, makeErroredCell, makeScenario } from '../fixtures.js';

const HEADER_LINE =
  'scenario,backend,device,strategy,batch_size,samples,time_ms_mean,time_ms_p50,time_ms_p99,time_rme_pct,flops,' +
  'flops_predicted,kernels,g_forwards,d_forwards,g_backwards,d_backwards,backward_calls,wasted_grad_elems,' +
  'peak_bytes,retained_bytes,leaked_tensors,equivalent_to,max_param_diff,status,error,' +
  'time_ratio,order,equivalence,device_bytes,device_bytes_estimate,gpu_dispatches,sweep,d_to_g_macs,' +
  'g_bn_updates,d_bn_updates,d_running_stats_diff,diverged_at_step,' +
  'world_size,allreduce_calls,allreduce_bytes,comm_ms,vs_world_size_1,' +
  'nodes,framework,compile,precision,regularizer,ddp_broadcast_buffers,' +
  'compile_ms,graph_breaks,recompiles,skipped_steps,loss_scale_last,vs_eager_fp32,g_double_backwards,d_double_backwards';

const fieldsOf = (line: string) => line.split(',');

describe('renderCsv', () => {
  it('starts with the documented header line, extra columns last', () => {
    expect(renderCsv([]).split('\n')[0]).toBe(HEADER_LINE);
    expect(CSV_HEADERS).toHaveLength(57);
  });

  it("writes a distributed-only cell's row with its all-reduces and verdict, its uncounted passes and FLOPs empty", () => {
    // Its error column holds commas: read it back as CSV.
    const [row] = parse(renderCsv([makeDistributedOnlyCell('stylegan3-flat')]), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({
      strategy: 'stylegan3-flat',
      status: 'ok',
      flops: '',
      flops_predicted: '',
      d_forwards: '',
      world_size: '2',
      allreduce_calls: '2',
      allreduce_bytes: '120',
      vs_world_size_1: 'G equal; D equal',
      error: 'distributed-only (gan_ddp): passes, FLOPs and memory not observed',
    });
  });

  it("writes the rest of every cell's key last: nodes, framework, compile, precision, regularizer", () => {
    const [row] = parse(renderCsv([{ ...makeCell('g-first'), framework: 'torch 2.13.0', precision: 'bf16' }]), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({ world_size: '1', nodes: '1', framework: 'torch 2.13.0', compile: 'eager', precision: 'bf16', regularizer: 'none' });
  });

  it('writes one row per cell with its numbers under their headers', () => {
    const lines = renderCsv([makeCell('g-first')])
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
    const row = Object.fromEntries(CSV_HEADERS.map((header, index) => [header, fieldsOf(lines[1]!)[index]]));
    expect(row).toMatchObject({
      scenario: 'tiny',
      strategy: 'g-first',
      samples: '20',
      time_ms_mean: '1',
      flops: '110000',
      d_forwards: '3',
      wasted_grad_elems: '545',
      retained_bytes: '0',
      status: 'ok',
      error: '',
      order: 'simultaneous',
      equivalence: 'within-tolerance',
      device_bytes: '',
      device_bytes_estimate: '',
      gpu_dispatches: '',
    });
  });

  it('keeps a failed cell as a row with its status and quoted error, measurements empty', () => {
    const csv = renderCsv([makeErroredCell('retain-graph', 'backward failed: shape [4,1], not [4]')]);
    const row = csv.trimEnd().split('\n')[1]!;
    expect(row).toBe(
      'tiny,cpu,cpu (JavaScript),retain-graph,4,,,,,,,,,,,,,,,,,,single-forward,,errored,' +
        '"backward failed: shape [4,1], not [4]",,simultaneous,,,,,,,,,,,1,,,,,1,tfjs 4.22.0,eager,fp32,none,,,,,,,,,',
    );
  });

  it("fills the sweep and D/G columns from the cell's scenario summary, and leaves them empty without one", () => {
    const variant = makeScenario({ name: 'tiny', sweep: { name: 'crossover', values: { discriminatorWidth: 16 } } });
    const withSummary = renderCsv([makeCell('g-first')], { scenarios: [variant] }).trimEnd().split('\n');
    const row = Object.fromEntries(CSV_HEADERS.map((header, index) => [header, fieldsOf(withSummary[1]!)[index]]));
    // D 528 MACs per sample over G's 640.
    expect(row).toMatchObject({ sweep: 'crossover', d_to_g_macs: '0.825' });
    const ownScenario = renderCsv([makeCell('g-first')], { scenarios: [makeScenario()] }).trimEnd().split('\n');
    expect(fieldsOf(ownScenario[1]!).slice(-25, -23)).toEqual(['', '0.825']);
    expect(fieldsOf(renderCsv([makeCell('g-first')]).trimEnd().split('\n')[1]!).slice(-25, -23)).toEqual(['', '']);
  });

  it("writes BatchNorm's running-statistics updates per network and D's running-statistics divergence last, empty where unknown", () => {
    const cell = { ...makeCell('g-first'), generatorBatchNormUpdates: 1, discriminatorBatchNormUpdates: 3, maxRunningStatsDiff: 0.125 };
    expect(fieldsOf(renderCsv([cell]).trimEnd().split('\n')[1]!).slice(-23, -20)).toEqual(['1', '3', '0.125']);
    // A file written before the fields existed has none of them.
    expect(fieldsOf(renderCsv([makeCell('g-first')]).trimEnd().split('\n')[1]!).slice(-23, -20)).toEqual(['', '', '']);
  });

  it('writes a diverged cell with its status, its message and the step it diverged at, last, timing empty', () => {
    const diverged = makeCell('g-first', { status: 'diverged', error: 'diverged at step 12: g_loss is NaN', diverged: { step: 12, detail: 'g_loss is NaN' } });
    const row = Object.fromEntries(CSV_HEADERS.map((header, index) => [header, fieldsOf(renderCsv([diverged]).trimEnd().split('\n')[1]!)[index]]));
    expect(row).toMatchObject({ status: 'diverged', error: 'diverged at step 12: g_loss is NaN', samples: '', time_ms_mean: '', time_ratio: '', diverged_at_step: '12' });
    expect(fieldsOf(renderCsv([makeCell('g-first')]).trimEnd().split('\n')[1]!).at(-15)).toBe('');
  });
});
