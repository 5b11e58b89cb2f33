/**
 * `npm run quality -- <scenario files...>`: the thin command line over runQuality (src/quality/training/run.ts). It parses
 * flags, loads the scenarios (each needs a `quality` section), prints progress, writes quality.csv and
 * quality.json after every scenario and the report and pictures at the end (every file atomically: a temporary
 * file, then a rename), and sets the exit code: 2 for bad input (nothing run, nothing written) or a file that
 * cannot be written (a full disk: the files written before stay), 1 when a training errored or diverged or a
 * scenario failed (its rows say why), 3 when the harness itself crashed.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendId } from '../backends/index.js';
import { renderSvg } from '../report/charts/charts.js';
import { unitKeyId } from '../results/key.js';
import { PlanError, type LoadedScenario, type RunPlan } from '../run/plan.js';
import { resolvePlan } from '../run/resolve.js';
import { renderQualityCsv } from '../quality/report/csv.js';
import { qualityFigures } from '../quality/report/figures.js';
import { renderQualityReport } from '../quality/report/markdown.js';
import { createQualityProgress } from '../quality/training/progress.js';
import type { QualityResults } from '../quality/results.js';
import { checkQualityInput, QualityInputError, runQuality } from '../quality/training/run.js';
import { loadScenario } from '../scenario/load.js';
import { getStrategy, type StrategyId } from '../strategies/index.js';
import { parseBackendList } from './backend-list.js';
import { exitCodeLines, isFailedStatus, isMain, messageOf, runCommand } from './exit.js';
import { defaultOutputDir } from './output.js';
import { checkScenarioFilesLoad } from '../scenario/load-check.js';
import { openResultsFolder } from './results-folder.js';
import { ScenarioErrorWatch } from './stray-errors.js';
import { writeFilesAtomically, type OutputFile } from './write-atomic.js';

/** What exit code 1 means for quality (the README's exit-code table quotes it). */
export const QUALITY_FAILURE = 'a training errored or diverged, or a scenario could not run (its rows say why)';

export const USAGE = `Usage: npm run quality -- <scenario.ts...> [options]

Trains every runnable strategy of each scenario from the same weights and data, seed by seed, evaluates the
generator at checkpoints (PacGAN's mode metrics, TF-GAN's MNIST metrics, the Dirac-GAN's distance) and reports
which strategy reaches the scenario's threshold soonest, in steps and in seconds (steps x measured ms per step).
Writes quality.csv, quality.json, quality.md and the charts and pictures it embeds. Each scenario needs a
\`quality\` section (see docs/quality.md and scenarios/quality/).

Options:
  --backend <list>      auto | cpu | wasm | webgpu | tensorflow | tensorflow-gpu | pytorch (default: the scenario's,
                        auto); several, comma-separated: each scenario trains on each, and the report puts them
                        side by side (pytorch: a Python with PyTorch, docs/pytorch.md)
  --strategies <list>   comma-separated: retain-graph,detach-d-first,g-first,single-forward (default: the scenario's)
  --seeds <n>           seeds per strategy (default: the scenario's quality.seeds, 5)
  --steps <n>           training steps (default: the scenario's quality.steps)
  --out <dir>           results folder (default: results/quality-<scenarios>-<timestamp>)
  -h, --help            show this text

Examples:
  npm run quality -- scenarios/quality/ring.ts
  npm run quality -- scenarios/quality/dirac-*.ts --backend cpu
  npm run quality -- scenarios/quality/ring.ts --backend wasm,pytorch
  npm run quality -- scenarios/quality/grid.ts --strategies g-first,detach-d-first --seeds 3

Exit codes:
${exitCodeLines(QUALITY_FAILURE)
  .map((line) => `  ${line}`)
  .join('\n')}`;

/** The flags, as data: name to parseArgs option. */
const OPTIONS = {
  backend: { type: 'string' },
  strategies: { type: 'string' },
  seeds: { type: 'string' },
  steps: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Bad command-line input: printed with the usage text, exit code 2. */
class UsageError extends Error {}

export interface QualityArgs {
  files: string[];
  /** One or several backends, each scenario trained on each in this order; undefined: each scenario's own. */
  backends?: BackendId[];
  strategies?: StrategyId[];
  seeds?: number;
  steps?: number;
  out?: string;
  help: boolean;
}

const positiveInteger = (value: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`'${value}' is not a positive integer`);
  return Number(value);
};

const atMost = (value: number, most: number): number => {
  if (value > most) throw new Error(`${value} is more than ${most}, the most a scenario's quality section allows`);
  return value;
};

/** Parses and checks argv; every error names the flag or value at fault. */
export function parseQualityArgs(argv: readonly string[]): QualityArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
  const { values, positionals } = parsed;
  let backends: BackendId[] | undefined;
  if (typeof values.backend === 'string') {
    try {
      backends = parseBackendList(values.backend);
    } catch (error) {
      throw new UsageError(messageOf(error));
    }
  }
  const check = <T>(flag: keyof typeof OPTIONS, parse: (value: string) => T): T | undefined => {
    const value = values[flag];
    if (value === undefined || typeof value !== 'string') return undefined;
    try {
      return parse(value);
    } catch (error) {
      throw new UsageError(`--${flag}: ${messageOf(error)}`);
    }
  };
  return {
    files: positionals,
    backends,
    strategies: check('strategies', (value) => {
      const ids = value.split(',').map((id) => id.trim()).filter(Boolean);
      if (ids.length === 0) throw new Error('names no strategy');
      const parsedIds = ids.map((id) => getStrategy(id).id);
      checkQualityInput({ scenarios: [], strategies: parsedIds });
      return parsedIds;
    }),
    // The scenario schema's caps (quality.seeds, quality.steps): a flag is no way around them.
    seeds: check('seeds', (value) => atMost(positiveInteger(value), 1000)),
    steps: check('steps', (value) => atMost(positiveInteger(value), 10_000_000)),
    out: values.out,
    help: values.help ?? false,
  };
}

/** quality.csv and quality.json, rendered. */
function rawFiles(dir: string, results: QualityResults): OutputFile[] {
  return [
    { path: join(dir, 'quality.csv'), data: renderQualityCsv(results) },
    { path: join(dir, 'quality.json'), data: `${JSON.stringify(results, null, 2)}\n` },
  ];
}

/** Writes quality.csv and quality.json atomically: a full disk leaves the last good pair as it was. */
async function writeRaw(dir: string, results: QualityResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFilesAtomically(rawFiles(dir, results));
}

/**
 * The results with every scenario a stray error failed (its file threw asynchronously while it ran) carrying the
 * message as its error, unless it had one of its own.
 */
function withStrayFailures(results: QualityResults, watch: ScenarioErrorWatch, plan: RunPlan): QualityResults {
  const failures = watch.failed();
  if (failures.length === 0) return results;
  // A result is its plan unit's: the scenario on the backend it resolved to, at world size 1.
  const failureOf = (scenario: string, backend: string) => {
    const unit = plan.units.find((candidate) => candidate.scenario === scenario && candidate.backend === backend && candidate.worldSize === 1);
    return unit && failures.find((failure) => failure.unit === unitKeyId(unit))?.message;
  };
  return { ...results, scenarios: results.scenarios.map((result) => ({ ...result, error: result.error ?? failureOf(result.scenario, result.backend) ?? null })) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const watch = new ScenarioErrorWatch();
  const stopWatching = watch.start();
  try {
    return await qualityMain(argv, watch);
  } finally {
    stopWatching();
  }
}

async function qualityMain(argv: readonly string[], watch: ScenarioErrorWatch): Promise<number> {
  let args: QualityArgs;
  try {
    args = parseQualityArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.files.length === 0) {
    console.error(`error: no scenario file given\n\n${USAGE}`);
    return 2;
  }
  const scenarios: LoadedScenario[] = [];
  try {
    await checkScenarioFilesLoad(args.files.map((file) => ({ file, path: resolve(file) })));
    for (const file of args.files) scenarios.push({ scenario: await watch.loading(file, file, () => loadScenario(file)), file });
    checkQualityInput({ scenarios });
    watch.checkBeforeRun();
  } catch (error) {
    console.error(`error: ${messageOf(error)}`);
    return 2;
  }
  const names = scenarios.map(({ scenario }) => scenario.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) {
    console.error(`error: two scenario files are named '${duplicate}'`);
    return 2;
  }

  let plan: RunPlan;
  try {
    plan = await resolvePlan(scenarios, { backend: args.backends, strategies: args.strategies, worldSize: 1 });
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  const dir = await openResultsFolder({
    command: 'quality',
    out: args.out,
    defaultDir: () => defaultOutputDir(['quality', ...names]),
    inputs: [...new Set(scenarios.map(({ file }) => file))].map((file) => ({ what: 'scenario file', path: file })),
  });
  const progress = createQualityProgress();
  let run;
  try {
    run = await runQuality({
      plan,
      strategies: args.strategies,
      seeds: args.seeds,
      steps: args.steps,
      onEvent: async (event) => {
        if (event.type === 'scenario-start') watch.unitStarted(event.unit);
        progress(event);
        if (event.type === 'scenario-end') await writeRaw(dir, withStrayFailures(event.results, watch, plan));
      },
    });
    run = { ...run, results: withStrayFailures(run.results, watch, plan) };
  } catch (error) {
    if (!(error instanceof QualityInputError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  const figures = qualityFigures(run);
  const files: OutputFile[] = [...rawFiles(dir, run.results)];
  for (const figure of figures) {
    files.push({ path: join(dir, figure.file), data: figure.kind === 'svg' ? await renderSvg(figure.spec) : figure.bytes });
  }
  // quality.md last, so that it never names a picture that is not there.
  files.push({ path: join(dir, 'quality.md'), data: renderQualityReport(run.results, figures) });
  await mkdir(dir, { recursive: true });
  await writeFilesAtomically(files);
  console.error(`wrote ${dir}/quality.csv, quality.json, quality.md and ${figures.length} pictures`);

  const failed = run.results.scenarios.some((result) => result.error || result.runs.some((entry) => isFailedStatus(entry.status)));
  if (failed) console.error('some trainings failed or diverged: see quality.md');
  return failed ? 1 : 0;
}

if (isMain(import.meta.url)) await runCommand('quality', main);
