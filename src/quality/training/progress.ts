/**
 * Terminal progress for a quality run: one line per scenario (and backend and regularizer, where it has several),
 * phase and training (scenario, seed, strategy), with the time left in the scenario once a training has finished (the
 * mean training time so far times the trainings left). MNIST says up front that it is slow.
 */
import type { QualityEvent } from './run.js';

export interface QualityProgressOptions {
  write?: (line: string) => void;
  now?: () => number;
}

export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
};

/** An event handler that prints progress lines. */
export function createQualityProgress({
  write = (line) => process.stderr.write(`${line}\n`),
  now = () => performance.now(),
}: QualityProgressOptions = {}): (event: QualityEvent) => void {
  let label = '';
  let scenarioStart = 0;
  let trainingStart = 0;
  let trainingsDone = 0;
  let trainingMs = 0;
  return (event) => {
    switch (event.type) {
      case 'scenario-start': {
        const { plan, scenario } = event;
        // The backend and the regularizer where the scenario has several of them, so that every line says which unit it is.
        const where = [event.backends > 1 ? ` on ${event.backend}` : '', event.regularizers > 1 ? `, regularizer ${event.unit.regularizer}` : ''].join('');
        label = `[${event.index + 1}/${event.count}] ${scenario.name}${where}`;
        scenarioStart = now();
        trainingsDone = 0;
        trainingMs = 0;
        const slow =
          scenario.data.source === 'mnist'
            ? ` (MNIST is slow: every checkpoint runs the classifier over ${plan.samples} generated digits, and the first run trains the classifier; expect about a quarter of an hour on two cores)`
            : '';
        write(
          `${label}: ${plan.strategies.length} strategies x ${plan.seeds} seeds x ${plan.steps} steps, ` +
            `${plan.checkpoints.length} checkpoints each, on backend ${event.backend}` +
            `${event.regularizers === 1 && event.unit.regularizer !== 'none' ? `, regularizer ${event.unit.regularizer}` : ''}${slow}`,
        );
        break;
      }
      case 'backend-started': {
        for (const reason of event.started.passedOver) write(`${label}: passed over ${reason}`);
        write(`${label}: running on ${event.started.provider.id}: ${event.started.device.description}`);
        break;
      }
      case 'phase':
        write(`${label}: ${event.phase}`);
        break;
      case 'training-start': {
        trainingStart = now();
        const left = trainingsDone > 0 ? ` (~${formatDuration((trainingMs / trainingsDone) * (event.total - event.index))} left in ${event.scenario.name})` : '';
        write(`${label}: seed ${event.seed + 1}, ${event.strategy} (training ${event.index + 1}/${event.total})${left}`);
        break;
      }
      case 'training-end':
        trainingsDone++;
        trainingMs += now() - trainingStart;
        if (event.run.status === 'errored') write(`${label}: seed ${event.run.seed + 1}, ${event.run.strategy} failed: ${event.run.error}`);
        if (event.run.status === 'diverged') write(`${label}: seed ${event.run.seed + 1}, ${event.run.strategy} ${event.run.error}`);
        break;
      case 'scenario-end': {
        const { result } = event;
        const failed = result.runs.filter((run) => run.status !== 'ok').length;
        write(
          result.error
            ? `${label}: not run: ${result.error}`
            : `${label}: done in ${formatDuration(now() - scenarioStart)}, ${result.runs.length - failed}/${result.runs.length} trainings ok`,
        );
        break;
      }
    }
  };
}
