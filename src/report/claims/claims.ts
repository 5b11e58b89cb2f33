/**
 * The post's claims as pure verdicts over one scenario's cells on one backend and device. Count and FLOP
 * claims are deterministic; time claims need a difference beyond the margins of error (see `compareTimes`).
 */
import { isDistributedOnly, type StrategyId } from '../../strategies/ids.js';
import type { CellResult } from '../../results/cell.js';
import type { ScenarioSummary } from '../../results/run.js';
import { CLAIMS, type ClaimResult, type Found } from './claim-rules.js';

export { compareTimes, type TimeEstimate, type TimeOrdering } from './time-ordering.js';

// The verdicts, claim ids and results are the rules' (claim-rules.ts); re-exported for the report's readers.
export type { ClaimId, ClaimResult, Verdict } from './claim-rules.js';

/** "g-first (errored: …), detach-d-first (not run)", "retain-graph (diverged at step 7: d_loss is NaN)". */
function describeMissing(ids: readonly StrategyId[], cells: readonly CellResult[]): string {
  return ids
    .map((id) => {
      const stopped = cells.find((cell) => cell.strategy === id && (cell.status === 'errored' || cell.status === 'refused' || cell.status === 'diverged'));
      if (stopped?.status === 'diverged') return `${id} (diverged at step ${stopped.diverged.step}: ${stopped.diverged.detail})`;
      if (stopped?.status === 'refused') return `${id} (refused: ${stopped.error})`;
      return stopped ? `${id} (errored: ${stopped.error ?? 'no message'})` : `${id} (not run)`;
    })
    .join(', ');
}

/** The verdict on a claim some of whose strategies were not measured: not judged where one of them diverged. */
function unmeasured(absent: readonly StrategyId[], cells: readonly CellResult[]): Pick<ClaimResult, 'verdict' | 'evidence'> {
  const diverged = absent.some((id) => cells.some((cell) => cell.strategy === id && cell.status === 'diverged'));
  return diverged
    ? { verdict: 'not judged', evidence: `Not judged: ${describeMissing(absent, cells)}.` }
    : { verdict: 'inconclusive', evidence: `Not measured: ${describeMissing(absent, cells)}.` };
}

/**
 * The post's seven claims judged on one scenario's cells of one backend and device, from its ok cells only (errored
 * and diverged cells may be included: they only explain what is missing, and a claim that needs a diverged cell
 * is 'not judged'). Throws when the cells span several backends or devices, or hold
 * one strategy twice: group them first (`evaluateClaimsPerBackend`).
 */
export function evaluateClaims(scenario: ScenarioSummary, cells: readonly CellResult[]): ClaimResult[] {
  const own = cells.filter((cell) => cell.scenario === scenario.name);
  const places = new Set(own.map((cell) => `${cell.backend} on ${cell.device}`));
  if (places.size > 1) {
    throw new Error(
      `evaluateClaims takes one backend and device at a time; got ${[...places].join(', ')} for '${scenario.name}'`,
    );
  }
  const found: Found = new Map();
  // gan_ddp's distributed-only forms have no world size 1 cell and no counts: no claim is judged on them.
  for (const cell of own.filter((candidate) => candidate.status === 'ok')) {
    if (isDistributedOnly(cell.strategy)) continue;
    if (found.has(cell.strategy)) throw new Error(`evaluateClaims got '${cell.strategy}' twice for '${scenario.name}'`);
    found.set(cell.strategy, cell);
  }
  return CLAIMS.map(({ id, claim, rule, needs, evaluate }) => {
    const absent = needs.filter((strategy) => !found.has(strategy));
    const result = absent.length ? unmeasured(absent, own) : evaluate(found, scenario);
    return { id, claim, rule: rule(scenario), ...result };
  });
}

/** A cell, optionally tagged with the index of the run it came from (see `mergeRuns`). */
export type MaybeTaggedCell = CellResult & { run?: number };

export interface BackendClaims {
  backend: CellResult['backend'];
  device: string;
  run: number | undefined;
  claims: ClaimResult[];
}

/** `evaluateClaims` for each backend, device and run among one scenario's cells, in order of first appearance. */
export function evaluateClaimsPerBackend(
  scenario: ScenarioSummary,
  cells: readonly MaybeTaggedCell[],
): BackendClaims[] {
  const groups = new Map<string, MaybeTaggedCell[]>();
  for (const cell of cells.filter((candidate) => candidate.scenario === scenario.name)) {
    const key = JSON.stringify([cell.run ?? null, cell.backend, cell.device]);
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    return { backend: first.backend, device: first.device, run: first.run, claims: evaluateClaims(scenario, group) };
  });
}
