/** gan-update-bench's public API: scenario typing, the strategies, the runner and the result types. */
export { defineScenario, scenarioSchema, type Scenario, type ScenarioInput } from './scenario/schema.js';
export { loadScenario, loadScenarioFile, parseScenario, ScenarioError } from './scenario/load.js';
export { defineSweep, expandSweep, SweepError, SWEEP_AXES, type SweepAxis, type SweepDefinition, type SweepInput, type SweepTag, type SweepVariant } from './scenario/sweep.js';
export { strategies, getStrategy, STRATEGY_IDS, type StrategyId } from './strategies/index.js';
export type { Strategy, StepContext, Batch, Network, Optimizer, UpdateOrder } from './strategies/strategy.js';
export { Graph, type BackwardOptions, type BackwardResult } from './autograd/graph.js';
export { Parameter } from './autograd/parameter.js';
export { AutogradError, type AutogradErrorKind } from './autograd/errors.js';
export { detach } from './autograd/detach.js';
export { backends, startBackend, parseBackendId, BACKEND_IDS, BackendUnavailableError, type BackendId } from './backends/index.js';
export { runBenchmark, type RunOptions, type RunEvent, type LoadedScenario } from './runner.js';
export type * from './types.js';
export { runQuality, QualityInputError, type QualityRunOptions, type QualityEvent, type QualityRun } from './quality/training/run.js';
export type { BackendSession, TrainingRequest, Checkpoint } from './session/index.js';
export { DISTRIBUTED_ONLY_STRATEGIES, NO_DISTRIBUTED_ENGINE } from './session/distributed.js';
export { ringCommMs, projectedStepMs, LINKS, type Link } from './report/projection.js';
export type * from './quality/results.js';
