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
import { describeUnit, unitKeyId, type KeyFields } from '../results/key.js';
import type { UnitFailure } from '../results/make.js';
import { setStrayErrorClaim, UsageError } from './exit.js';

/** A unit of the plan as the watch needs it: its key without the strategy. */
export type WatchedUnit = Omit<KeyFields, 'strategy'>;

export class ScenarioErrorWatch {
  /** Scenario files loaded so far: absolute path to the path as the user gave it. */
  private readonly files = new Map<string, string>();
  private loadingFile: string | null = null;
  private readonly caughtWhileLoading: { file: string; error: unknown }[] = [];
  private running: { id: string; scenario: string; label: string } | null = null;
  /** Errors a loaded file threw before the first scenario started: bad input still. */
  private readonly caughtBeforeRun: { file: string; error: unknown }[] = [];
  private readonly failures: UnitFailure[] = [];

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

  /**
   * The unit now running (the plan's, its backend resolved: the key its cells carry); between two, the last one
   * keeps the blame.
   */
  unitStarted(unit: WatchedUnit): void {
    this.running = { id: unitKeyId(unit), scenario: unit.scenario, label: describeUnit(unit).split(' / ').slice(1).join(', ') };
  }

  /** The units that stray errors failed so far, in the order they failed (src/results/make.ts's failUnits marks their cells). */
  failed(): UnitFailure[] {
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
    const { id, scenario, label } = this.running;
    const message = `${file} threw while scenario ${scenario} ran on ${label} (a timer or a promise nobody awaited): ${messageOf(error)}`;
    if (!this.failures.some((failure) => failure.unit === id)) this.failures.push({ unit: id, message });
    this.log(`error: ${message}; its cells are marked errored, the run goes on`);
    return true;
  }
}
