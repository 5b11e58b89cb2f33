import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainingData, evaluationNoise, scenarioForSeed } from '../../src/quality/data/data.js';
import { trainOnTfjs } from '../../src/session/tfjs-training.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { StrategyId } from '../../src/strategies/ids.js';
import { tf } from '../../src/tf.js';
import { expectedTrajectory, expectRowReproduced, norm, range, ROWS, SIMULTANEOUS, update, type Point } from './dirac-equations.js';

/** The harness's trajectory: the scenario trained by one strategy, theta and psi read at every step. */
async function harnessTrajectory(scenario: Scenario, strategy: StrategyId): Promise<Point[]> {
  const steps = scenario.quality!.steps;
  const points: Point[] = [];
  await trainOnTfjs(
    {
      scenario: scenarioForSeed(scenario, 0),
      strategy,
      steps,
      checkpoints: Array.from({ length: steps + 1 }, (_, step) => step),
      data: createTrainingData(scenario, 0),
      evaluationNoise: evaluationNoise(scenario, 0, 1),
      withParameters: true,
    },
    'for-loop',
    ({ samples, parameters }) => {
      const theta = parameters!.generator[0]![0]!;
      expect(samples[0]).toBe(theta); // G(1) = theta
      points.push([theta, parameters!.discriminator[0]![0]!]);
    },
  );
  return points;
}

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
          expectRowReproduced(row, order, await harnessTrajectory(scenario, strategy));
        });
      }
    });
  }

  it('with R1 the simultaneous strategies converge to (0, 0), where without it they spiral out', async () => {
    // From the equations: R1 adds -0.2 * 0.3 psi to psi's step (the notebook's GAN_GradPenalty(0.3)), which turns
    // the paper's outward spiral (3.35 after 500 steps) into a contraction.
    const firstBelow = (points: Point[]) => points.findIndex((point) => norm(point) < 0.5);
    const [withR1, without] = ROWS.filter((row) => row.file.endsWith('dirac-r1.ts') || row.file.endsWith('dirac-paper.ts')).sort((a) => (a.file.endsWith('r1.ts') ? -1 : 1));
    // By hand, the first step from (1, 1): the notebook's psi - 0.2 (sigmoid(psi theta) theta + 0.3 psi) = 1 - 0.2
    // (0.7310585786 + 0.3) = 0.7937882843, and the minimax G's theta + 0.2 sigmoid(psi theta) psi = 1.1462117157;
    // the harness's gamma 0.15 on the logit, D's mean loss at 0.4, gives the same.
    const [theta1, psi1] = update(withR1!, 'simultaneous', [1, 1]);
    expect(theta1).toBeCloseTo(1.1462117157, 9);
    expect(psi1).toBeCloseTo(0.7937882843, 9);
    const expected = expectedTrajectory(withR1!, 'simultaneous');
    expect(firstBelow(expected)).toBe(41);
    expect(norm(expected.at(-1)!)).toBeCloseTo(4.78e-6, 8);
    expect(firstBelow(expectedTrajectory(without!, 'simultaneous'))).toBe(-1);
    const scenario = await loadScenario('scenarios/quality/dirac-r1.ts');
    const withoutR1 = await harnessTrajectory({ ...scenario, regularizer: { ...scenario.regularizer, kind: 'none' } }, 'g-first');
    expect(norm(withoutR1.at(-1)!)).toBeCloseTo(3.35, 2);
    for (const strategy of SIMULTANEOUS) {
      const points = await harnessTrajectory(scenario, strategy);
      expect(firstBelow(points), strategy).toBe(41);
      expect(norm(points.at(-1)!), strategy).toBeLessThan(1e-5);
    }
  });

  it('the three simultaneous strategies train the same bits', async () => {
    const scenario = await loadScenario('scenarios/quality/dirac-paper.ts');
    const [first, ...others] = await Promise.all(SIMULTANEOUS.map((id) => harnessTrajectory(scenario, id)));
    for (const other of others) expect(other).toEqual(first);
  });
});
