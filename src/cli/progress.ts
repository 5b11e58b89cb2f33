/** Terminal progress for long runs: which scenario and phase, how many are left, and the time left. */
import type { RunEvent } from '../runner.js';

export interface ProgressOptions {
  write?: (line: string) => void;
  now?: () => number;
}

const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
};

/**
 * An event handler that prints one line per step of the run. The time left is the planned timing budget of
 * the scenarios not started yet, scaled by how long finished scenarios took against their own plan.
 */
export function createProgress({ write = (line) => process.stderr.write(`${line}\n`), now = () => performance.now() }: ProgressOptions = {}): (event: RunEvent) => void {
  const started = now();
  let plannedDone = 0;
  let actualDone = 0;
  let scenarioStart = started;
  let currentPlan = 0;
  const plans: number[] = [];
  let label = '';

  const timeLeft = (index: number, count: number): string => {
    const remainingPlan = plans.slice(index + 1).reduce((a, b) => a + b, 0) + currentPlan;
    if (count === 0) return '';
    const scale = plannedDone > 0 ? actualDone / plannedDone : 3;
    const inCurrent = now() - scenarioStart;
    return `~${formatDuration(Math.max(0, remainingPlan * scale - inCurrent))} left`;
  };
  let position = { index: 0, count: 0 };

  return (event) => {
    switch (event.type) {
      case 'scenario-start':
        position = { index: event.index, count: event.count };
        plans[event.index] = event.plannedTimingMs;
        currentPlan = event.plannedTimingMs;
        scenarioStart = now();
        label = `[${event.index + 1}/${event.count}] ${event.scenario.name}`;
        write(`${label}: ${event.scenario.strategies.length} strategies on backend ${event.backend}`);
        break;
      case 'backend-started': {
        const { provider, device, passedOver } = event.started;
        for (const reason of passedOver) write(`${label}: passed over ${reason}`);
        write(`${label}: running on ${provider.id}: ${device.description}`);
        break;
      }
      case 'phase':
        write(`${label}: ${event.phase} (${timeLeft(position.index, position.count)})`);
        break;
      case 'scenario-end': {
        plannedDone += plans[event.index] ?? 0;
        actualDone += now() - scenarioStart;
        currentPlan = 0;
        const failed = event.cells.filter((cell) => cell.status === 'errored');
        for (const cell of failed) write(`${label}: ${cell.strategy} failed: ${cell.error}`);
        write(`${label}: done in ${formatDuration(now() - scenarioStart)}, ${event.cells.length - failed.length}/${event.cells.length} cells ok (${formatDuration(now() - started)} elapsed)`);
        break;
      }
    }
  };
}
