import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { countsNote, NO_DISTRIBUTED_ENGINE, networkVerdicts, runDistributed, verdictNote } from '../../src/session/distributed.js';
import type { GanDdpCell } from '../../src/backends/pytorch/launcher.js';
import { worldSizeProblem } from '../../src/scenario/world-size.js';
import { makeCells } from '../../src/results/make.js';
import { testPlan } from '../fixtures/plan.js';

const tiny = parseScenario(
  {
    name: 'tiny',
    description: 'G 2-3-4 against D 4-5-1 at batch 2.',
    generator: { latentSize: 2, hidden: [3], outputSize: 4 },
    discriminator: { hidden: [5] },
    data: { shape: [4] },
    batchSize: 2,
  },
  'tiny.ts',
);

type Equivalence = NonNullable<GanDdpCell['equivalence']>;
const network = (verdict: 'equal' | 'shard-only' | 'differs', vsWorld1: number) => ({ verdict, vsWorld1, vsShardOnly: 0, acrossRanks: 0 });
const allEqual = { G: network('equal', 0), D: network('equal', 0) };

describe('runDistributed', () => {
  it("gives a tfjs backend's cells one line saying it has no distributed engine, and measures nothing", async () => {
    const [, unit] = testPlan([{ scenario: tiny, file: 'tiny.ts' }], { backend: 'cpu', strategies: ['retain-graph', 'g-first'], worldSize: 2 }).units;
    const { measurements } = await runDistributed(unit!);
    const cells = makeCells(measurements);
    expect(cells.map(({ strategy, status, error, worldSize, allreduceCalls, timing }) => ({ strategy, status, error, worldSize, allreduceCalls, timing }))).toEqual([
      { strategy: 'retain-graph', status: 'errored', error: NO_DISTRIBUTED_ENGINE, worldSize: 2, allreduceCalls: null, timing: null },
      { strategy: 'g-first', status: 'errored', error: NO_DISTRIBUTED_ENGINE, worldSize: 2, allreduceCalls: null, timing: null },
    ]);
  });
});

describe('networkVerdicts', () => {
  it("takes each network's worse verdict of the scenario's optimizer's and the plain-SGD probe's (Adam's first step hides a missing all-reduce)", () => {
    const equivalence: Equivalence = {
      optimizer: 'adam',
      loss: 'non-saturating',
      equal: true,
      maxParamDiff: 0,
      networks: allEqual,
      sgdProbe: { G: network('shard-only', 1e-6), D: network('equal', 0) },
    };
    expect(networkVerdicts(equivalence)).toEqual({ G: 'shard-only', D: 'equal' });
    expect(networkVerdicts({ ...equivalence, networks: { G: network('differs', 1e-3), D: network('equal', 0) } })).toEqual({ G: 'differs', D: 'equal' });
  });
});

describe('verdictNote', () => {
  it("says which network's update was its shard's alone, with the scenario's optimizer's and the probe's differences", () => {
    const equivalence: Equivalence = {
      optimizer: 'adam',
      loss: 'non-saturating',
      equal: false,
      maxParamDiff: 4e-4,
      networks: { G: network('shard-only', 4e-4), D: network('equal', 0) },
      sgdProbe: { G: network('shard-only', 1e-6), D: network('equal', 0) },
    };
    expect(verdictNote(2, equivalence)).toBe(
      "at world size 2, G's update is its rank's shard's alone (its gradient was not all-reduced; Adam 4.0e-4, SGD probe 1.0e-6 from world size 1)",
    );
  });

  it("names the plain-SGD probe's verdict where Adam's first step hid it", () => {
    const equivalence: Equivalence = {
      optimizer: 'adam',
      loss: 'non-saturating',
      equal: true,
      maxParamDiff: 0,
      networks: allEqual,
      sgdProbe: { G: network('equal', 0), D: network('differs', 2e-6) },
    };
    expect(verdictNote(2, equivalence)).toBe(
      "at world size 2, D's update equals world size 1's with Adam, not with the plain-SGD probe (differs: the gradient's scale, which Adam's first step hides; Adam 0.0e+0, SGD probe 2.0e-6 from world size 1)",
    );
  });

  it('describes an SGD scenario by SGD alone, without a probe', () => {
    const equivalence: Equivalence = {
      optimizer: 'sgd',
      loss: 'minimax',
      equal: false,
      maxParamDiff: 3e-2,
      networks: { G: network('differs', 3e-2), D: network('equal', 0) },
      sgdProbe: null,
    };
    expect(verdictNote(2, equivalence)).toBe("at world size 2, G's update differs from world size 1's and from its shard's (SGD 3.0e-2 from world size 1)");
  });

  it("says nothing where every update equals world size 1's", () => {
    expect(verdictNote(2, { optimizer: 'adam', loss: 'non-saturating', equal: true, maxParamDiff: 0, networks: allEqual, sgdProbe: allEqual })).toBeNull();
  });
});

describe('worldSizeProblem', () => {
  it('names the world sizes that divide the batch', () => {
    expect(worldSizeProblem(16, 2)).toBeNull();
    expect(worldSizeProblem(16, 3)).toBe('3 does not divide the batch size 16 (the global batch, split into equal shards): 1, 2, 4, 8 or 16 do');
  });

  it('makes a scenario whose batch its worldSize does not divide a scenario error', () => {
    expect(() => parseScenario({ ...tiny, name: 'odd', worldSize: 3 }, 'odd.ts')).toThrow(/3 does not divide the batch size 2.*worldSize/s);
  });
});

describe('countsNote', () => {
  it("names each count of the timed steps where they differ (lazy R1's phase steps), and nothing where they do not", () => {
    const plain = { allreduce_calls: 3, allreduce_bytes: 172, lazy_phase: false, steps: 38 };
    const phase = { allreduce_calls: 4, allreduce_bytes: 224, lazy_phase: true, steps: 2 };
    expect(countsNote([plain])).toBeNull();
    expect(countsNote(undefined)).toBeNull();
    expect(countsNote([plain, phase])).toBe(
      "all-reduces per timed step: 3 (172 bytes) on 38 steps, 4 (224 bytes) on 2 steps with lazy R1's phase; the cell's counts are the last timed step's",
    );
  });
});
