import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainingData, evaluationNoise, scenarioForSeed } from '../../src/quality/data.js';
import { createTfjsTrainer } from '../../src/quality/tfjs-trainer.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { StrategyId } from '../../src/strategies/ids.js';
import { tf } from '../../src/tf.js';

type Point = readonly [theta: number, psi: number];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The Dirac-GAN's trajectory from its update equations alone, in float64, no framework: D(x) = sigmoid(psi x),
 * G = theta, real data at 0 (whose D loss term has no gradient: D(0) = 1/2 whatever psi). D's loss
 * BCE(D(theta), 0), times 1/2 for the mean, has d/dpsi = sigmoid(psi theta) theta; G's non-saturating loss
 * BCE(D(theta), 1) has d/dtheta = -sigmoid(-psi theta) psi, the minimax one log(1 - D(theta)) has
 * -sigmoid(psi theta) psi. Simultaneous: both gradients at the step's start; alternating: D steps first, G's
 * gradient through the new psi.
 */
type Losses = { generatorLoss: 'minimax' | 'non-saturating'; dLoss: 'sum' | 'mean' };
type Order = 'simultaneous' | 'alternating';
const RATE = 0.2;

function update({ generatorLoss, dLoss }: Losses, order: Order, [theta, psi]: Point): Point {
  const dGrad = sigmoid(psi * theta) * theta * (dLoss === 'sum' ? 1 : 0.5);
  const newPsi = psi - RATE * dGrad;
  const seenPsi = order === 'alternating' ? newPsi : psi;
  const gGrad = generatorLoss === 'minimax' ? -sigmoid(seenPsi * theta) * seenPsi : -sigmoid(-seenPsi * theta) * seenPsi;
  return [theta - RATE * gGrad, newPsi];
}

function expectedTrajectory(losses: Losses, order: Order, steps = 500): Point[] {
  const points: Point[] = [[1, 1]];
  for (let step = 0; step < steps; step++) points.push(update(losses, order, points.at(-1)!));
  return points;
}

/** The harness's trajectory: the scenario trained by one strategy, theta and psi read at every step. */
async function harnessTrajectory(scenario: Scenario, strategy: StrategyId): Promise<Point[]> {
  const steps = scenario.quality!.steps;
  const points: Point[] = [];
  await createTfjsTrainer('for-loop').train(
    {
      scenario: scenarioForSeed(scenario, 0),
      strategy,
      steps,
      checkpoints: Array.from({ length: steps + 1 }, (_, step) => step),
      data: createTrainingData(scenario, 0),
      evaluationNoise: evaluationNoise(scenario, 0, 1),
      withParameters: true,
    },
    ({ samples, parameters }) => {
      const theta = parameters!.generator[0]![0]!;
      expect(samples[0]).toBe(theta); // G(1) = theta
      points.push([theta, parameters!.discriminator[0]![0]!]);
    },
  );
  return points;
}

const norm = ([theta, psi]: Point) => Math.hypot(theta, psi);
const range = (points: Point[]) => {
  const norms = points.slice(1).map(norm);
  return [Math.min(...norms), Math.max(...norms)];
};

const SIMULTANEOUS: StrategyId[] = ['retain-graph', 'g-first', 'single-forward'];

/** The table, one row per scenario: ||(theta, psi)|| after 500 steps, and min / max over the steps. */
const ROWS = [
  { file: 'scenarios/quality/dirac-paper.ts', generatorLoss: 'minimax', dLoss: 'sum', simultaneous: 3.35, alternating: [1.34, 1.42] },
  { file: 'scenarios/quality/dirac-minimax-mean.ts', generatorLoss: 'minimax', dLoss: 'mean', simultaneous: 2.78, alternating: [1.2, 1.68] },
  { file: 'scenarios/quality/dirac-post.ts', generatorLoss: 'non-saturating', dLoss: 'mean', simultaneous: 0.65, simultaneousMin: 0.46, alternatingFinal: 0.39, alternatingMin: 0.28 },
] as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the Dirac-GAN, trained by the strategies unchanged, against its update equations', () => {
  for (const row of ROWS) {
    describe(row.file, () => {
      const simultaneous = expectedTrajectory(row, 'simultaneous');
      const alternating = expectedTrajectory(row, 'alternating');

      it("reproduces the issue's table from the equations alone", () => {
        expect(norm(simultaneous.at(-1)!)).toBeCloseTo(row.simultaneous, 2);
        if ('alternating' in row) {
          const [low, high] = range(alternating);
          expect(low).toBeCloseTo(row.alternating[0], 2);
          expect(high).toBeCloseTo(row.alternating[1], 2);
        } else {
          expect(range(simultaneous)[0]).toBeCloseTo(row.simultaneousMin, 2);
          expect(norm(alternating.at(-1)!)).toBeCloseTo(row.alternatingFinal, 2);
          expect(range(alternating)[0]).toBeCloseTo(row.alternatingMin, 2);
        }
      });

      for (const strategy of [...SIMULTANEOUS, 'detach-d-first'] as const) {
        const order = strategy === 'detach-d-first' ? 'alternating' : 'simultaneous';
        it(`${strategy} takes the ${order} step from every point of its trajectory, and reproduces the row`, async () => {
          const scenario = await loadScenario(row.file);
          const points = await harnessTrajectory(scenario, strategy);
          expect(points).toHaveLength(501);
          expect(points[0]).toEqual([1, 1]);
          // Each step against the equations from the harness's own previous point: float32 rounding of a few
          // operations, nothing that accumulates.
          let worstStep = 0;
          for (let step = 1; step < points.length; step++) {
            const [wantTheta, wantPsi] = update(row, order, points[step - 1]!);
            const [theta, psi] = points[step]!;
            worstStep = Math.max(worstStep, Math.abs(theta - wantTheta), Math.abs(psi - wantPsi));
          }
          expect(worstStep).toBeLessThan(1e-6);
          // The whole trajectory: float32 rounding accumulated over 500 steps (amplified where it spirals out).
          const expected = order === 'alternating' ? alternating : simultaneous;
          const worst = Math.max(...points.map(([theta, psi], step) => Math.max(Math.abs(theta - expected[step]![0]), Math.abs(psi - expected[step]![1]))));
          expect(worst).toBeLessThan(1e-3);
          if (order === 'simultaneous') expect(norm(points.at(-1)!)).toBeCloseTo(norm(simultaneous.at(-1)!), 2);
          else expect(range(points)).toEqual(range(alternating).map((value) => expect.closeTo(value, 2)));
        });
      }
    });
  }

  it('the three simultaneous strategies train the same bits', async () => {
    const scenario = await loadScenario('scenarios/quality/dirac-paper.ts');
    const [first, ...others] = await Promise.all(SIMULTANEOUS.map((id) => harnessTrajectory(scenario, id)));
    for (const other of others) expect(other).toEqual(first);
  });
});
