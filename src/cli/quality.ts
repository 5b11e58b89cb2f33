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
import { BACKEND_IDS, type BackendId } from '../backends/index.js';
import { renderSvg } from '../report/charts/charts.js';
import { REGULARIZERS, unitKeyId, type Regularizer } from '../results/key.js';
import { PlanError, type LoadedScenario, type RunPlan } from '../run/plan.js';
import { resolvePlan } from '../run/resolve.js';
import { renderQualityCsv } from '../quality/report/csv.js';
import { qualityFigures } from '../quality/report/figures.js';
import { renderQualityReport } from '../quality/report/markdown.js';
import { createQualityProgress } from '../quality/training/progress.js';
import type { QualityResults } from '../quality/results.js';
import { checkQualityInput, QualityInputError, runQuality } from '../quality/training/run.js';
import { loadScenario } from '../scenario/load.js';
import { RUNNABLE_STRATEGY_IDS, type StrategyId } from '../strategies/ids.js';
import { parseBackendList } from './backend-list.js';
import { parseChoiceList } from './choice-list.js';
import { isFailedStatus, isMain, messageOf, runCommand, UsageError } from './exit.js';
import { HELP_FLAG, parseFlags, renderHelp, type CommandSpec } from './flags.js';
import { defaultOutputDir } from './output.js';
import { checkScenarioFilesLoad } from '../scenario/load-check.js';
import { openResultsFolder } from './results-folder.js';
import { ScenarioErrorWatch } from './stray-errors.js';
import { parseStrategyList } from './strategy-list.js';
import { writeFilesAtomically, type OutputFile } from './write-atomic.js';

/** What exit code 1 means for quality (the README's exit-code table quotes it). */
export const QUALITY_FAILURE = 'a training errored or diverged, or a scenario could not run (its rows say why)';

export const QUALITY_FLAGS = {
  backend: {
    argument: 'list',
    description:
      `one of ${BACKEND_IDS.join(' | ')},\n` +
      'or several (not auto), comma-separated: each scenario trains on each, and the report puts\n' +
      "them side by side (default: the scenario's, auto; pytorch: a Python with PyTorch,\ndocs/pytorch.md)",
  },
  strategies: { argument: 'list', description: `comma-separated, of ${RUNNABLE_STRATEGY_IDS.join(',')}\n(default: the scenario's)` },
  regularizer: {
    argument: 'list',
    description:
      `D's gradient penalty, comma-separated, of ${REGULARIZERS.join(', ')}:\n` +
      'each trains as a unit of its own; with several the report puts them side by side and judges\n' +
      "the regularizer claims (default: the scenario's, none unless it says; gamma, every and\nnCritic stay the scenario's)",
  },
  seeds: { argument: 'n', description: "seeds per strategy (default: the scenario's quality.seeds, 5)" },
  steps: { argument: 'n', description: "training steps (default: the scenario's quality.steps)" },
  out: { argument: 'dir', description: 'results folder (default: results/quality-<scenarios>-<timestamp>)' },
  ...HELP_FLAG,
} as const;

export const QUALITY_COMMAND: CommandSpec<typeof QUALITY_FLAGS> = {
  usage: 'npm run quality -- <scenario.ts...>',
  summary: [
    'Trains every runnable strategy of each scenario from the same weights and data, seed by seed, evaluates the',
    "generator at checkpoints (PacGAN's mode metrics, TF-GAN's MNIST metrics, the Dirac-GAN's distance) and reports",
    "which strategy reaches the scenario's threshold soonest, in steps and in seconds (steps x measured ms per step).",
    'Writes quality.csv, quality.json, quality.md and the charts and pictures it embeds. Each scenario needs a',
    '`quality` section (see docs/quality.md and scenarios/quality/).',
  ].join('\n'),
  flags: QUALITY_FLAGS,
  failure: QUALITY_FAILURE,
  examples: [
    'npm run quality -- scenarios/quality/ring.ts',
    'npm run quality -- scenarios/quality/dirac-*.ts --backend cpu',
    'npm run quality -- scenarios/quality/ring.ts --backend wasm,pytorch',
    'npm run quality -- scenarios/quality/grid.ts --strategies g-first,detach-d-first --seeds 3',
    'npm run quality -- scenarios/quality/ring.ts --strategies g-first,detach-d-first --regularizer none,r1,r1-lazy',
  ],
};

/** The --help text, generated from the flag table. */
export const USAGE = renderHelp(QUALITY_COMMAND).trimEnd();

export interface QualityArgs {
  files: string[];
  /** One or several backends, each scenario trained on each in this order; undefined: each scenario's own. */
  backends?: BackendId[];
  strategies?: StrategyId[];
  /** D's gradient penalties, each a unit of its own; undefined: each scenario's own. */
  regularizer?: Regularizer[];
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

/** `--flag: message`, as a UsageError, for a value its parser rejected (one that names its flag already stays). */
function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = messageOf(error);
    throw new UsageError(message.startsWith(`--${flag}`) ? message : `--${flag}: ${message}`, { cause: error });
  }
}

/**
 * Parses and checks argv; every error is a UsageError naming the flag or value at fault (a flag given twice too:
 * src/cli/flags.ts).
 */
export function parseQualityArgs(argv: readonly string[]): QualityArgs {
  const { values, positionals } = parseFlags(QUALITY_FLAGS, argv);
  return {
    files: positionals,
    backends: values.backend === undefined ? undefined : parseBackendList(values.backend),
    strategies:
      values.strategies === undefined
        ? undefined
        : flagValue('strategies', () => {
            const ids = parseStrategyList(values.strategies!);
            checkQualityInput({ scenarios: [], strategies: ids });
            return ids;
          }),
    regularizer: values.regularizer === undefined ? undefined : parseChoiceList(values.regularizer, '--regularizer', REGULARIZERS),
    // The scenario schema's caps (quality.seeds, quality.steps): a flag is no way around them.
    seeds: values.seeds === undefined ? undefined : flagValue('seeds', () => atMost(positiveInteger(values.seeds!), 1000)),
    steps: values.steps === undefined ? undefined : flagValue('steps', () => atMost(positiveInteger(values.steps!), 10_000_000)),
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
  // A result is its plan unit's: the scenario on the backend it resolved to, under its regularizer, at world size 1.
  const failureOf = ({ scenario, backend, regularizer }: QualityResults['scenarios'][number]) => {
    const unit = plan.units.find(
      (candidate) => candidate.scenario === scenario && candidate.backend === backend && candidate.regularizer === regularizer && candidate.worldSize === 1,
    );
    return unit && failures.find((failure) => failure.unit === unitKeyId(unit))?.message;
  };
  return { ...results, scenarios: results.scenarios.map((result) => ({ ...result, error: result.error ?? failureOf(result) ?? null })) };
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
    plan = await resolvePlan(scenarios, { backend: args.backends, strategies: args.strategies, regularizer: args.regularizer, worldSize: 1 });
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
      regularizer: args.regularizer,
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
