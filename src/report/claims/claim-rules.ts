/**
 * The post's seven claims as data: each with its words, its rule, the strategies it needs and how it judges
 * their cells. `evaluateClaims` (claims.ts) checks that the strategies were measured before calling `evaluate`.
 */
import type { StrategyId } from '../../strategies/ids.js';
import type { CellResult } from '../../results/cell.js';
import type { ScenarioSummary } from '../../results/run.js';
import { formatBytes, formatCount, formatFlops, formatMs, formatRme } from '../../format.js';
import { compareTimes, type TimeOrdering } from './time-ordering.js';

/**
 * A claim's verdict on one backend's cells ('not judged' where a cell it needs diverged: its numbers are not
 * evidence); the claim ids and results below. Defined with the rules that decide them.
 */
export type Verdict = 'holds' | 'does not hold' | 'inconclusive' | 'not applicable' | 'not judged';

export type ClaimId =
  | 'three-best'
  | 'two-second-one-worst'
  | 'one-needless-g-gradient'
  | 'three-needless-d-forward'
  | 'g-gradient-costs-more'
  | 'complexity-rule'
  | 'two-holds-g-graph';

export interface ClaimResult {
  id: ClaimId;
  /** The post's words, short. */
  claim: string;
  verdict: Verdict;
  /** The rule applied, in one sentence. */
  rule: string;
  /** The numbers behind the verdict, in one or two sentences. */
  evidence: string;
}

const ORDERING_WORDS: Record<TimeOrdering, string> = {
  faster: 'faster than',
  slower: 'slower than',
  indistinguishable: 'no different beyond the margin of error from',
};

/** The strategy ids the post numbers 1, 2 and 3. */
const ONE = 'retain-graph';
const TWO = 'detach-d-first';
const THREE = 'g-first';

export type Found = Map<StrategyId, CellResult>;
type Evaluation = Pick<ClaimResult, 'verdict' | 'evidence'>;

export interface ClaimDefinition {
  id: ClaimId;
  claim: string;
  rule(scenario: ScenarioSummary): string;
  needs: readonly StrategyId[];
  evaluate(found: Found, scenario: ScenarioSummary): Evaluation;
}

const get = (found: Found, id: StrategyId): CellResult => found.get(id)!;

const timeOf = (cell: CellResult): string =>
  cell.timing
    ? `${cell.strategy} ${formatMs(cell.timing.meanMs)} ${formatRme(cell.timing.rmePct)}`
    : `${cell.strategy} untimed`;

/** Compares two cells' times; null when either has no timing. */
function ordering(a: CellResult, b: CellResult): TimeOrdering | null {
  return a.timing && b.timing ? compareTimes(a.timing, b.timing) : null;
}

function untimed(cells: readonly CellResult[]): Evaluation | null {
  const missing = cells.filter((cell) => !cell.timing).map((cell) => cell.strategy);
  return missing.length ? { verdict: 'inconclusive', evidence: `No timing recorded for ${missing.join(', ')}.` } : null;
}

function uncounted(cells: readonly CellResult[], field: keyof CellResult, what: string): Evaluation | null {
  const missing = cells.filter((cell) => cell[field] == null).map((cell) => cell.strategy);
  return missing.length
    ? { verdict: 'inconclusive', evidence: `No ${what} recorded for ${missing.join(', ')}.` }
    : null;
}

const sentence = (a: CellResult, order: TimeOrdering, b: CellResult) =>
  `${a.strategy} is ${ORDERING_WORDS[order]} ${b.strategy}`;

/** The claims, in the order the post makes them. */
export const CLAIMS: readonly ClaimDefinition[] = [
  {
    id: 'three-best',
    claim: 'Strategy three is the best',
    rule: () =>
      "Holds when g-first's mean step time is below both retain-graph's and detach-d-first's beyond the margins " +
      'of error; does not hold when either is faster than g-first; inconclusive otherwise.',
    needs: [THREE, ONE, TWO],
    evaluate(found) {
      const [three, one, two] = [get(found, THREE), get(found, ONE), get(found, TWO)];
      const missing = untimed([three, one, two]);
      if (missing) return missing;
      const vsOne = ordering(three, one)!;
      const vsTwo = ordering(three, two)!;
      const verdict: Verdict =
        vsOne === 'faster' && vsTwo === 'faster'
          ? 'holds'
          : vsOne === 'slower' || vsTwo === 'slower'
            ? 'does not hold'
            : 'inconclusive';
      return {
        verdict,
        evidence: `${timeOf(three)}, ${timeOf(one)}, ${timeOf(two)}: ${sentence(three, vsOne, one)} and ${ORDERING_WORDS[vsTwo]} ${two.strategy}.`,
      };
    },
  },
  {
    id: 'two-second-one-worst',
    claim: 'Strategy two is second, strategy one the worst',
    rule: () =>
      'Holds when detach-d-first is slower than g-first and faster than retain-graph beyond the margins of error ' +
      '(three, two, one, in that order); does not hold when detach-d-first is faster than g-first, or retain-graph ' +
      'is faster than either; inconclusive otherwise (a tie).',
    needs: [TWO, ONE, THREE],
    evaluate(found) {
      const [two, one, three] = [get(found, TWO), get(found, ONE), get(found, THREE)];
      const missing = untimed([three, two, one]);
      if (missing) return missing;
      const twoVsThree = ordering(two, three)!;
      const twoVsOne = ordering(two, one)!;
      const threeVsOne = ordering(three, one)!;
      const verdict: Verdict =
        twoVsThree === 'slower' && twoVsOne === 'faster'
          ? 'holds'
          : twoVsThree === 'faster' || twoVsOne === 'slower' || threeVsOne === 'slower'
            ? 'does not hold'
            : 'inconclusive';
      return {
        verdict,
        evidence:
          `${timeOf(three)}, ${timeOf(two)}, ${timeOf(one)}: ${sentence(two, twoVsThree, three)}; ` +
          `${sentence(two, twoVsOne, one)}; ${sentence(three, threeVsOne, one)}.`,
      };
    },
  },
  {
    id: 'one-needless-g-gradient',
    claim: 'Strategy one computes a needless generator gradient',
    rule: (scenario) =>
      'Holds when retain-graph makes more backward passes through G than g-first and wastes at least ' +
      `G's ${formatCount(scenario.generatorParameters)} parameters' worth of gradient elements more than g-first.`,
    needs: [ONE, THREE],
    evaluate(found, scenario) {
      const [one, three] = [get(found, ONE), get(found, THREE)];
      const missing =
        uncounted([one, three], 'generatorBackwards', 'backward count') ??
        uncounted([one, three], 'wastedGradientElements', 'wasted-gradient count');
      if (missing) return missing;
      const extraWasted = one.wastedGradientElements! - three.wastedGradientElements!;
      const holds = one.generatorBackwards! > three.generatorBackwards! && extraWasted >= scenario.generatorParameters;
      return {
        verdict: holds ? 'holds' : 'does not hold',
        evidence:
          `retain-graph: ${one.generatorBackwards} backward passes through G, ` +
          `${formatCount(one.wastedGradientElements)} wasted gradient elements; ` +
          `g-first: ${three.generatorBackwards} and ${formatCount(three.wastedGradientElements)}; ` +
          `G has ${formatCount(scenario.generatorParameters)} parameters.`,
      };
    },
  },
  {
    id: 'three-needless-d-forward',
    claim: 'Strategy three computes a needless discriminator forward',
    rule: () => 'Holds when g-first runs more forward passes through D than retain-graph.',
    needs: [THREE, ONE],
    evaluate(found) {
      const [three, one] = [get(found, THREE), get(found, ONE)];
      const missing = uncounted([three, one], 'discriminatorForwards', 'forward count');
      if (missing) return missing;
      return {
        verdict: three.discriminatorForwards! > one.discriminatorForwards! ? 'holds' : 'does not hold',
        evidence: `g-first runs ${three.discriminatorForwards} forward passes through D, retain-graph ${one.discriminatorForwards}.`,
      };
    },
  },
  {
    id: 'g-gradient-costs-more',
    claim: 'One more generator gradient costs more than one more discriminator forward',
    rule: () =>
      "Holds when retain-graph's FLOPs per step (measured from the kernels; predicted where not profiled) " +
      "exceed g-first's; the step times are supporting evidence only.",
    needs: [ONE, THREE],
    evaluate(found) {
      const [one, three] = [get(found, ONE), get(found, THREE)];
      const flopsOf = (cell: CellResult) => cell.flops ?? cell.flopsPredicted;
      const [oneFlops, threeFlops] = [flopsOf(one), flopsOf(three)];
      if (oneFlops == null || threeFlops == null) {
        const missing = [one, three].filter((cell) => flopsOf(cell) == null).map((cell) => cell.strategy);
        return { verdict: 'inconclusive', evidence: `No FLOPs recorded for ${missing.join(', ')}.` };
      }
      const source = one.flops != null && three.flops != null ? 'measured' : 'predicted';
      const change =
        threeFlops === 0
          ? ''
          : ` (${oneFlops >= threeFlops ? '+' : ''}${(((oneFlops - threeFlops) / threeFlops) * 100).toFixed(1)}%)`;
      const order = ordering(one, three);
      const time = order ? ` Time: ${timeOf(one)}, ${timeOf(three)}: ${sentence(one, order, three)}.` : '';
      return {
        verdict: oneFlops > threeFlops ? 'holds' : 'does not hold',
        evidence: `FLOPs per step (${source}): retain-graph ${formatFlops(oneFlops)}, g-first ${formatFlops(threeFlops)}${change}.${time}`,
      };
    },
  },
  {
    id: 'complexity-rule',
    claim: 'If D is more complex than G take strategy one; if simpler, take three',
    rule: () =>
      'By MACs per sample: if D > G it holds when retain-graph is faster than g-first, if D < G when g-first is ' +
      'faster than retain-graph, beyond the margins of error (a reversal does not hold; otherwise inconclusive); ' +
      'equal → not applicable.',
    needs: [ONE, THREE],
    evaluate(found, scenario) {
      const [one, three] = [get(found, ONE), get(found, THREE)];
      const g = scenario.generatorMacsPerSample;
      const d = scenario.discriminatorMacsPerSample;
      const shapes = `D ${formatCount(d)} MACs per sample, G ${formatCount(g)}`;
      if (d === g)
        return { verdict: 'not applicable', evidence: `${shapes}: equally complex, the rule picks neither.` };
      const missing = untimed([one, three]);
      if (missing) return missing;
      const [pick, other] = d > g ? [one, three] : [three, one];
      const order = ordering(pick, other)!;
      const verdict: Verdict = order === 'faster' ? 'holds' : order === 'slower' ? 'does not hold' : 'inconclusive';
      return {
        verdict,
        evidence:
          `${shapes}: D is ${d > g ? 'more complex' : 'simpler'}, so the rule picks ${pick.strategy}. ` +
          `${timeOf(pick)}, ${timeOf(other)}: ${sentence(pick, order, other)}.`,
      };
    },
  },
  {
    id: 'two-holds-g-graph',
    claim: "Strategy two must hold G's graph until D is updated",
    rule: () =>
      'Holds when detach-d-first keeps recorded-graph bytes alive across an optimizer step while g-first keeps none.',
    needs: [TWO, THREE],
    evaluate(found) {
      const [two, three] = [get(found, TWO), get(found, THREE)];
      const missing = uncounted([two, three], 'retainedBytes', 'retained-graph bytes');
      if (missing) return missing;
      const one = found.get(ONE);
      const oneText = one ? `, retain-graph ${formatBytes(one.retainedBytes)}` : ', retain-graph not measured';
      return {
        verdict: two.retainedBytes! > 0 && three.retainedBytes === 0 ? 'holds' : 'does not hold',
        evidence:
          `Graph bytes held across an optimizer step: detach-d-first ${formatBytes(two.retainedBytes)}, ` +
          `g-first ${formatBytes(three.retainedBytes)}${oneText}.`,
      };
    },
  },
];
