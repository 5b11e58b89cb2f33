/**
 * Reads a results.json (or the results folder that holds one) and checks it has what comparisons and reports
 * read. Used by every command that takes a saved run: compare, report, and bench's --baseline.
 * Validation is loose on purpose: extra fields pass, and strategy or backend ids this version does not
 * know still compare (they show up as added or removed cells).
 */
import { isDistributedOnly } from '../strategies/ids.js';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CellResult } from './cell.js';
import { frameworkOf, keyOf, PRECISIONS } from './key.js';
import type { RunResults } from './run.js';

const nullableCount = z.number().nullable();

/** A duration or a margin: finite (zod's numbers are) and not negative, or a comparison reads a faster step into it. */
const duration = z.number().nonnegative();

const timingSchema = z.looseObject({
  samples: z.number().int().nonnegative(),
  meanMs: duration,
  rmePct: duration,
  samplesMs: z.array(duration),
});

const divergenceSchema = z.looseObject({ step: z.number().int().positive(), detail: z.string() });

const cellSchema = z.looseObject({
  scenario: z.string(),
  backend: z.string(),
  device: z.string(),
  strategy: z.string(),
  status: z.enum(['ok', 'errored', 'raised', 'refused', 'diverged']),
  diverged: divergenceSchema.optional(),
  error: z.string().nullable(),
  timing: timingSchema.nullable(),
  timeRatio: duration.nullable(),
  flops: nullableCount,
  flopsPredicted: nullableCount,
  kernels: nullableCount,
  // Added later: files written before it read as null.
  dispatches: nullableCount.default(null),
  generatorForwards: nullableCount,
  discriminatorForwards: nullableCount,
  generatorBackwards: nullableCount,
  discriminatorBackwards: nullableCount,
  backwardCalls: nullableCount,
  wastedGradientElements: nullableCount,
  peakBytes: nullableCount,
  retainedBytes: nullableCount,
  leakedTensors: nullableCount,
  // Added with convolutional networks: files written before them read as null.
  generatorBatchNormUpdates: nullableCount.default(null),
  discriminatorBatchNormUpdates: nullableCount.default(null),
  maxRunningStatsDiff: nullableCount.default(null),
  // Added with gradient penalties: files written before them read as null.
  generatorDoubleBackwards: nullableCount.default(null),
  discriminatorDoubleBackwards: nullableCount.default(null),
  // The key's later dimensions (key.ts): absent in files written before them, which take their defaults (KEY_DEFAULTS;
  // the framework from the run's versions).
  worldSize: z.number().int().positive().optional(),
  nodes: z.number().int().positive().optional(),
  framework: z.string().optional(),
  compile: z.enum(['eager', 'modules', 'step']).optional(),
  precision: z.enum(PRECISIONS).optional(),
  regularizer: z.enum(['none', 'r1', 'r1-lazy', 'wgan-gp', 'wgan-gp-detached']).optional(),
  // Data parallelism (issue 18): absent in files written before it, and in world size 1 cells.
  allreduceCalls: nullableCount.optional(),
  allreduceBytes: nullableCount.optional(),
  commMs: nullableCount.optional(),
  bufferBroadcast: z.boolean().nullable().optional(),
  distributedVerdicts: z.object({ G: z.enum(['equal', 'shard-only', 'differs']), D: z.enum(['equal', 'shard-only', 'differs']) }).nullable().optional(),
}).refine((cell) => cell.status !== 'diverged' || cell.diverged !== undefined, {
  message: "a diverged cell says where: diverged: { step, detail }",
  path: ['diverged'],
});

type ParsedCell = z.output<typeof cellSchema>;

/** The counts every measured cell has (the others may be null where a framework does not count them). */
const MEASURED_COUNTS = [
  'flopsPredicted',
  'generatorForwards',
  'discriminatorForwards',
  'generatorBackwards',
  'discriminatorBackwards',
  'backwardCalls',
  'wastedGradientElements',
  'retainedBytes',
  'leakedTensors',
] as const;

/**
 * Why a cell written as 'ok' is not a measured cell, or null when it is one. Files from versions before the states
 * could say 'ok' without a timing or a count, and wrote a non-finite parameter difference (a strategy that had
 * diverged) as null beside its class: such a cell's numbers must not enter a comparison.
 */
function notMeasured(cell: ParsedCell): string | null {
  if (!cell.timing) return 'recorded as ok without a timing';
  // gan_ddp's distributed-only forms at world size N observe no passes, FLOPs or memory: null there by design.
  if (isDistributedOnly(cell.strategy) && (cell.worldSize ?? 1) > 1) return null;
  const missing = MEASURED_COUNTS.filter((field) => cell[field] === null);
  if (missing.length) return `recorded as ok without its ${missing.join(', ')}`;
  if (cell['equivalence'] != null && cell['maxParamDiff'] === null) {
    return 'recorded as ok with a parameter difference that was not finite (written as null)';
  }
  return null;
}

/**
 * A cell as the state its status names. A cell that stopped has no timing (files from before the states may hold
 * one: it was never read) and an error message; an old 'ok' cell that was not measured reads as errored, saying why.
 */
function asState(parsed: ParsedCell, versions: Record<string, string>): CellResult {
  // Every cell carries its whole key: what a file written before a dimension lacks is that dimension's default.
  const cell = { ...parsed, ...keyOf(parsed, frameworkOf(parsed.backend, versions)) };
  const stopped = (status: CellResult['status'], error: string) => ({ ...cell, status, error, timing: null, timeRatio: null });
  if (cell.status === 'ok') {
    const reason = notMeasured(cell);
    return (reason ? stopped('errored', `${reason} (a results file from an older version)`) : cell) as unknown as CellResult;
  }
  const divergence = cell.diverged;
  const message = cell.error ?? (divergence ? `diverged at step ${divergence.step}: ${divergence.detail}` : '');
  return stopped(cell.status, message) as unknown as CellResult;
}

const runResultsSchema = z.looseObject({
  schemaVersion: z.literal(1),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  createdAt: z.string(),
  versions: z.looseObject({ tfjs: z.string() }),
  machine: z.looseObject({ platform: z.string(), arch: z.string(), cpuModel: z.string(), cpus: z.number() }),
  settings: z.looseObject({ referenceStrategy: z.string() }),
  complete: z.boolean().optional(),
  // What the report reads of each scenario: a file missing these would crash it rather than be refused.
  scenarios: z.array(
    z.looseObject({
      name: z.string(),
      description: z.string(),
      batchSize: z.number(),
      generatorWidths: z.array(z.number()),
      discriminatorWidths: z.array(z.number()),
      generatorParameters: z.number(),
      discriminatorParameters: z.number(),
      generatorMacsPerSample: z.number(),
      discriminatorMacsPerSample: z.number(),
      // A sweep's variant (absent elsewhere, and in files written before sweeps): the crossover section reads it.
      sweep: z.looseObject({ name: z.string(), values: z.record(z.string(), z.number()) }).optional(),
    }),
  ),
  cells: z.array(cellSchema),
});

/** A results file that is missing, unreadable, not JSON or not a schemaVersion 1 results.json. */
export class ResultsFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ResultsFileError';
  }
}

/** The results.json a path names: the path itself, or results.json inside it when it is a folder. */
export async function resolveResultsFile(path: string): Promise<string> {
  const info = await stat(path).catch((error: unknown) => {
    throw new ResultsFileError(path, 'no such file or folder', { cause: error });
  });
  return info.isDirectory() ? join(path, 'results.json') : path;
}

/** Reads and validates a run's results; every error is a ResultsFileError naming the file. */
export async function readRunResults(path: string): Promise<RunResults> {
  const file = await resolveResultsFile(path);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ResultsFileError(file, missing ? 'no such file (expected a results.json or a folder with one)' : 'cannot be read', {
      cause: error,
    });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResultsFileError(file, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = runResultsSchema.safeParse(json);
  if (!parsed.success) {
    throw new ResultsFileError(file, `is not a schemaVersion 1 results.json:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  // The schema checks what comparisons read; the rest of the file is kept as written, each cell as its state.
  const versions = parsed.data.versions as Record<string, string>;
  return { ...parsed.data, cells: parsed.data.cells.map((cell) => asState(cell, versions)) } as unknown as RunResults;
}
