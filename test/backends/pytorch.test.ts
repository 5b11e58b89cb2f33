import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../src/backends/backend.js';
import { AUTO_ORDER, backends, parseBackendId } from '../../src/backends/index.js';
import { PytorchWorker, WorkerGoneError, WorkerRequestError } from '../../src/backends/pytorch/client.js';
import { calibratePytorch } from '../../src/backends/pytorch/calibration.js';
import { findPython, startPytorchWorker, workerPackageRoot, type StartedPytorch } from '../../src/backends/pytorch/index.js';
import { pythonCandidates } from '../../src/backends/pytorch/python.js';
import { calibrationLayer, layerFlops, PRODUCT_FORMS } from '../../src/measure/calibration.js';
import { checkEquivalence, classifyDifference, type EquivalenceResult } from '../../src/measure/equivalence.js';
import { predictFlops } from '../../src/measure/flops.js';
import { observeStep } from '../../src/measure/observe.js';
import { recordObservedStep, type StepRecord } from '../../src/measure/record.js';
import { createBatches, createGan, disposeBatches } from '../../src/models/gan.js';
import { scenarioLayers } from '../../src/results/cell.js';
import { parameterCount } from '../../src/scenario/shapes.js';
import { runBenchmark } from '../../src/run/runner.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { RUNNABLE_STRATEGY_IDS, STRATEGY_IDS, strategies, type StrategyId } from '../../src/strategies/index.js';
import { tf } from '../../src/tf.js';
import { testPlan } from '../fixtures/plan.js';

// A real worker on the machine's Python with PyTorch (CI installs Debian's python3-torch; the first python3 on PATH
// may be one without torch). Without one, the tests that need it are skipped and say why.
const python = await findPython().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
const hasTorch = typeof python !== 'string';
if (!hasTorch) console.warn(`skipping the PyTorch worker tests: ${python}`);

/** What the tfjs cpu backend observes for one strategy: the same record the worker returns. */
async function tfjsRecord(scenario: Scenario, id: StrategyId): Promise<StepRecord> {
  const gan = createGan(scenario);
  const batches = createBatches(scenario, 2);
  try {
    return recordObservedStep(await observeStep(gan, strategies[id], batches[0]!, batches[1]!));
  } finally {
    disposeBatches(batches);
    gan.dispose();
  }
}

/** A setup request as the runner sends it: the first strategy the reference, the runner's pool of 4 batches. */
const setupOf = (scenario: Scenario, ids: StrategyId[]) => ({ scenario, strategies: ids, referenceStrategy: ids[0]!, batchPool: 4 });

/** 'same' for an update equal to the reference's (to rounding), else 'different'. */
const updateClass = (result: Pick<EquivalenceResult, 'equivalence'>) => (result.equivalence === 'different' ? 'different' : 'same');

/** The children of this process that run the worker (the gan_worker package, or a stand-in worker.py). */
function workerChildren(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('gan_worker') || line.includes('worker.py'));
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) still answers: ask ps for its state.
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false;
  }
}

// retainedBytes: the graph holds what PyTorch's saves (addmm's matrices, in-place activations' results, BCE's input
// and target), so the bytes it holds at the optimizer steps are equal too, to the byte, on PyTorch 1.13.
const COUNTED = ['generatorForwards', 'discriminatorForwards', 'generatorBackwards', 'discriminatorBackwards', 'backwardCalls', 'wastedGradientElements', 'flops', 'retainedBytes'] as const;

/** The strategies whose d_loss graph is still held at an optimizer step (backpropagated with retain_graph=True). */
const D_LOSS_GRAPH_HELD: readonly StrategyId[] = ['retain-graph', 'single-forward'];

/**
 * The tfjs record as PyTorch `torchVersion` holds it. PyTorch 1.13 saves the 2 of `d_loss / 2` as a tensor, an int64
 * wrapped number of 8 bytes, as many as the tfjs graph saves for it; PyTorch 2 keeps it as a Scalar in DivBackward0,
 * no saved tensor: 8 bytes fewer wherever d_loss's graph is held at an optimizer step.
 */
function asPytorchHolds(expected: StepRecord, id: StrategyId, torchVersion: string): StepRecord {
  const major = Number(torchVersion.split('.')[0]);
  return major >= 2 && D_LOSS_GRAPH_HELD.includes(id) ? { ...expected, retainedBytes: expected.retainedBytes! - 8 } : expected;
}

describe.skipIf(!hasTorch).each(['scenarios/ci/small-d.ts', 'scenarios/ci/large-d.ts'])('the PyTorch worker on %s', (file) => {
  let scenario: Scenario;
  let pytorch: StartedPytorch;
  const tfjs = new Map<StrategyId, StepRecord>();

  beforeAll(async () => {
    scenario = await loadScenario(file);
    await tf.setBackend('cpu');
    for (const id of RUNNABLE_STRATEGY_IDS) tfjs.set(id, await tfjsRecord(scenario, id));
    pytorch = await startPytorchWorker();
    await pytorch.worker.request('setup', setupOf(scenario, [...STRATEGY_IDS]));
  });
  afterAll(async () => {
    await pytorch?.worker.close();
    tf.disposeVariables();
  });

  it.each(RUNNABLE_STRATEGY_IDS)("%s: FLOPs, passes, backward calls, wasted gradients and graph bytes held equal the tfjs cpu backend's", async (id) => {
    const record = await pytorch.worker.request('observe', { strategy: id });
    const expected = asPytorchHolds(tfjs.get(id)!, id, pytorch.python.torch);
    for (const field of COUNTED) expect(record[field], field).toBe(expected[field]);
    expect(record.forwards).toEqual(expected.forwards);
    expect(record.backwards).toEqual(expected.backwards);
    expect(record.flops).toBe(predictFlops(record, scenarioLayers(scenario)));
    expect(record.leakedTensors).toBe(0);
    expect(record.dispatches).toBeNull();
    expect(record.kernels).toBeGreaterThan(0);
    expect(record.peakBytes).toBeGreaterThan(0);
  });

  it("sorts the strategies into the same update classes as the tfjs check, in float64", async () => {
    const pytorchCheck = await pytorch.worker.request('equivalence', { steps: scenario.measure.equivalenceSteps });
    const tfjsCheck = await checkEquivalence(scenario, RUNNABLE_STRATEGY_IDS, 'retain-graph', scenario.measure.equivalenceSteps);
    expect(pytorchCheck.reference).toBe('retain-graph');
    const classes = (lines: Array<{ strategy: string; equivalence: EquivalenceResult['equivalence'] }>) =>
      Object.fromEntries(lines.map((line) => [line.strategy, updateClass(line)]));
    const faithful = pytorchCheck.results.filter((line) => (RUNNABLE_STRATEGY_IDS as readonly string[]).includes(line.strategy));
    expect(classes(faithful.map((line) => ({ strategy: line.strategy, equivalence: classifyDifference(line.maxParamDiff!) })))).toEqual(
      classes(tfjsCheck),
    );
    expect(classes(tfjsCheck)).toEqual({
      'retain-graph': 'same',
      'detach-d-first': 'different',
      'g-first': 'same',
      'single-forward': 'same',
      'frozen-d': 'different',
    });
    const printed = pytorchCheck.results.filter((line) => line.strategy.endsWith('-printed'));
    expect(printed.map((line) => [line.maxParamDiff, line.error?.type])).toEqual([
      [null, 'RuntimeError'],
      [null, 'RuntimeError'],
    ]);
  });

  it("runs the post's strategy 1 as printed and reports PyTorch's in-place error", async () => {
    const failure = await pytorch.worker.request('observe', { strategy: 'retain-graph-printed' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerRequestError);
    expect((failure as Error).message).toMatch(/^RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation/);
  });

  it("runs the post's strategy 2 as printed and reports PyTorch's freed-graph error", async () => {
    const failure = await pytorch.worker.request('observe', { strategy: 'detach-d-first-printed' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerRequestError);
    expect((failure as Error).message).toMatch(/^RuntimeError: Trying to backward through the graph a second time/);
  });

  it("calibrates the step's own products at a layer's shapes, in the tfjs calibration's record, without a peak on the CPU", async () => {
    const layer = calibrationLayer(scenarioLayers(scenario), scenario.batchSize);
    const measured = await calibratePytorch(pytorch.worker, layer, { budgetMs: 50, maxRounds: 3, peak: true });
    expect(measured.layer).toEqual(layer);
    expect(measured.products.map(({ form, flops }) => [form, flops])).toEqual(PRODUCT_FORMS.map((form) => [form, layerFlops(layer)]));
    expect(measured.products.map(({ operation }) => operation)).toEqual(['torch.addmm(b, x, W.t())', 'dY.mm(W)', 'dY.t().mm(X)']);
    for (const product of measured.products) expect(product.gflops).toBeCloseTo(product.flops / product.medianMs / 1e6, 6);
    expect(measured.elementwise).toMatchObject({ kernel: 'torch.mul', elements: layer.inputSize * layer.outputSize, bytes: 12 * layer.inputSize * layer.outputSize });
    expect(measured.rounds).toBeGreaterThanOrEqual(1);
    expect(measured.rounds).toBeLessThanOrEqual(3);
    expect(measured.fp32Peak).toBe(pytorch.hello.isGpu ? expect.objectContaining({ size: 8192 }) : null);
  });

  it('times one round: warm-up, then at least the asked samples per strategy, a printed strategy failing alone', async () => {
    const progress: unknown[] = [];
    const answer = await pytorch.worker.request(
      'time',
      { strategies: ['g-first', 'retain-graph-printed', 'single-forward'], warmupSteps: 1, iterations: 3, timeMs: 0 },
      { onProgress: (line) => progress.push(line) },
    );
    expect(answer.results.map(({ strategy, samplesMs, error }) => [strategy, samplesMs.length, error?.type ?? null])).toEqual([
      ['g-first', 3, null],
      ['retain-graph-printed', 0, 'RuntimeError'],
      ['single-forward', 3, null],
    ]);
    expect(answer.results[0]!.samplesMs.every((ms) => ms > 0)).toBe(true);
    expect(progress).toHaveLength(3);
  });
});

const COUNTED_WITH_BATCH_NORM = [...COUNTED, 'generatorBatchNormUpdates', 'discriminatorBatchNormUpdates'] as const;

// scenarios/dcgan-mnist.ts at batch 2: its convolutions, BatchNorm and weights_init as the scenario has them, small
// enough for the tfjs cpu backend to observe every strategy in seconds.
describe.skipIf(!hasTorch)('the PyTorch worker on scenarios/dcgan-mnist.ts (convolutions and BatchNorm, batch 2)', () => {
  let scenario: Scenario;
  let pytorch: StartedPytorch;
  const tfjs = new Map<StrategyId, StepRecord>();

  beforeAll(async () => {
    const loaded = await loadScenario('scenarios/dcgan-mnist.ts');
    scenario = { ...loaded, batchSize: 2 };
    await tf.setBackend('cpu');
    for (const id of RUNNABLE_STRATEGY_IDS) tfjs.set(id, await tfjsRecord(scenario, id));
    pytorch = await startPytorchWorker();
    await pytorch.worker.request('setup', setupOf(scenario, [...STRATEGY_IDS]));
  });
  afterAll(async () => {
    await pytorch?.worker.close();
    tf.disposeVariables();
  });

  it.each(RUNNABLE_STRATEGY_IDS)(
    "%s: FLOPs (flop_counter's formulas), passes, backward calls, wasted gradients, graph bytes held and BatchNorm updates equal tfjs's",
    async (id) => {
      const record = await pytorch.worker.request('observe', { strategy: id });
      const expected = asPytorchHolds(tfjs.get(id)!, id, pytorch.python.torch);
      for (const field of COUNTED_WITH_BATCH_NORM) expect(record[field], field).toBe(expected[field]);
      expect(record.forwards).toEqual(expected.forwards);
      expect(record.backwards).toEqual(expected.backwards);
      expect(record.flops).toBe(predictFlops(record, scenarioLayers(scenario)));
      expect(record.leakedTensors).toBe(0);
      // One update per training-mode forward: G once, D on every forward of the strategy.
      expect([record.generatorBatchNormUpdates, record.discriminatorBatchNormUpdates]).toEqual([1, record.discriminatorForwards]);
    },
  );

  it("builds PyTorch's parameter counts for the same layers", async () => {
    const setup = await pytorch.worker.request('setup', setupOf(scenario, ['g-first']));
    const layers = scenarioLayers(scenario);
    expect(setup.parameters).toEqual({ generator: parameterCount(layers.generator), discriminator: parameterCount(layers.discriminator) });
    await pytorch.worker.request('setup', setupOf(scenario, [...STRATEGY_IDS]));
  });

  it("finds, in float64, the parameters of the simultaneous strategies identical and D's running statistics apart, as tfjs does", async () => {
    const steps = 2;
    const pytorchCheck = await pytorch.worker.request('equivalence', { steps });
    const tfjsCheck = await checkEquivalence(scenario, RUNNABLE_STRATEGY_IDS, 'retain-graph', steps);
    const byStrategy = <T extends { strategy: string }>(lines: readonly T[]) => Object.fromEntries(lines.map((line) => [line.strategy, line]));
    const torch = byStrategy(pytorchCheck.results);
    const tfjsLines = byStrategy(tfjsCheck);
    for (const id of ['g-first', 'single-forward'] as const) {
      expect(torch[id]!.maxParamDiff, id).toBeLessThan(1e-12);
      expect(tfjsLines[id]!.equivalence, id).toBe('identical');
    }
    for (const id of ['detach-d-first', 'frozen-d'] as const) {
      expect(classifyDifference(torch[id]!.maxParamDiff!), id).toBe('different');
      expect(tfjsLines[id]!.equivalence, id).toBe('different');
    }
    // single-forward updates D's running statistics on the same two batches as retain-graph; g-first a third time.
    expect(torch['single-forward']!.maxRunningStatsDiff).toBe(0);
    expect(tfjsLines['single-forward']!.maxRunningStatsDiff).toBe(0);
    expect(torch['g-first']!.maxRunningStatsDiff).toBeGreaterThan(1e-3);
    expect(tfjsLines['g-first']!.maxRunningStatsDiff).toBeGreaterThan(1e-3);
  });

  it("runs the post's strategy 1 as printed and names the discriminator's last weight at PyTorch's versions after weights_init", async () => {
    const failure = await pytorch.worker.request('observe', { strategy: 'retain-graph-printed' }).catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/\[torch\.FloatTensor \[1, 128, 7, 7\]\] is at version 3; expected version 2 instead/);
  });
});

describe.skipIf(!hasTorch)("the worker's FLOP counters", () => {
  it("count a step the same with FlopCounterMode and with flop_counter's formulas in a TorchDispatchMode, where both exist", async () => {
    const scenario = { ...(await loadScenario('scenarios/dcgan-mnist.ts')), batchSize: 2 };
    // GAN_BENCH_FLOP_COUNTER picks the counter: the same products must give the same count either way.
    const counted = async (counter: string) => {
      const started = await startPytorchWorker({ env: { ...process.env, GAN_BENCH_FLOP_COUNTER: counter } });
      try {
        await started.worker.request('setup', setupOf(scenario, ['retain-graph', 'single-forward']));
        return {
          torch: started.hello.torch,
          measure: started.hello.measures.flops,
          flops: [
            (await started.worker.request('observe', { strategy: 'retain-graph' })).flops,
            (await started.worker.request('observe', { strategy: 'single-forward' })).flops,
          ],
        };
      } finally {
        await started.worker.close();
      }
    };
    const dispatch = await counted('dispatch');
    expect(dispatch.measure).toMatch(/TorchDispatchMode/);
    expect(dispatch.flops[0]).toBeGreaterThan(dispatch.flops[1]!);
    const [major, minor] = dispatch.torch.split('.').map((part) => Number.parseInt(part, 10));
    if (major! > 2 || (major === 2 && minor! >= 1)) {
      const flopCounter = await counted('flop-counter');
      expect(flopCounter.measure).toBe('torch.utils.flop_counter.FlopCounterMode');
      expect(flopCounter.flops).toEqual(dispatch.flops);
    } else {
      // PyTorch < 2.1 (this machine's 1.13) has no FlopCounterMode: the dispatch counter is the only one (the test
      // above checks it against tfjs's count), and asking for the other is refused with the reason.
      await expect(counted('flop-counter')).rejects.toThrow(/GAN_BENCH_FLOP_COUNTER=flop-counter needs PyTorch >= 2\.1/);
    }
  });
});

describe('the pytorch backend id', () => {
  it('is a backend the command line and scenarios accept, which auto never picks', () => {
    expect(parseBackendId('pytorch')).toBe('pytorch');
    expect(backends.pytorch.id).toBe('pytorch');
    expect(AUTO_ORDER).not.toContain('pytorch');
  });
});

describe('finding a Python with PyTorch', () => {
  /** An executable stand-in that fails as a Python without torch would. */
  async function fakePython(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '#!/bin/sh\nexit 1\n');
    await chmod(path, 0o755);
    return path;
  }

  /** A venv as `python -m venv` lays it out: bin/python linking to its base interpreter, pyvenv.cfg beside bin. */
  async function fakeVenv(base: string): Promise<string> {
    const venv = await mkdtemp(join(tmpdir(), 'py-venv-'));
    await mkdir(join(venv, 'bin'));
    await symlink(base, join(venv, 'bin', 'python'));
    await writeFile(join(venv, 'pyvenv.cfg'), `home = ${dirname(base)}\n`);
    return venv;
  }

  const noVenv = join(tmpdir(), 'gan-bench-no-such-venv');

  it('tries GAN_BENCH_PYTHON first, then the project venv, then python3 and python in each PATH directory in order, each file once', async () => {
    const first = await mkdtemp(join(tmpdir(), 'py-a-'));
    const second = await mkdtemp(join(tmpdir(), 'py-b-'));
    for (const path of [join(first, 'python'), join(second, 'python3'), join(second, 'python')]) await fakePython(path);
    const venv = await fakeVenv(join(second, 'python3'));
    const candidates = pythonCandidates({ GAN_BENCH_PYTHON: '/opt/py/bin/python3', PATH: [first, second, first].join(':') }, venv);
    expect(candidates).toEqual([
      { command: '/opt/py/bin/python3', source: 'GAN_BENCH_PYTHON' },
      { command: join(venv, 'bin', 'python'), source: 'project venv' },
      { command: join(first, 'python'), source: 'PATH' },
      { command: join(second, 'python3'), source: 'PATH' },
      { command: join(second, 'python'), source: 'PATH' },
    ]);
  });

  it('keeps a venv apart from the interpreter its python links to, and tries the venv once however it is named', async () => {
    const system = await mkdtemp(join(tmpdir(), 'py-system-'));
    const base = await fakePython(join(system, 'python3'));
    const venv = await fakeVenv(base);
    await symlink('python', join(venv, 'bin', 'python3'));
    const candidates = pythonCandidates({ GAN_BENCH_PYTHON: join(venv, 'bin', 'python3'), PATH: `${join(venv, 'bin')}:${system}` }, venv);
    expect(candidates).toEqual([
      { command: join(venv, 'bin', 'python3'), source: 'GAN_BENCH_PYTHON' },
      { command: base, source: 'PATH' },
    ]);
  });

  it('skips the project venv where it has not been set up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'py-c-'));
    await fakePython(join(dir, 'python3'));
    expect(pythonCandidates({ PATH: dir }, noVenv)).toEqual([{ command: join(dir, 'python3'), source: 'PATH' }]);
  });

  it('an explicit GAN_BENCH_PYTHON wins over the project venv', async () => {
    const venv = await fakeVenv(await fakePython(join(await mkdtemp(join(tmpdir(), 'py-d-')), 'python3')));
    expect(pythonCandidates({ GAN_BENCH_PYTHON: 'python3.12', PATH: '' }, venv).map(({ source }) => source)).toEqual([
      'GAN_BENCH_PYTHON',
      'project venv',
    ]);
  });

  it('says how to install PyTorch, naming every Python it tried, where none can import torch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'py-none-'));
    await writeFile(join(dir, 'python3'), "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
    await chmod(join(dir, 'python3'), 0o755);
    const failure = await findPython({ PATH: dir }, noVenv).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    const { message, backend } = failure as BackendUnavailableError;
    expect(backend).toBe('pytorch');
    expect(message).toContain(`${join(dir, 'python3')} (PATH): ModuleNotFoundError: No module named 'torch'`);
    expect(message).toContain('pip install torch');
    expect(message).toContain('apt install python3-torch libopenblas0-pthread');
    expect(message).toContain('GAN_BENCH_PYTHON');
  });

  it.skipIf(!hasTorch)('passes over a python3 without torch that comes first on PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'py-first-'));
    await writeFile(join(dir, 'python3'), '#!/bin/sh\nexit 1\n');
    await chmod(join(dir, 'python3'), 0o755);
    const found = await findPython({ PATH: `${dir}:${dirname((python as { command: string }).command)}` }, noVenv);
    expect(dirname(found.command)).toBe(dirname((python as { command: string }).command));
  });
});

describe('the worker process', () => {
  /** A stand-in worker: a Python script with the given body after the ready line. */
  async function fakeWorker(body: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'fake-worker-'));
    const script = join(dir, 'worker.py');
    await writeFile(script, `import json, sys, time\nprint(json.dumps({"id": None, "ready": True}), flush=True)\n${body}\n`);
    return script;
  }
  const interpreter = () => (hasTorch ? (python as { command: string }).command : 'python3');

  it('fails a request with a clear message when the worker crashes, and does not hang', async () => {
    const script = await fakeWorker('sys.stdin.readline()\nprint("Segmentation fault (pretend)", file=sys.stderr, flush=True)\nsys.exit(139)');
    const worker = await PytorchWorker.start({ python: interpreter(), script, timeoutMs: 30_000 });
    const failure = await worker.request('hello', {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerGoneError);
    expect((failure as Error).message).toMatch(/the PyTorch worker exited with code 139 \(request 'hello'\)/);
    expect((failure as Error).message).toContain('Segmentation fault (pretend)');
    await expect(worker.request('hello', {})).rejects.toThrow(/exited with code 139/);
  });

  it('gives up on a request after the silence limit, stops the worker and fails what follows', async () => {
    const script = await fakeWorker('time.sleep(600)');
    const worker = await PytorchWorker.start({ python: interpreter(), script, timeoutMs: 300 });
    const started = Date.now();
    await expect(worker.request('observe', { strategy: 'g-first' })).rejects.toThrow(
      /gave no answer to 'observe' for 0.3 s \(GAN_BENCH_TORCH_TIMEOUT_S sets the limit\); stopped it/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    await worker.close();
    expect(worker.alive).toBe(false);
    expect(() => process.kill(worker.pid!, 0)).toThrow();
  });

  it.skipIf(!hasTorch)('answers an unknown operation with an error and goes on; shuts down when asked', async () => {
    const { worker, hello } = await startPytorchWorker();
    expect(hello.strategies).toEqual([...STRATEGY_IDS]);
    expect(hello.description).toContain(`pytorch ${hello.torch}`);
    await expect(worker.request('fly' as 'hello', {})).rejects.toThrow(/^ValueError: unknown op 'fly' \(known: hello, .*, train, shutdown\)/);
    await expect(worker.request('observe', { strategy: 'g-first' })).rejects.toThrow(/no scenario: send setup first/);
    expect((await worker.request('hello', {})).torch).toBe(hello.torch);
    await worker.close();
    expect(() => process.kill(worker.pid!, 0)).toThrow();
  });

  it.skipIf(!hasTorch)('records GAN_BENCH_TORCH_THREADS in the device string', async () => {
    const { worker, hello, device } = await startPytorchWorker({ env: { ...process.env, GAN_BENCH_TORCH_THREADS: '1' } });
    await worker.close();
    expect(hello.threadsSetting).toBe('1');
    if (!hello.isGpu) expect(device.description).toMatch(/, 1 thread, /);
  });

  it('kills a busy worker when Node is interrupted (SIGINT), so that no worker outlives the harness', async () => {
    // The stand-in ignores SIGINT and never reads stdin again: only the backend's signal handler can stop it.
    const script = await fakeWorker('import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)');
    const dir = dirname(script);
    const client = join(process.cwd(), 'src/backends/pytorch/client.ts');
    await writeFile(
      join(dir, 'host.mts'),
      `import { PytorchWorker } from ${JSON.stringify(client)};\n` +
        `const worker = await PytorchWorker.start({ python: ${JSON.stringify(interpreter())}, script: ${JSON.stringify(script)} });\n` +
        'console.log(worker.pid);\nsetInterval(() => {}, 1000);\n',
    );
    // Plain node with tsx's loader: the tsx command would add its own SIGINT relay, which exits through 'exit'.
    const host = spawn(process.execPath, ['--import', 'tsx', join(dir, 'host.mts')], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    const workerPid = Number(await new Promise<string>((resolve) => host.stdout.once('data', (data: Buffer) => resolve(data.toString()))));
    expect(isRunning(workerPid)).toBe(true);
    const exited = new Promise((resolve) => host.once('exit', (_code, signal) => resolve(signal)));
    host.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && isRunning(workerPid)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isRunning(workerPid)).toBe(false);
  });

  it('finds the gan_worker package next to its module, and under the working directory from a bundle elsewhere', async () => {
    expect(workerPackageRoot()).toBe(join(process.cwd(), 'src/backends/pytorch'));
    const bundleDir = await mkdtemp(join(tmpdir(), 'bundle-'));
    const bundleUrl = pathToFileURL(join(bundleDir, 'gpu-check.mjs')).href;
    expect(workerPackageRoot(process.cwd(), bundleUrl)).toBe(join(process.cwd(), 'src/backends/pytorch'));
    expect(workerPackageRoot(process.cwd(), undefined)).toBe(join(process.cwd(), 'src/backends/pytorch'));
    expect(() => workerPackageRoot(bundleDir, bundleUrl)).toThrow(/gan_worker is neither at .*bundle-.*gan_worker nor at/);
  });
});

describe.skipIf(!hasTorch)('runBenchmark on the pytorch backend', () => {
  it('builds pytorch cells through the same path as tfjs cells, and leaves no worker behind', async () => {
    const scenario = await loadScenario('scenarios/ci/small-d.ts');
    const quick = { ...scenario, measure: { ...scenario.measure, minSamples: 2, minTimeMs: 0, rounds: 2, warmupSteps: 1 } };
    const results = await runBenchmark({ plan: testPlan([{ scenario: quick, file: 'ci/small-d.ts' }], { backend: 'pytorch' }) });
    expect(results.cells.map((cell) => [cell.strategy, cell.backend, cell.status])).toEqual(
      STRATEGY_IDS.map((id) => [id, 'pytorch', strategies[id].raises ? 'raised' : 'ok']),
    );
    for (const cell of results.cells.filter(({ status }) => status === 'ok')) {
      expect(cell.flops).toBe(cell.flopsPredicted);
      expect(cell.timing!.samples).toBeGreaterThanOrEqual(2);
      expect(cell.device).toMatch(/^pytorch /);
    }
    expect(results.cells.find((cell) => cell.strategy === 'retain-graph')!.timeRatio).toBe(1);
    expect(results.cells.map((cell) => cell.equivalence)).toEqual(['reference', 'different', 'identical', 'identical', 'different', null, null]);
    expect(results.versions.torch).toBe((python as { torch: string }).torch);
    expect(results.calibrations).toEqual([expect.objectContaining({ scenario: 'ci-small-d', backend: 'pytorch', device: results.cells[0]!.device, error: null })]);
    expect(workerChildren()).toEqual([]);
  });
});
