/**
 * Errors thrown outside every awaited promise: a scenario file's `setTimeout(() => { throw ... })`, or a promise
 * it rejected and nobody awaited. They reach the process's `uncaughtException` and `unhandledRejection`
 * handlers (installed by runCommand, exit.ts), which ask the watcher here before calling anything a crash:
 *
 * - while a scenario file is being loaded (its import and one turn of the event loop after it), every such
 *   error is a scenario file's (the one its stack names, else the one loading): bad input (exit code 2, the file
 *   named), before anything is run;
 * - after that and before the first scenario starts, an error whose stack names a loaded scenario file is bad
 *   input too (checkBeforeRun);
 * - while the run goes on, an error whose stack names a loaded scenario file fails the cells of the scenario
 *   and backend that are running (or ran last), and the run goes on: what was measured and written stays;
 * - anything else is a crash of the harness (exit code 3), as before.
 */
import { resolve } from 'node:path';
import { messageOf } from '../errors.js';
import { scenarioFileOf } from '../scenario/load.js';
import type { CellErrored, CellResult } from '../results/cell.js';
import type { RunResults } from '../results/run.js';
import { setStrayErrorClaim, UsageError } from './exit.js';

/** A scenario's failure that a stray error caused: which scenario on which backend, and the message its cells carry. */
export interface ScenarioFailure {
  scenario: string;
  backend: string;
  message: string;
}

export class ScenarioErrorWatch {
  /** Scenario files loaded so far: absolute path to the path as the user gave it. */
  private readonly files = new Map<string, string>();
  private loadingFile: string | null = null;
  private readonly caughtWhileLoading: { file: string; error: unknown }[] = [];
  private running: { scenario: string; backend: string } | null = null;
  /** Errors a loaded file threw before the first scenario started: bad input still. */
  private readonly caughtBeforeRun: { file: string; error: unknown }[] = [];
  private readonly failures: ScenarioFailure[] = [];

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  /** Starts taking stray errors; returns the function that stops. */
  start(): () => void {
    setStrayErrorClaim((error) => this.claim(error));
    return () => setStrayErrorClaim(null);
  }

  /**
   * Runs `load` (the import of scenario file `file`, found at `path`); an error the file threw asynchronously
   * meanwhile makes it a UsageError naming the file.
   */
  async loading<T>(file: string, path: string, load: () => Promise<T>): Promise<T> {
    this.files.set(resolve(path), file);
    this.loadingFile = file;
    this.caughtWhileLoading.length = 0;
    let loaded: T;
    try {
      loaded = await load();
    } finally {
      this.loadingFile = null;
    }
    const [first] = this.caughtWhileLoading;
    if (first) {
      throw new UsageError(`${first.file}: threw after it was imported (a timer or a promise nobody awaited): ${messageOf(first.error)}`, { cause: first.error });
    }
    return loaded;
  }

  /** Throws, as bad input, the first error a loaded file threw after it loaded and before the run began. */
  checkBeforeRun(): void {
    const [first] = this.caughtBeforeRun;
    if (first) throw new UsageError(`${first.file}: threw after it was loaded (a timer or a promise nobody awaited): ${messageOf(first.error)}`, { cause: first.error });
  }

  /** The scenario (by name) and backend now running; between two, the last one keeps the blame. */
  scenarioStarted(scenario: string, backend: string): void {
    this.running = { scenario, backend };
  }

  /** The scenarios (each on one backend) that stray errors failed so far, in the order they failed. */
  failed(): ScenarioFailure[] {
    return [...this.failures];
  }

  claim(error: unknown): boolean {
    const path = scenarioFileOf(error, [...this.files.keys()]);
    if (this.loadingFile !== null) {
      // Only scenario code runs unawaited while a file loads: the file its stack names, or the one loading.
      this.caughtWhileLoading.push({ file: path === null ? this.loadingFile : this.files.get(path)!, error });
      return true;
    }
    if (path === null) return false;
    const file = this.files.get(path)!;
    if (this.running === null) {
      this.caughtBeforeRun.push({ file, error });
      return true;
    }
    const { scenario, backend } = this.running;
    const message = `${file} threw while scenario ${scenario} ran on ${backend} (a timer or a promise nobody awaited): ${messageOf(error)}`;
    if (!this.failures.some((failure) => failure.scenario === scenario && failure.backend === backend)) this.failures.push({ scenario, backend, message });
    this.log(`error: ${message}; its cells are marked errored, the run goes on`);
    return true;
  }
}

/**
 * The results with the cells of every scenario a stray error failed marked `errored`, the message in their error
 * text (after an error the cell had of its own); their measurements stay, for what they are worth.
 */
export function failScenarioCells(results: RunResults, failures: readonly ScenarioFailure[]): RunResults {
  return failures.length === 0 ? results : { ...results, cells: failCells(results.cells, failures) };
}

/** The cells, those of every scenario a stray error failed marked `errored` (as failScenarioCells). */
export function failCells(cells: readonly CellResult[], failures: readonly ScenarioFailure[]): CellResult[] {
  return cells.map((cell) => {
    const message = failures.find(({ scenario, backend }) => scenario === cell.scenario && backend === cell.backend)?.message;
    if (message === undefined) return cell;
    // An errored cell has no timing (src/results/cell.ts): what was timed before the stray error is not a result.
    const { diverged: _diverged, ...rest } = cell as CellResult & { diverged?: unknown };
    const errored: CellErrored = {
      ...rest,
      status: 'errored',
      error: cell.error === null ? message : `${cell.error}; ${message}`,
      timing: null,
      timeRatio: null,
    };
    return errored;
  });
}
