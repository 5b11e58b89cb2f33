/**
 * A cell's identity, kept apart from what was measured (torch.utils.benchmark's `TaskSpec` beside its
 * `Measurement`): what ran, as one frozen, comparable key. Compare, merge, baseline, shards and the report group
 * cells by this key and nothing else; a new dimension (issue 22's compile mode and precision, issue 23's
 * regularizer, issue 24's nodes) is one field here, with the value every cell had before it existed, plus its
 * measurement.
 */

/** Every dimension of a cell's identity, in the order keys are written and compared. */
export const KEY_DIMENSIONS = ['scenario', 'backend', 'strategy', 'worldSize', 'nodes', 'framework', 'compile', 'precision', 'regularizer'] as const;
export type KeyDimension = (typeof KEY_DIMENSIONS)[number];

/** Compile modes and precisions are the scenario's vocabulary (src/scenario/variants.ts). */
export { COMPILE_MODES, PRECISIONS, type CompileMode, type Precision } from '../scenario/variants.js';
import type { CompileMode, Precision } from '../scenario/variants.js';
/** The discriminator's gradient penalty (src/scenario/regularizer.ts). */
export { REGULARIZERS, type Regularizer } from '../scenario/regularizer.js';
import type { Regularizer } from '../scenario/regularizer.js';

/**
 * What a cell is: scenario × backend (as resolved: never `auto`) × strategy, at a world size on a number of nodes,
 * by a framework at its version (`tfjs 4.22.0`, `torch 2.13.0`), compiled or not, at a precision, with a regularizer.
 */
export interface CellKey {
  readonly scenario: string;
  readonly backend: string;
  readonly strategy: string;
  /** Data-parallel ranks in all. */
  readonly worldSize: number;
  /** Machines the ranks ran on. */
  readonly nodes: number;
  /** The framework that ran the step and its version: `tfjs 4.22.0`, `torch 1.13.0`. */
  readonly framework: string;
  readonly compile: CompileMode;
  readonly precision: Precision;
  readonly regularizer: Regularizer;
}

/**
 * The value of each dimension added after the first results were written: what a cell that does not say had
 * (a file written before the dimension existed), and what a key omits when it is described.
 */
export const KEY_DEFAULTS = {
  worldSize: 1,
  nodes: 1,
  compile: 'eager',
  precision: 'fp32',
  regularizer: 'none',
} as const satisfies Partial<CellKey>;

/** What a unit of the run shares with each of its cells: the key without the strategy. */
export type UnitKey = Omit<CellKey, 'strategy'>;

/** The framework (with its version) that ran a backend's steps: PyTorch for `pytorch`, TensorFlow.js for the others. */
export function frameworkOf(backend: string, versions: Readonly<Record<string, string | undefined>>): string {
  if (backend === 'pytorch') return versions['torch'] === undefined ? 'torch' : `torch ${versions['torch']}`;
  return versions['tfjs'] === undefined ? 'tfjs' : `tfjs ${versions['tfjs']}`;
}

/** The fields of a cell (or anything that carries them) that make its key; missing later dimensions take their defaults. */
export type KeyFields = Pick<CellKey, 'scenario' | 'backend' | 'strategy'> & Partial<Omit<CellKey, 'scenario' | 'backend' | 'strategy'>>;

/** A cell's key, frozen; `framework` where the cell does not say is the one given (a results file's versions). */
export function keyOf(cell: KeyFields, framework = cell.framework ?? ''): CellKey {
  return Object.freeze({
    scenario: cell.scenario,
    backend: cell.backend,
    strategy: cell.strategy,
    worldSize: cell.worldSize ?? KEY_DEFAULTS.worldSize,
    nodes: cell.nodes ?? KEY_DEFAULTS.nodes,
    framework: cell.framework ?? framework,
    compile: cell.compile ?? KEY_DEFAULTS.compile,
    precision: cell.precision ?? KEY_DEFAULTS.precision,
    regularizer: cell.regularizer ?? KEY_DEFAULTS.regularizer,
  });
}

/** A key as one string, for maps and equality: every dimension but those left out, in KEY_DIMENSIONS's order. */
export function keyId(cell: KeyFields, leaveOut: readonly KeyDimension[] = []): string {
  const key = keyOf(cell);
  return JSON.stringify(KEY_DIMENSIONS.filter((dimension) => !leaveOut.includes(dimension)).map((dimension) => key[dimension]));
}

/** Whether two cells have the same key. */
export function sameKey(a: KeyFields, b: KeyFields): boolean {
  return keyId(a) === keyId(b);
}

/** The id of the unit a cell belongs to: its key without the strategy. */
export function unitKeyId(cell: Omit<KeyFields, 'strategy'> & { strategy?: string }): string {
  return keyId({ strategy: '', ...cell }, ['strategy']);
}

/** The dimensions on which some of these cells differ (for naming a row or a column by only what tells them apart). */
export function varyingDimensions(cells: readonly KeyFields[]): KeyDimension[] {
  const keys = cells.map((cell) => keyOf(cell));
  return KEY_DIMENSIONS.filter((dimension) => new Set(keys.map((key) => key[dimension])).size > 1);
}

const DESCRIBE: Record<Exclude<KeyDimension, 'scenario' | 'backend' | 'strategy'>, (key: CellKey) => string> = {
  worldSize: (key) => `world size ${key.worldSize}`,
  nodes: (key) => `${key.nodes} node${key.nodes === 1 ? '' : 's'}`,
  framework: (key) => key.framework,
  compile: (key) => `compile ${key.compile}`,
  precision: (key) => key.precision,
  regularizer: (key) => (key.regularizer === 'none' ? 'no regularizer' : key.regularizer),
};

/**
 * A key in words: `small-d / cpu / g-first`, then each later dimension whose value is not its default
 * (`/ world size 2 / bf16`), and those named in `also` whatever their value (the framework, where two versions ran).
 */
export function describeKey(cell: KeyFields, also: readonly KeyDimension[] = []): string {
  return describeParts(keyOf(cell), also, true);
}

/** A unit's key in words, as describeKey without the strategy: `small-d / pytorch / world size 2`. */
export function describeUnit(unit: Omit<KeyFields, 'strategy'>, also: readonly KeyDimension[] = []): string {
  return describeParts(keyOf({ ...unit, strategy: '' }), also, false);
}

function describeParts(key: CellKey, also: readonly KeyDimension[], withStrategy: boolean): string {
  const parts = withStrategy ? [key.scenario, key.backend, key.strategy] : [key.scenario, key.backend];
  for (const dimension of Object.keys(DESCRIBE) as (keyof typeof DESCRIBE)[]) {
    const isDefault = dimension in KEY_DEFAULTS && key[dimension] === KEY_DEFAULTS[dimension as keyof typeof KEY_DEFAULTS];
    if ((also.includes(dimension) || (!isDefault && dimension !== 'framework')) && key[dimension] !== '') parts.push(DESCRIBE[dimension](key));
  }
  return parts.join(' / ');
}
