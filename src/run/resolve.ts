/**
 * What the planner needs to know of this machine, found once before anything is measured: what `auto` starts here,
 * each backend's framework version, and each `--python` interpreter's PyTorch (a bad one is bad input, exit 2);
 * then the plan (plan.ts) with them.
 */
import { startBackend, type ConcreteBackendId } from '../backends/index.js';
import { findPython, probePython } from '../backends/pytorch/python.js';
import { messageOf } from '../errors.js';
import { frameworkOf } from '../results/key.js';
import { tf } from '../tf.js';
import { backendsOf, planRun, PlanError, type LoadedScenario, type PlanEnvironment, type PlanOverrides, type RunPlan } from './plan.js';

/** What `auto` resolved to here, and each backend passed over on the way, with why. */
export interface AutoResolution {
  auto: ConcreteBackendId;
  passedOver: string[];
}

/** Finds what `auto` means on this machine (the first of AUTO_ORDER that starts); cpu where none does. */
export async function resolveAuto(): Promise<AutoResolution> {
  try {
    const started = await startBackend('auto');
    return { auto: started.provider.id, passedOver: started.passedOver };
  } catch (error) {
    // The cpu backend's session then says why it could not start either, in its cells.
    return { auto: 'cpu', passedOver: [messageOf(error)] };
  }
}

/** The framework each backend runs here: TensorFlow.js's version, and the PyTorch the backend would use (found once). */
export async function localFrameworks(backends: readonly ConcreteBackendId[]): Promise<PlanEnvironment['frameworks']> {
  const frameworks: PlanEnvironment['frameworks'] = {};
  for (const backend of new Set(backends)) {
    if (backend !== 'pytorch') frameworks[backend] = frameworkOf(backend, { tfjs: tf.version.tfjs });
    else frameworks[backend] = frameworkOf(backend, { torch: await findPython().then((found) => found.torch, () => undefined) });
  }
  return frameworks;
}

/** The oldest PyTorch the worker supports (its pyproject's range). */
export const MINIMUM_TORCH: readonly [number, number] = [1, 13];

/** The framework a `--python` interpreter runs (`torch 2.13.0`); a PlanError naming the flag and the path where it has no supported PyTorch. */
export async function probeTorch(python: string): Promise<string> {
  const found = await probePython(python);
  if (!('torch' in found)) throw new PlanError(`--python ${python}: ${found.problem}`);
  const [major = 0, minor = 0] = found.torch.split(/[.+a-z]/).map(Number);
  if (major < MINIMUM_TORCH[0] || (major === MINIMUM_TORCH[0] && minor < MINIMUM_TORCH[1])) {
    throw new PlanError(`--python ${python}: PyTorch ${found.torch} is older than the supported ${MINIMUM_TORCH.join('.')}`);
  }
  return frameworkOf('pytorch', { torch: found.torch });
}

/** What resolvePlan needs of this machine (tests hand in their own). */
export interface Resolvers {
  auto(): Promise<AutoResolution>;
  frameworks(backends: readonly ConcreteBackendId[]): Promise<PlanEnvironment['frameworks']>;
  python(path: string): Promise<string>;
}

const LOCAL: Resolvers = { auto: resolveAuto, frameworks: localFrameworks, python: probeTorch };

/**
 * The plan, with `auto` resolved on this machine only where some unit asks for it, and each backend's framework
 * version found; overrides the scenarios cannot take are refused before any backend is started.
 */
export async function resolvePlan(
  scenarios: readonly LoadedScenario[],
  overrides: PlanOverrides,
  resolvers: Resolvers = LOCAL,
): Promise<RunPlan & { passedOver: string[] }> {
  const draft = planRun(scenarios, overrides, { auto: 'cpu', frameworks: {} });
  const asksForAuto = draft.scenarios.some(({ scenario }) => backendsOf(scenario, overrides.backend).includes('auto'));
  const resolution: AutoResolution = asksForAuto ? await resolvers.auto() : { auto: 'cpu', passedOver: [] };
  const units = planRun(scenarios, overrides, { auto: resolution.auto, frameworks: {} }).units;
  const frameworks = await resolvers.frameworks(units.filter((unit) => unit.python === null).map((unit) => unit.backend));
  if (overrides.pythons?.length && !units.some((unit) => unit.backend === 'pytorch')) {
    throw new PlanError('--python: picks the pytorch backend\'s interpreter, but no scenario runs on pytorch (add --backend pytorch)');
  }
  // Every --python is checked: a bad one is bad input before anything is measured.
  const pythons: Record<string, string> = {};
  for (const python of overrides.pythons ?? []) pythons[python] = await resolvers.python(python);
  return { ...planRun(scenarios, overrides, { auto: resolution.auto, frameworks, pythons }), passedOver: resolution.passedOver };
}
