/**
 * The Dirac-GAN's trajectory from its update equations alone, in float64, no framework: D(x) = sigmoid(psi x),
 * G = theta, real data at 0 (whose D loss term has no gradient: D(0) = 1/2 whatever psi). D's loss
 * BCE(D(theta), 0), times 1/2 for the mean, has d/dpsi = sigmoid(psi theta) theta; G's non-saturating loss
 * BCE(D(theta), 1) has d/dtheta = -sigmoid(-psi theta) psi, the minimax one log(1 - D(theta)) has
 * -sigmoid(psi theta) psi. Simultaneous: both gradients at the step's start; alternating: D steps first, G's
 * gradient through the new psi. Shared by the tfjs and the PyTorch tests of the table.
 *
 * With R1 (the regularizer's `d_loss + gamma / 2 * r1`, r1 the squared gradient of D's logit for its real input, as
 * GAN_stability takes it): D's logit is psi x, its gradient psi wherever the data is, so r1 = psi^2 and the penalty
 * adds gamma psi to D's gradient of the mean loss; a 'sum' row is the mean at twice the rate, so 2 gamma psi at this
 * rate: the notebook's GAN_GradPenalty(0.3) is gamma 0.15.
 */
import { expect } from 'vitest';
import type { StrategyId } from '../../src/strategies/ids.js';

export type Point = readonly [theta: number, psi: number];
/** G's and D's losses; `r1`: R1's gamma on D's logit (none where absent). */
export type Losses = { generatorLoss: 'minimax' | 'non-saturating'; dLoss: 'sum' | 'mean'; r1?: number };
export type Order = 'simultaneous' | 'alternating';

const RATE = 0.2;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function update({ generatorLoss, dLoss, r1 = 0 }: Losses, order: Order, [theta, psi]: Point): Point {
  const scale = dLoss === 'sum' ? 2 : 1;
  const dGrad = (sigmoid(psi * theta) * theta * 0.5 + r1 * psi) * scale;
  const newPsi = psi - RATE * dGrad;
  const seenPsi = order === 'alternating' ? newPsi : psi;
  const gGrad = generatorLoss === 'minimax' ? -sigmoid(seenPsi * theta) * seenPsi : -sigmoid(-seenPsi * theta) * seenPsi;
  return [theta - RATE * gGrad, newPsi];
}

export function expectedTrajectory(losses: Losses, order: Order, steps = 500): Point[] {
  const points: Point[] = [[1, 1]];
  for (let step = 0; step < steps; step++) points.push(update(losses, order, points.at(-1)!));
  return points;
}

export const norm = ([theta, psi]: Point) => Math.hypot(theta, psi);
export const range = (points: Point[]) => {
  const norms = points.slice(1).map(norm);
  return [Math.min(...norms), Math.max(...norms)];
};

export const SIMULTANEOUS: StrategyId[] = ['retain-graph', 'g-first', 'single-forward'];

/** The table, one row per scenario: ||(theta, psi)|| after 500 steps, and min / max over the steps. */
export const ROWS = [
  { file: 'scenarios/quality/dirac-paper.ts', generatorLoss: 'minimax', dLoss: 'sum', simultaneous: 3.35, alternating: [1.34, 1.42] },
  { file: 'scenarios/quality/dirac-minimax-mean.ts', generatorLoss: 'minimax', dLoss: 'mean', simultaneous: 2.78, alternating: [1.2, 1.68] },
  { file: 'scenarios/quality/dirac-post.ts', generatorLoss: 'non-saturating', dLoss: 'mean', simultaneous: 0.65, simultaneousMin: 0.46, alternatingFinal: 0.39, alternatingMin: 0.28 },
  // The paper's loss with R1 at the notebook's strength (gamma 0.15 on D's logit: scenarios/quality/dirac-r1.ts).
  { file: 'scenarios/quality/dirac-r1.ts', generatorLoss: 'minimax', dLoss: 'sum', r1: 0.15, simultaneous: 4.8e-6, simultaneousMin: 4.7e-6, alternatingFinal: 3.0e-7, alternatingMin: 3.0e-7 },
] as const;
export type Row = (typeof ROWS)[number];

/**
 * A framework's trajectory of `order` against the equations: each step from the framework's own previous point
 * (float32 rounding of a few operations, nothing that accumulates), the whole trajectory (rounding accumulated
 * over 500 steps, amplified where it spirals out), and the row's figure.
 */
export function expectRowReproduced(row: Row, order: Order, points: Point[]): void {
  expect(points).toHaveLength(501);
  expect(points[0]).toEqual([1, 1]);
  let worstStep = 0;
  for (let step = 1; step < points.length; step++) {
    const [wantTheta, wantPsi] = update(row, order, points[step - 1]!);
    const [theta, psi] = points[step]!;
    worstStep = Math.max(worstStep, Math.abs(theta - wantTheta), Math.abs(psi - wantPsi));
  }
  expect(worstStep).toBeLessThan(1e-6);
  const expected = expectedTrajectory(row, order);
  const worst = Math.max(...points.map(([theta, psi], step) => Math.max(Math.abs(theta - expected[step]![0]), Math.abs(psi - expected[step]![1]))));
  expect(worst).toBeLessThan(1e-3);
  if (order === 'simultaneous') expect(norm(points.at(-1)!)).toBeCloseTo(norm(expected.at(-1)!), 2);
  else expect(range(points)).toEqual(range(expected).map((value) => expect.closeTo(value, 2)));
}
