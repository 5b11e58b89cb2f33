/**
 * The report's crossover section for each sweep: data in, markdown out. Per backend and batch size, the measured
 * crossover (where retain-graph becomes faster than g-first), the one the FLOP counts predict and the post's rule
 * (D/G = 1) side by side; each variant's time and FLOP ratios; the post's rule of thumb judged over the whole sweep.
 */
import type { ScenarioSummary } from '../../results/run.js';
import {
  crossoverPoints,
  describeCrossover,
  flopCrossover,
  judgeSweepRule,
  measuredCrossover,
  SWEEP_RULE,
  SWEEP_RULE_CLAIM,
  type CrossoverPoint,
} from './crossover.js';
import { DASH, formatCount, formatRatio, significant } from '../../format.js';
import type { TaggedCell } from '../merge.js';
import { renderTable, type MarkdownColumn } from '../tables/tables.js';
import { compareTimes } from '../claims/time-ordering.js';

/** One backend's (device's, and where needed run's) points of a sweep. */
export interface CrossoverGroup {
  /** "wasm · wasm SIMD, single thread (...)", with "· run 2" where several runs measured the same variant there. */
  series: string;
  points: CrossoverPoint[];
}

/** The sweeps among these scenarios, by name, each with its variants in the order given. */
export function sweepsOf(scenarios: readonly ScenarioSummary[]): Map<string, ScenarioSummary[]> {
  const sweeps = new Map<string, ScenarioSummary[]>();
  for (const scenario of scenarios) {
    if (scenario.sweep) sweeps.set(scenario.sweep.name, [...(sweeps.get(scenario.sweep.name) ?? []), scenario]);
  }
  return sweeps;
}

/**
 * A sweep's cells grouped by backend and device, in order of first appearance: shards of one sweep on one backend
 * merge into one group; where two runs measured the same variant and strategy on one backend and device, that
 * backend's groups are split by run, so that no variant counts twice.
 */
export function crossoverGroups(variants: readonly ScenarioSummary[], cells: readonly TaggedCell[]): CrossoverGroup[] {
  const names = new Set(variants.map((variant) => variant.name));
  const own = cells.filter((cell) => names.has(cell.scenario));
  const place = (cell: TaggedCell) => `${cell.backend} · ${cell.device}`;
  const byPlace = new Map<string, TaggedCell[]>();
  for (const cell of own) byPlace.set(place(cell), [...(byPlace.get(place(cell)) ?? []), cell]);
  return [...byPlace.entries()].flatMap(([series, group]) => {
    const keys = group.filter((cell) => cell.status !== 'errored').map((cell) => `${cell.scenario}\u0000${cell.strategy}`);
    if (new Set(keys).size === keys.length) return [{ series, points: crossoverPoints(variants, group) }];
    const runs = [...new Set(group.map((cell) => cell.run))];
    return runs.map((run) => ({ series: `${series} · run ${run + 1}`, points: crossoverPoints(variants, group.filter((cell) => cell.run === run)) }));
  });
}

const POST_RULE = 'D/G = 1';

/** "1.25× · g-first faster": retain-graph's mean time over g-first's, and the ordering beyond the margins. */
function timeRatioText(point: CrossoverPoint | undefined): string {
  const one = point?.times['retain-graph'];
  const three = point?.times['g-first'];
  if (!one || !three) return DASH;
  const order = compareTimes(one, three);
  const words = order === 'faster' ? 'retain-graph faster' : order === 'slower' ? 'g-first faster' : 'within the margins';
  return `${formatRatio(one.meanMs / three.meanMs)} · ${words}`;
}

function flopRatioText(point: CrossoverPoint | undefined): string {
  const one = point?.flops['retain-graph'];
  const three = point?.flops['g-first'];
  return one == null || three == null || three === 0 ? DASH : formatRatio(one / three, 3);
}

/** A table whose columns are given by header, alignment and position in each row's cells. */
function cellTable(columns: readonly (readonly [string, MarkdownColumn<string[]>['align']])[], rows: readonly string[][]): string {
  return renderTable(
    columns.map(([header, align], index): MarkdownColumn<string[]> => ({ header, align, value: (cells) => cells[index] ?? DASH })),
    rows,
  );
}

/** The section of one sweep; `chart` is the file of its chart, embedded as an image where given. */
export function renderCrossoverSection(name: string, variants: readonly ScenarioSummary[], cells: readonly TaggedCell[], chart?: string): string {
  const groups = crossoverGroups(variants, cells);
  const ratios = variants.map((variant) => variant.discriminatorMacsPerSample / variant.generatorMacsPerSample);
  const batches = [...new Set(variants.map((variant) => variant.batchSize))].sort((a, b) => a - b);
  const gMacs = [...new Set(variants.map((variant) => variant.generatorMacsPerSample))];
  const intro =
    `Sweep \`${name}\`: ${variants.length} variants, D/G MACs per sample from ${significant(Math.min(...ratios))} to ` +
    `${significant(Math.max(...ratios))} (G ${gMacs.map(formatCount).join(', ')} MACs per sample), batch ${batches.join(', ')}. ` +
    "The measured crossover is where retain-graph (the post's one) becomes faster than g-first (its three): between the " +
    'two variants where the ordering flips beyond the margins of error, at the D/G where their mean time ratio crosses 1, ' +
    "interpolated on log D/G; the predicted one is where retain-graph's FLOPs per step fall to g-first's, interpolated " +
    "the same way; the post's rule puts it at D/G = 1.";
  if (groups.length === 0) return [`## Crossover map: ${name}`, intro, 'No cells ran for this sweep.'].join('\n\n');

  const crossoverRows = batches.flatMap((batch) =>
    groups.map((group) => {
      const points = group.points.filter((point) => point.batchSize === batch);
      return [
        String(batch),
        group.series,
        String(points.length),
        describeCrossover(measuredCrossover(points)),
        describeCrossover(flopCrossover(points), { ahead: 'cheaper', behind: 'dearer' }),
        POST_RULE,
      ];
    }),
  );
  const variantRows = [...variants]
    .map((variant, index) => ({ variant, dToG: ratios[index]! }))
    .sort((a, b) => a.variant.batchSize - b.variant.batchSize || a.dToG - b.dToG)
    .map(({ variant, dToG }) => {
      const pointIn = (group: CrossoverGroup) => group.points.find((point) => point.scenario === variant.name);
      return [
        variant.name,
        String(variant.batchSize),
        significant(dToG),
        flopRatioText(groups.map(pointIn).find((point) => point?.flops['g-first'] != null)),
        ...groups.map((group) => timeRatioText(pointIn(group))),
      ];
    });
  const claimRows = groups.map((group) => {
    const { verdict, evidence } = judgeSweepRule(group.points);
    return [group.series, verdict === 'holds' ? verdict : `**${verdict}**`, evidence];
  });
  return [
    `## Crossover map: ${name}`,
    intro,
    ...(chart ? [`![crossover: time per step relative to g-first against D/G](${chart})`] : []),
    cellTable(
      [
        ['batch', 'right'],
        ['backend · device', 'left'],
        ['variants', 'right'],
        ['measured crossover (retain-graph becomes faster)', 'left'],
        ['predicted by the FLOP counts', 'left'],
        ["the post's rule", 'left'],
      ],
      crossoverRows,
    ),
    '**Per variant**: retain-graph over g-first, FLOPs per step and mean time per step (with the ordering beyond the margins of error).',
    cellTable(
      [
        ['variant', 'left'],
        ['batch', 'right'],
        ['D/G', 'right'],
        ['FLOPs', 'right'],
        ...groups.map((group): [string, 'left'] => [`time on ${group.series}`, 'left']),
      ],
      variantRows,
    ),
    `**Claim over the whole sweep**: ${SWEEP_RULE_CLAIM}. ${SWEEP_RULE}`,
    cellTable(
      [
        ['backend · device', 'left'],
        ['verdict', 'left'],
        ['evidence', 'left'],
      ],
      claimRows,
    ),
  ].join('\n\n');
}
