/**
 * A sweep: one base scenario and the axes to vary (D's hidden width, D's depth, the batch size), expanded when
 * its file is loaded into ordinary scenarios, one per combination of axis values ("variants", named after those
 * values: `crossover-d64x2-b64`), so that the runner, the CSV and the per-scenario report measure and show each
 * as they do any scenario. Every variant records its sweep's name and its axis values, from which the report
 * draws the crossover map.
 */
import { z } from 'zod';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.js';

/** The axes a sweep can vary, in the order their values appear in a variant's name. */
export const SWEEP_AXES = ['discriminatorWidth', 'discriminatorDepth', 'batchSize'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];

/** What a variant records of its sweep: the sweep's name and the value of each axis the sweep varies. */
export interface SweepTag {
  name: string;
  values: Partial<Record<SweepAxis, number>>;
}

/** One scenario of a sweep, with its tag. */
export interface SweepVariant {
  scenario: Scenario;
  sweep: SweepTag;
}

/** What a sweep file declares (`defineSweep`'s argument). */
export interface SweepInput {
  /** The variants' name prefix (`crossover` → `crossover-d64x2-b64`): lower-case letters, digits and dashes. */
  name: string;
  description: string;
  /** Every field of a scenario but its name and description; an axis overrides the field it varies. */
  base: Omit<ScenarioInput, 'name' | 'description'>;
  axes: {
    /** Widths every hidden layer of D takes in turn (D's depth: the depth axis, or base's). */
    discriminatorWidth?: number[];
    /** Numbers of hidden layers of D, each of the width axis's width (or base's, whose layers must then be equally wide). */
    discriminatorDepth?: number[];
    batchSize?: number[];
  };
}

/** A sweep as a file exports it: its input, marked as a sweep (which `defineSweep` does). */
export type SweepDefinition = SweepInput & { kind: 'sweep' };

/**
 * Types a sweep file, as `defineScenario` types a scenario file, and marks it as a sweep for the loader:
 * `export default defineSweep({ name, description, base: {...}, axes: {...} })`. Validation and expansion
 * happen when the file is loaded.
 */
export function defineSweep(sweep: SweepInput): SweepDefinition {
  return { kind: 'sweep', ...sweep };
}

/** A sweep that cannot be expanded; the message names each field at fault (the loader adds the file). */
export class SweepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SweepError';
  }
}

const unique = (values: readonly number[]) => new Set(values).size === values.length;

/**
 * The values of one axis: at least one, each a positive integer, none twice. Their upper bounds are the scenario
 * schema's, checked per variant (a depth is bounded here too: it sizes an array before that check).
 */
const axisValues = (max = Number.MAX_SAFE_INTEGER) =>
  z.array(z.number().int().positive().max(max)).min(1).max(64).refine(unique, { message: 'lists a value twice' });

const sweepSchema = z.strictObject({
  kind: z.literal('sweep').optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  description: z.string().min(1),
  // Checked field by field as each variant's scenario; here only what a sweep must leave to itself.
  base: z.looseObject({}).superRefine((base, ctx) => {
    for (const field of ['name', 'description'] as const) {
      if (field in base) ctx.addIssue({ code: 'custom', path: [field], message: `the sweep gives its variants their ${field}s: leave it out of base` });
    }
  }),
  axes: z
    .strictObject({
      discriminatorWidth: axisValues().optional(),
      discriminatorDepth: axisValues(64).optional(),
      batchSize: axisValues().optional(),
    })
    .refine((axes) => SWEEP_AXES.some((axis) => axes[axis] !== undefined), {
      message: `name at least one axis to vary: ${SWEEP_AXES.join(', ')}`,
    }),
});

/**
 * Whether a file's default export is a sweep rather than a scenario: `defineSweep` marks it; a plain object with
 * `axes` or `base` is taken for one too, so that its errors speak of sweeps rather than of unknown scenario fields.
 */
export function isSweep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return (value as { kind?: unknown }).kind === 'sweep' || 'axes' in value || 'base' in value;
}

/** The error text of zod issues, as the scenario loader prints them. */
const describeIssues = (issues: z.core.$ZodIssue[]) => z.prettifyError(new z.ZodError(issues));

/** The axes' values in every combination: the first axis outermost (batch sizes, then depths, then widths). */
function combinations(axes: Partial<Record<SweepAxis, number[]>>): Partial<Record<SweepAxis, number>>[] {
  const order: SweepAxis[] = ['batchSize', 'discriminatorDepth', 'discriminatorWidth'];
  let combos: Partial<Record<SweepAxis, number>>[] = [{}];
  for (const axis of order) {
    const values = axes[axis];
    if (values === undefined) continue;
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [axis]: value })));
  }
  return combos;
}

/** `d64x2-b64`: a variant's name suffix, from the axes the sweep varies (D as width x depth). */
export function variantSuffix(values: Partial<Record<SweepAxis, number>>, width: number | undefined, depth: number | undefined): string {
  const parts: string[] = [];
  if (values.discriminatorWidth !== undefined || values.discriminatorDepth !== undefined) parts.push(`d${width}x${depth}`);
  if (values.batchSize !== undefined) parts.push(`b${values.batchSize}`);
  return parts.join('-');
}

/**
 * Validates a sweep and expands it into its variants, in order (batch sizes outermost, widths innermost). Each
 * variant is validated as a scenario; an error names the sweep's own field (`axes.batchSize`, `base.seed`) and
 * the variant it was found in. Throws a SweepError.
 */
export function expandSweep(value: unknown): SweepVariant[] {
  const parsed = sweepSchema.safeParse(value);
  if (!parsed.success) throw new SweepError(`invalid sweep\n${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
  const { name, description, axes } = parsed.data;
  const base = parsed.data.base as Record<string, unknown> & { discriminator?: unknown };
  const baseDiscriminator = (typeof base.discriminator === 'object' && base.discriminator !== null ? base.discriminator : {}) as Record<string, unknown>;
  const baseHidden = Array.isArray(baseDiscriminator['hidden']) ? (baseDiscriminator['hidden'] as unknown[]) : [];
  const variesD = axes.discriminatorWidth !== undefined || axes.discriminatorDepth !== undefined;

  // D's width and depth where the sweep varies only one of them come from base's hidden layers.
  let baseWidth: number | undefined;
  let baseDepth: number | undefined;
  if (variesD) {
    const widths = baseHidden.filter((width): width is number => typeof width === 'number');
    if (axes.discriminatorDepth === undefined) {
      baseDepth = baseHidden.length;
      if (baseDepth === 0) {
        throw new SweepError(
          'invalid sweep\n✖ base.discriminator.hidden has no layer to widen: give axes.discriminatorDepth too\n  → at axes.discriminatorWidth',
        );
      }
    }
    if (axes.discriminatorWidth === undefined) {
      baseWidth = widths[0];
      if (baseWidth === undefined || widths.length !== baseHidden.length || widths.some((width) => width !== baseWidth)) {
        throw new SweepError(
          `invalid sweep\n✖ base.discriminator.hidden (${JSON.stringify(baseDiscriminator['hidden'] ?? null)}) is not one width repeated: ` +
            'give axes.discriminatorWidth too\n  → at axes.discriminatorDepth',
        );
      }
    }
  }

  return combinations(axes).map((values) => {
    const width = values.discriminatorWidth ?? baseWidth;
    const depth = values.discriminatorDepth ?? baseDepth;
    const variantName = `${name}-${variantSuffix(values, width, depth)}`;
    const shape = [
      ...(variesD ? [`D hidden ${depth} x ${width}`] : []),
      ...(values.batchSize !== undefined ? [`batch ${values.batchSize}`] : []),
    ].join(', ');
    const input = {
      ...base,
      ...(variesD ? { discriminator: { ...baseDiscriminator, hidden: Array.from({ length: depth! }, () => width!) } } : {}),
      ...(values.batchSize !== undefined ? { batchSize: values.batchSize } : {}),
      name: variantName,
      description: `${description} (${shape})`,
    };
    const scenario = scenarioSchema.safeParse(input);
    if (!scenario.success) {
      // A field the axes set is the axes' fault; any other is base's.
      const issues = scenario.error.issues.map((issue) => {
        const [head, next] = issue.path;
        const axisPath =
          head === 'batchSize' && values.batchSize !== undefined
            ? ['axes', 'batchSize']
            : head === 'discriminator' && next === 'hidden' && variesD
              ? ['axes', axes.discriminatorWidth !== undefined ? 'discriminatorWidth' : 'discriminatorDepth']
              : null;
        return { ...issue, path: axisPath ?? ['base', ...issue.path] };
      });
      throw new SweepError(`invalid sweep (in its variant ${variantName})\n${describeIssues(issues)}`, { cause: scenario.error });
    }
    return { scenario: scenario.data, sweep: { name, values } };
  });
}
