/**
 * Loads scenario files: `import()` the module, take its default export, validate it with the zod schema; a sweep
 * (`defineSweep`) is expanded into its variants, each an ordinary scenario. A file's code may also throw later,
 * outside the import (a timer it set, a promise nobody awaited): the loader lets one turn of the event loop pass
 * after the import, so that what the file scheduled at once throws while it loads, and `scenarioFileOf` finds
 * the file in such an error's stack (src/cli/stray-errors.ts turns both into bad input or a failed scenario).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';
import { expandSweep, isSweep, SweepError, type SweepTag } from './sweep.js';
import { messageOf } from '../errors.js';

/** A scenario file that cannot be used. The message names the file and, for invalid fields, each field's path. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ScenarioError';
  }
}

/** Validates an already-imported value as a scenario; `file` only labels the error. */
export function parseScenario(value: unknown, file: string): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    throw new ScenarioError(file, `invalid scenario\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The default export of a scenario file (a `.ts` file needs a TypeScript-aware loader such as tsx). */
async function importDefault(file: string): Promise<unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ScenarioError(file, path === file ? 'no such file' : `no such file (looked for ${path})`);
  let module: { default?: unknown };
  // A process.exit() in the file would end the command with nothing said (load-check.ts finds it first, in a child).
  const exit = process.exit;
  process.exit = ((code?: number) => {
    throw new ScenarioError(file, `called process.exit(${code ?? ''}) while it loaded: a scenario file only exports its scenario`);
  }) as typeof process.exit;
  try {
    try {
      module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (error) {
      if (error instanceof ScenarioError) throw error;
      const reason = messageOf(error);
      throw new ScenarioError(file, `could not be imported (does it compile?): ${reason}`, { cause: error });
    }
    // Timers of 0 or 1 ms fire in the order they were set, and a promise nobody awaited is reported before the next
    // timer: whatever the file scheduled at once happens here, while it is still being loaded.
    await sleep(1);
  } finally {
    process.exit = exit;
  }
  if (module.default === undefined || isEmptyModule(module)) {
    throw new ScenarioError(file, 'has no default export: write `export default defineScenario({ ... })`');
  }
  return module.default;
}

/** An empty file: what tsx imports it as (CommonJS, its `module.exports` an empty object) has nothing in it. */
function isEmptyModule(module: Record<string, unknown>): boolean {
  const value = module['default'];
  const exported = Object.keys(module).filter((key) => key !== 'default' && key !== 'module.exports');
  return exported.length === 0 && typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0;
}

/** Imports and validates one scenario file; a sweep's file is refused (it holds several: `loadScenarioFile`). */
export async function loadScenario(file: string): Promise<Scenario> {
  const value = await importDefault(file);
  if (isSweep(value)) throw new ScenarioError(file, 'is a sweep, not one scenario: load it with loadScenarioFile');
  return parseScenario(value, file);
}

/** The scenarios a file holds: its one scenario, or every variant of its sweep (each with its sweep tag), in order. */
export async function loadScenarioFile(file: string): Promise<{ scenario: Scenario; sweep?: SweepTag }[]> {
  const value = await importDefault(file);
  if (!isSweep(value)) return [{ scenario: parseScenario(value, file) }];
  try {
    return expandSweep(value);
  } catch (error) {
    if (error instanceof SweepError) throw new ScenarioError(file, error.message, { cause: error });
    throw error;
  }
}

/**
 * The scenario file (one of `files`, absolute paths) whose code threw `error`: the first of them the error's
 * stack names, as a path or a file URL; null when none does (or the error has no stack).
 */
export function scenarioFileOf(error: unknown, files: readonly string[]): string | null {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  for (const frame of frames) {
    const found = files.find((file) => frame.includes(`${file}:`) || frame.includes(`${pathToFileURL(file).href}:`));
    if (found !== undefined) return found;
  }
  return null;
}
