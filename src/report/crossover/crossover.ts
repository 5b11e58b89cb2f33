/**
 * The crossover map of a sweep, as pure functions over its variants' cells: where retain-graph (the post's one)
 * becomes faster than g-first (its three) as D grows against G, measured (beyond the margins of error) and as
 * the FLOP counts predict it, and the post's rule of thumb ("if D is more complex than G take one; if simpler,
 * three") judged over the whole sweep rather than at one point.
 */
import { isDistributedOnly, type StrategyId } from '../../strategies/ids.js';
import type { CellResult } from '../../results/cell.js';
import type { ScenarioSummary } from '../../results/run.js';
import type { Verdict } from '../claims/claims.js';
import { formatMs, formatRme, significant } from '../../format.js';
import { compareTimes, type TimeEstimate } from '../claims/time-ordering.js';

const ONE: StrategyId = 'retain-graph';
const THREE: StrategyId = 'g-first';

/** One variant of a sweep on one backend: its D/G cost ratio and what its cells measured. */
export interface CrossoverPoint {
  /** The variant's scenario name. */
  scenario: string;
  batchSize: number;
  /** D's multiply-accumulates per sample over G's. */
  dToG: number;
  /** Each ok, timed strategy's mean step time and margin of error. */
  times: Partial<Record<StrategyId, TimeEstimate>>;
  /** Each ok strategy's FLOPs per step (measured from the kernels; predicted where not profiled). */
  flops: Partial<Record<StrategyId, number>>;
}

/**
 * Where retain-graph becomes faster (or cheaper) than g-first along a sweep:
 * - `at`: between the two variants where the ordering flips from g-first ahead to retain-graph ahead (`between`
 *   holds their D/G), at the D/G where retain-graph's figure over g-first's crosses 1, interpolated on log D/G
 *   (over the variants within the margins between the two, where there are any: their means still say where it
 *   crosses);
 * - `reversed`: no such flip, but the opposite one (retain-graph ahead below `dToG`, g-first above it);
 * - `none`: one of the two is ahead at every variant (`ahead` says which): no crossover in the range;
 * - `inconclusive`: the ordering is within the margins where the crossover would have to be (`reason`).
 */
export type Crossover =
  | { kind: 'at'; dToG: number; between: [number, number]; flips: number }
  | { kind: 'reversed'; dToG: number; between: [number, number]; flips: number }
  | { kind: 'none'; ahead: 'retain-graph' | 'g-first' }
  | { kind: 'inconclusive'; reason: string };

/**
 * One variant's standing: `ahead` +1 where retain-graph is ahead (faster beyond the margins, or fewer FLOPs), -1
 * where g-first is, 0 where neither is; `gap` is retain-graph's figure over g-first's, minus 1 (positive where
 * g-first is ahead), the quantity interpolated to zero.
 */
export interface Standing {
  dToG: number;
  ahead: -1 | 0 | 1;
  gap: number;
}

/**
 * The D/G where `gap` reaches zero on the straight line between two variants, with log10(D/G) as the abscissa:
 * `log x = log x1 + (log x2 - log x1) * gap1 / (gap1 - gap2)`.
 */
export function interpolateCrossover(a: Standing, b: Standing): number {
  if (a.gap === b.gap) return Math.sqrt(a.dToG * b.dToG);
  const fraction = a.gap / (a.gap - b.gap);
  return 10 ** (Math.log10(a.dToG) + (Math.log10(b.dToG) - Math.log10(a.dToG)) * fraction);
}

const formatRatioValue = (value: number) => significant(value);

/** Locates the crossover along standings sorted by D/G (see `Crossover`); pure. */
export function locateCrossover(standings: readonly Standing[]): Crossover {
  const sorted = [...standings].sort((a, b) => a.dToG - b.dToG);
  if (sorted.length === 0) return { kind: 'inconclusive', reason: 'no variant has both strategies measured' };
  const decided = sorted.filter((standing) => standing.ahead !== 0);
  let flips = 0;
  for (let i = 1; i < decided.length; i++) if (decided[i]!.ahead !== decided[i - 1]!.ahead) flips++;
  const flip = (from: -1 | 1) => {
    const index = decided.findIndex((standing, i) => i > 0 && standing.ahead === -from && decided[i - 1]!.ahead === from);
    return index < 0 ? null : ([decided[index - 1]!, decided[index]!] as const);
  };
  // Within the flip's two variants, the first step where the gap changes sign (ties between them included).
  const crossing = (first: Standing, last: Standing): number => {
    const span = sorted.slice(sorted.indexOf(first), sorted.indexOf(last) + 1);
    const sign = Math.sign(first.gap);
    const index = span.findIndex((standing, i) => i > 0 && Math.sign(standing.gap) !== sign);
    return span[index]!.gap === 0 ? span[index]!.dToG : interpolateCrossover(span[index - 1]!, span[index]!);
  };
  const upward = flip(-1);
  if (upward) return { kind: 'at', dToG: crossing(...upward), between: [upward[0].dToG, upward[1].dToG], flips };
  const downward = flip(1);
  if (downward) return { kind: 'reversed', dToG: crossing(...downward), between: [downward[0].dToG, downward[1].dToG], flips };
  if (decided.length === 0) return { kind: 'inconclusive', reason: 'every variant is within the margins of error' };
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (decided[0]!.ahead === -1) {
    // g-first ahead wherever anything is decided: no crossover unless the top of the range is a tie.
    if (last.ahead === -1) return { kind: 'none', ahead: 'g-first' };
    const lastDecided = decided[decided.length - 1]!;
    return {
      kind: 'inconclusive',
      reason: `g-first is ahead up to D/G ${formatRatioValue(lastDecided.dToG)}, within the margins above it`,
    };
  }
  if (first.ahead === 1) return { kind: 'none', ahead: 'retain-graph' };
  return {
    kind: 'inconclusive',
    reason: `retain-graph is ahead from D/G ${formatRatioValue(decided[0]!.dToG)}, within the margins below it`,
  };
}

/** The time standings of the variants where both retain-graph and g-first were timed, ordered beyond the margins. */
export function timeStandings(points: readonly CrossoverPoint[]): Standing[] {
  return points.flatMap((point) => {
    const one = point.times[ONE];
    const three = point.times[THREE];
    if (!one || !three || three.meanMs <= 0) return [];
    const order = compareTimes(one, three);
    return [{ dToG: point.dToG, ahead: order === 'faster' ? 1 : order === 'slower' ? -1 : 0, gap: one.meanMs / three.meanMs - 1 }];
  });
}

/** The FLOP standings of the variants where both were counted: exact, so a variant is a tie only at equal FLOPs. */
export function flopStandings(points: readonly CrossoverPoint[]): Standing[] {
  return points.flatMap((point) => {
    const one = point.flops[ONE];
    const three = point.flops[THREE];
    if (one == null || three == null || three <= 0) return [];
    return [{ dToG: point.dToG, ahead: one < three ? 1 : one > three ? -1 : 0, gap: one / three - 1 }];
  });
}

/** The measured crossover: where retain-graph becomes faster than g-first beyond the margins of error. */
export function measuredCrossover(points: readonly CrossoverPoint[]): Crossover {
  return locateCrossover(timeStandings(points));
}

/**
 * The crossover the FLOP counts predict: where retain-graph's FLOPs per step fall to g-first's. A variant with
 * exactly equal FLOPs is the crossover itself.
 */
export function flopCrossover(points: readonly CrossoverPoint[]): Crossover {
  const standings = flopStandings(points);
  const equal = [...standings].sort((a, b) => a.dToG - b.dToG).find((standing) => standing.gap === 0);
  if (equal) return { kind: 'at', dToG: equal.dToG, between: [equal.dToG, equal.dToG], flips: 0 };
  return locateCrossover(standings);
}

/** "D/G ≈ 3.16 (between 1.00 and 10.0)", "none in range (g-first faster throughout)", ... */
export function describeCrossover(crossover: Crossover, what: { ahead: string; behind: string } = { ahead: 'faster', behind: 'slower' }): string {
  const range = (between: [number, number]) =>
    between[0] === between[1] ? `at the variant ${formatRatioValue(between[0])}` : `between ${formatRatioValue(between[0])} and ${formatRatioValue(between[1])}`;
  const flips = (count: number) => (count > 1 ? `; the ordering flips ${count} times along the sweep` : '');
  switch (crossover.kind) {
    case 'at':
      return `D/G ≈ ${formatRatioValue(crossover.dToG)} (${range(crossover.between)}${flips(crossover.flips)})`;
    case 'reversed':
      return `none in range: reversed, retain-graph ${what.ahead} below D/G ≈ ${formatRatioValue(crossover.dToG)} and g-first above (${range(crossover.between)}${flips(crossover.flips)})`;
    case 'none':
      return `none in range (${crossover.ahead} ${what.ahead} throughout)`;
    case 'inconclusive':
      return `inconclusive: ${crossover.reason}`;
  }
}

/** The points of one backend's cells of a sweep: one per variant, sorted by batch size, then D/G. */
export function crossoverPoints(variants: readonly ScenarioSummary[], cells: readonly CellResult[]): CrossoverPoint[] {
  return variants
    .map((variant) => {
      const own = cells.filter((cell) => cell.scenario === variant.name && cell.status === 'ok');
      const times: CrossoverPoint['times'] = {};
      const flops: CrossoverPoint['flops'] = {};
      for (const cell of own) {
        if (isDistributedOnly(cell.strategy)) continue;
        if (cell.timing) times[cell.strategy] = { meanMs: cell.timing.meanMs, rmePct: cell.timing.rmePct };
        const count = cell.flops ?? cell.flopsPredicted;
        if (count != null) flops[cell.strategy] = count;
      }
      return {
        scenario: variant.name,
        batchSize: variant.batchSize,
        dToG: variant.discriminatorMacsPerSample / variant.generatorMacsPerSample,
        times,
        flops,
      };
    })
    .sort((a, b) => a.batchSize - b.batchSize || a.dToG - b.dToG);
}

/** The post's rule judged over a whole sweep on one backend. */
export interface SweepRuleResult {
  verdict: Verdict;
  evidence: string;
}

export const SWEEP_RULE_CLAIM = 'If D is more complex than G take strategy one; if simpler, take three';

export const SWEEP_RULE =
  'Over the whole sweep, by MACs per sample: holds when, beyond the margins of error, g-first is faster than ' +
  'retain-graph at every variant with D/G < 1 and retain-graph is faster at every variant with D/G > 1; does not ' +
  'hold when some variant contradicts it beyond the margins; inconclusive otherwise (a tie, an untimed variant, or ' +
  'no variant on one side of 1). Variants with D/G = 1 are not judged.';

/** How many variants a verdict names before it counts the rest. */
const NAMED = 4;

const timeText = (point: CrossoverPoint) => {
  const one = point.times[ONE]!;
  const three = point.times[THREE]!;
  return `retain-graph ${formatMs(one.meanMs)} ${formatRme(one.rmePct)}, g-first ${formatMs(three.meanMs)} ${formatRme(three.rmePct)}`;
};

/**
 * The post's rule of thumb over every variant of a sweep on one backend (all batch sizes together), with the
 * measured crossover of each batch size as evidence. Pure.
 */
export function judgeSweepRule(points: readonly CrossoverPoint[]): SweepRuleResult {
  const sides = { below: points.filter((point) => point.dToG < 1), above: points.filter((point) => point.dToG > 1) };
  const orderOf = (point: CrossoverPoint) => {
    const one = point.times[ONE];
    const three = point.times[THREE];
    return one && three ? compareTimes(one, three) : null;
  };
  // The rule picks g-first below 1 and retain-graph above: retain-graph 'slower' below and 'faster' above agree.
  const agrees = (point: CrossoverPoint) => orderOf(point) === (point.dToG < 1 ? 'slower' : 'faster');
  const contradicts = (point: CrossoverPoint) => orderOf(point) === (point.dToG < 1 ? 'faster' : 'slower');
  const contradictions = [...sides.below, ...sides.above].filter(contradicts);
  const summary = (side: 'below' | 'above') => {
    const list = sides[side];
    const pick = side === 'below' ? 'g-first' : 'retain-graph';
    const agreeing = list.filter(agrees).length;
    const against = list.filter(contradicts).length;
    const untimed = list.filter((point) => orderOf(point) === null).length;
    const tied = list.length - agreeing - against - untimed;
    const rest = [
      ...(against ? [`the other faster at ${against}`] : []),
      ...(tied ? [`within the margins at ${tied}`] : []),
      ...(untimed ? [`not timed at ${untimed}`] : []),
    ];
    return `D/G ${side === 'below' ? '< 1' : '> 1'}: ${pick} faster at ${agreeing} of ${list.length} variants${rest.length ? ` (${rest.join(', ')})` : ''}`;
  };
  const batches = [...new Set(points.map((point) => point.batchSize))].sort((a, b) => a - b);
  const crossovers = batches
    .map((batch) => `batch ${batch}: ${describeCrossover(measuredCrossover(points.filter((point) => point.batchSize === batch)))}`)
    .join('; ');
  const counts = `${summary('below')}; ${summary('above')}. Measured crossover, ${crossovers}.`;
  if (contradictions.length > 0) {
    const named = contradictions
      .slice(0, NAMED)
      .map((point) => `${point.scenario} (D/G ${formatRatioValue(point.dToG)}: ${point.dToG < 1 ? 'retain-graph' : 'g-first'} faster, ${timeText(point)})`);
    const more = contradictions.length > NAMED ? ` and ${contradictions.length - NAMED} more` : '';
    return { verdict: 'does not hold', evidence: `Contradicted by ${named.join('; ')}${more}. ${counts}` };
  }
  const allAgree = [...sides.below, ...sides.above].every(agrees);
  if (allAgree && sides.below.length > 0 && sides.above.length > 0) return { verdict: 'holds', evidence: counts };
  const missingSide = sides.below.length === 0 ? ' No variant has D/G < 1.' : sides.above.length === 0 ? ' No variant has D/G > 1.' : '';
  return { verdict: 'inconclusive', evidence: `${counts}${missingSide}` };
}
