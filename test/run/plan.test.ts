import { describe, expect, it } from 'vitest';
import { planRun, PlanError, type LoadedScenario, type PlanEnvironment } from '../../src/run/plan.js';
import { resolvePlan } from '../../src/run/resolve.js';
import { parseScenario } from '../../src/scenario/load.js';
import tiny from '../fixtures/tiny.js';

const here: PlanEnvironment = { auto: 'wasm', frameworks: { cpu: 'tfjs 4.22.0', wasm: 'tfjs 4.22.0', pytorch: 'torch 2.13.0' } };
const loaded = (name: string, overrides: Record<string, unknown> = {}): LoadedScenario => ({
  scenario: parseScenario({ ...tiny, name, ...overrides }, `${name}.ts`),
  file: `${name}.ts`,
});
const brief = (units: ReturnType<typeof planRun>['units']) =>
  units.map(({ index, scenario, backend, worldSize, strategies, distributedOnly, reference, countsFrom, framework }) => ({
    index,
    scenario,
    backend,
    worldSize,
    strategies: strategies.join(','),
    distributedOnly: distributedOnly.join(','),
    reference,
    countsFrom,
    framework,
  }));

describe('planRun', () => {
  it("plans one unit per scenario and backend, in order, each backend resolved ('auto' to what it starts here) with its framework", () => {
    const plan = planRun([loaded('a', { backend: 'auto' }), loaded('b')], { strategies: ['g-first', 'retain-graph'] }, here);
    expect(brief(plan.units)).toEqual([
      { index: 0, scenario: 'a', backend: 'wasm', worldSize: 1, strategies: 'g-first,retain-graph', distributedOnly: '', reference: 'retain-graph', countsFrom: null, framework: 'tfjs 4.22.0' },
      { index: 1, scenario: 'b', backend: 'cpu', worldSize: 1, strategies: 'g-first,retain-graph', distributedOnly: '', reference: 'retain-graph', countsFrom: null, framework: 'tfjs 4.22.0' },
    ]);
    expect(plan.reference).toBe('retain-graph');
    expect(plan.units.every((unit) => unit.compile === 'eager' && unit.precision === 'fp32' && unit.regularizer === 'none' && unit.nodes === 1)).toBe(true);
  });

  it('follows each backend at world size 1 by the same backend at world size N, which borrows its counts; with all strategies, the distributed-only forms too', () => {
    const plan = planRun([loaded('a')], { backend: ['cpu', 'pytorch'], worldSize: 2 }, here);
    expect(brief(plan.units).map(({ backend, worldSize, countsFrom, distributedOnly }) => ({ backend, worldSize, countsFrom, distributedOnly }))).toEqual([
      { backend: 'cpu', worldSize: 1, countsFrom: null, distributedOnly: '' },
      { backend: 'cpu', worldSize: 2, countsFrom: 0, distributedOnly: 'single-forward-inputs,stylegan2-ada,stylegan3-flat' },
      { backend: 'pytorch', worldSize: 1, countsFrom: null, distributedOnly: '' },
      { backend: 'pytorch', worldSize: 2, countsFrom: 2, distributedOnly: 'single-forward-inputs,stylegan2-ada,stylegan3-flat' },
    ]);
    expect(plan.units[3]!.framework).toBe('torch 2.13.0');
    // Strategies picked from the registry pick no distributed-only form unless named.
    expect(planRun([loaded('a')], { strategies: ['g-first'], worldSize: 2 }, here).units[1]!.distributedOnly).toEqual([]);
  });

  it("keeps a shard's scenarios and records the whole sweep's strategies where the shard is empty", () => {
    const all = [loaded('a', { strategies: ['g-first'] }), loaded('b', { strategies: ['single-forward'] })];
    expect(planRun(all, { shard: { index: 2, count: 2 } }, here).scenarios.map(({ scenario }) => scenario.name)).toEqual(['b']);
    const empty = planRun(all, { shard: { index: 3, count: 3 } }, here);
    expect(empty.units).toEqual([]);
    expect(empty.strategies).toEqual(['g-first', 'single-forward']);
  });

  it('refuses, naming the flag, a world size the batch does not divide and distributed-only forms at world size 1', () => {
    expect(() => planRun([loaded('a')], { worldSize: 3 }, here)).toThrow(new PlanError('--world-size: 3 does not divide the batch size 2 (the global batch, split into equal shards): 1 or 2 do, in a.ts (scenario a)'));
    expect(() => planRun([loaded('a')], { distributedOnly: ['stylegan2-ada'], strategies: ['g-first'] }, here)).toThrow(/^--strategies: stylegan2-ada runs at a world size above 1 only/);
    expect(() => planRun([loaded('a')], { distributedOnly: ['stylegan2-ada'], strategies: [], worldSize: 2 }, here)).toThrow(/^--strategies: names only distributed-only strategies/);
  });
});

describe('resolvePlan', () => {
  it("starts no backend where no unit asks for 'auto', and refuses bad overrides before resolving anything", async () => {
    const asked: string[] = [];
    const resolvers = {
      auto: async () => (asked.push('auto'), { auto: 'wasm' as const, passedOver: ['webgpu: only a software adapter'] }),
      frameworks: async (backends: readonly string[]) => (asked.push(`frameworks ${[...new Set(backends)].join(',')}`), { wasm: 'tfjs 4.22.0', cpu: 'tfjs 4.22.0' }),
      python: async (path: string) => {
        asked.push(`python ${path}`);
        if (path === '/no/torch') throw new PlanError('--python /no/torch: No module named torch');
        return path.includes('1.13') ? 'torch 1.13.0' : 'torch 2.13.0';
      },
    };
    const plan = await resolvePlan([loaded('a')], {}, resolvers);
    expect(asked).toEqual(['frameworks cpu']);
    expect(plan.passedOver).toEqual([]);
    const onAuto = await resolvePlan([loaded('a', { backend: 'auto' })], {}, resolvers);
    expect(onAuto.units[0]!.backend).toBe('wasm');
    expect(onAuto.passedOver).toEqual(['webgpu: only a software adapter']);
    asked.length = 0;
    await expect(resolvePlan([loaded('a', { backend: 'auto' })], { worldSize: 3 }, resolvers)).rejects.toThrow(PlanError);
    expect(asked).toEqual([]);
  });

  it('checks every --python and names each unit of the pytorch backend by its framework version; a --python without a pytorch unit is refused', async () => {
    const resolvers = {
      auto: async () => ({ auto: 'cpu' as const, passedOver: [] }),
      frameworks: async () => ({ cpu: 'tfjs 4.22.0' }),
      python: async (path: string) => {
        if (path === '/no/torch') throw new PlanError('--python /no/torch: No module named torch');
        return path.includes('1.13') ? 'torch 1.13.0' : 'torch 2.13.0';
      },
    };
    const plan = await resolvePlan([loaded('a')], { backend: ['cpu', 'pytorch'], pythons: ['/py-1.13', '/venv/python'] }, resolvers);
    expect(plan.units.map(({ backend, python, framework }) => `${backend} ${python} ${framework}`)).toEqual([
      'cpu null tfjs 4.22.0',
      'pytorch /py-1.13 torch 1.13.0',
      'pytorch /venv/python torch 2.13.0',
    ]);
    await expect(resolvePlan([loaded('a')], { backend: 'pytorch', pythons: ['/venv/python', '/no/torch'] }, resolvers)).rejects.toThrow('--python /no/torch: No module named torch');
    await expect(resolvePlan([loaded('a')], { backend: 'cpu', pythons: ['/venv/python'] }, resolvers)).rejects.toThrow(/^--python: picks the pytorch backend's interpreter, but no scenario runs on pytorch/);
  });
});

describe('planRun with step variants', () => {
  it('plans one unit per compile mode and precision on every backend, in order, each its own key', () => {
    const plan = planRun([loaded('a')], { backend: ['cpu', 'pytorch'], compile: ['eager', 'step'], precision: ['fp32', 'bf16'] }, here);
    expect(plan.units.map(({ backend, compile, precision }) => `${backend} ${compile} ${precision}`)).toEqual([
      'cpu eager fp32',
      'cpu eager bf16',
      'cpu step fp32',
      'cpu step bf16',
      'pytorch eager fp32',
      'pytorch eager bf16',
      'pytorch step fp32',
      'pytorch step bf16',
    ]);
  });
});

describe('the regularizer override', () => {
  it("plans one unit per regularizer, each its own key, and hands the session the scenario with the unit's regularizer", async () => {
    const { unitScenario } = await import('../../src/run/plan.js');
    const plan = planRun([loaded('a', { regularizer: { kind: 'r1', gamma: 2 } })], { backend: ['cpu', 'pytorch'], regularizer: ['none', 'r1-lazy'] }, here);
    expect(plan.units.map(({ backend, regularizer }) => `${backend} ${regularizer}`)).toEqual(['cpu none', 'cpu r1-lazy', 'pytorch none', 'pytorch r1-lazy']);
    // The override picks the kind; gamma, every and nCritic stay the scenario's.
    expect(unitScenario(plan.units[1]!).regularizer).toEqual({ kind: 'r1-lazy', gamma: 2, every: 16, nCritic: 5 });
    // Without the override, each scenario's own.
    expect(planRun([loaded('a', { regularizer: { kind: 'r1' } })], {}, here).units.map((unit) => unit.regularizer)).toEqual(['r1']);
  });

  it('refuses, naming the flag, the field and the file, a regularizer a scenario\'s networks cannot take', () => {
    expect(() => planRun([loaded('a', { loss: { generator: 'minimax' } })], { regularizer: ['r1', 'wgan-gp'] }, here)).toThrow(
      new PlanError("--regularizer wgan-gp: loss.generator cannot be 'minimax' with regularizer wgan-gp: WGAN-GP's losses replace BCE, in a.ts"),
    );
  });
});

describe('the reference strategy', () => {
  it("is the post's strategy 1 where it runs, and under WGAN-GP (which it cannot run) PyTorch-GAN's own loop", () => {
    const units = planRun([loaded('a')], { strategies: ['retain-graph', 'g-first', 'detach-d-first'], regularizer: ['none', 'wgan-gp', 'wgan-gp-detached'] }, here).units;
    expect(units.map(({ regularizer, reference }) => `${regularizer} ${reference}`)).toEqual(['none retain-graph', 'wgan-gp detach-d-first', 'wgan-gp-detached detach-d-first']);
    const withoutIt = planRun([loaded('a')], { strategies: ['retain-graph', 'frozen-d'], regularizer: ['wgan-gp'] }, here).units;
    expect(withoutIt[0]!.reference).toBe('frozen-d');
  });
});
