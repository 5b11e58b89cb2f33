/** Terminal progress for long runs: which scenario, backend and phase, how many are left, and the time left. */
import type { RunEvent } from '../run/runner.js';
import { isFailedStatus } from './exit.js';
import { AS_PRINTED_STRATEGY_IDS } from '../strategies/ids.js';

const isPrinted = (id: string) => (AS_PRINTED_STRATEGY_IDS as readonly string[]).includes(id);

export interface ProgressOptions {
  write?: (line: string) => void;
  now?: () => number;
}

const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
};

/**
 * An event handler that prints one line per step of the run. The time left appears once a scenario has
 * finished: each scenario still to run is expected to take the timing it asks for (minTimeMs per strategy)
 * scaled by how long the finished ones took against what they asked for (or, where they asked for none, as long
 * as they took on average); the current scenario's share is what it is expected to take minus what it took so
 * far, never less than nothing, so that one slow scenario cannot hide the ones after it.
 */
export function createProgress({ write = (line) => process.stderr.write(`${line}\n`), now = () => performance.now() }: ProgressOptions = {}): (event: RunEvent) => void {
  const started = now();
  let floorDone = 0;
  let actualDone = 0;
  let scenariosDone = 0;
  let scenarioStart = started;
  let currentFloor = 0;
  let laterFloor = 0;
  let laterCount = 0;
  let label = '';
  let scenarioLabel = '';
  const saidPassedOver = new Set<string>();

  const timeLeft = (): string => {
    if (scenariosDone === 0) return '';
    const expected = (floorMs: number, count: number) =>
      floorDone > 0 ? (floorMs * actualDone) / floorDone : (count * actualDone) / scenariosDone;
    const current = Math.max(0, expected(currentFloor, 1) - (now() - scenarioStart));
    return ` (~${formatDuration(current + expected(laterFloor, laterCount))} left)`;
  };

  return (event) => {
    switch (event.type) {
      case 'scenario-start':
        currentFloor = event.timingFloorMs;
        laterFloor = event.laterTimingFloorMs;
        laterCount = event.count - event.index - 1;
        scenarioStart = now();
        label = scenarioLabel = `[${event.index + 1}/${event.count}] ${event.scenario.name}`;
        // A backend once, however many units (regularizers, world sizes, variants) it runs; the units counted where more.
        const backends = [...new Set(event.backends)];
        const units = event.backends.length > backends.length ? ` (${event.backends.length} units)` : '';
        write(
          `${label}: ${event.strategies.length} strategies on ${backends.length === 1 ? 'backend' : 'backends'} ${backends.join(', ')}${units}; timing takes at least ` +
            `${formatDuration(event.timingFloorMs)} here${event.laterTimingFloorMs > 0 ? ` and ${formatDuration(event.laterTimingFloorMs)} in the scenarios after it` : ''}`,
        );
        break;
      case 'backend-start':
        // With several backends every line says which one it is about.
        label = event.count > 1 ? `${scenarioLabel} · ${event.label ?? event.backend} (${event.index + 1}/${event.count})` : scenarioLabel;
        break;
      case 'backend-started': {
        const { provider, device, passedOver } = event.started;
        // Said once per run: a sweep's variants would repeat them for every variant.
        for (const reason of passedOver.filter((reason) => !saidPassedOver.has(reason))) {
          saidPassedOver.add(reason);
          write(`${label}: passed over ${reason}`);
        }
        write(`${label}: running on ${provider.id}: ${device.description}`);
        break;
      }
      case 'phase':
        write(`${label}: ${event.phase}${timeLeft()}`);
        break;
      case 'scenario-end': {
        label = scenarioLabel;
        floorDone += currentFloor;
        actualDone += now() - scenarioStart;
        scenariosDone++;
        const failed = event.cells.filter((cell) => isFailedStatus(cell.status));
        const several = new Set(event.cells.map((cell) => cell.backend)).size > 1;
        for (const cell of failed) write(`${label}: ${cell.strategy}${several ? ` on ${cell.backend}` : ''} ${cell.status === 'diverged' ? 'diverged' : 'failed'}: ${cell.error}`);
        const raisedCells = event.cells.filter((cell) => cell.status === 'raised');
        const asPrinted = raisedCells.filter((cell) => isPrinted(cell.strategy)).length;
        const raised = raisedCells.length;
        const refused = event.cells.filter((cell) => cell.status === 'refused').length;
        const ok = event.cells.length - failed.length - raised - refused;
        // A printed strategy must raise; any other that raised (under DDP, say) raised PyTorch's own error: its row says which.
        const raisedText =
          (asPrinted > 0 ? `, ${asPrinted} raised PyTorch's error as printed code must` : '') +
          (raised > asPrinted ? `, ${raised - asPrinted} raised PyTorch's own error (see their rows)` : '') +
          (refused > 0 ? `, ${refused} refused by the regularizer (it has no form of them)` : '');
        write(`${label}: done in ${formatDuration(now() - scenarioStart)}, ${ok}/${event.cells.length} cells ok${raisedText} (${formatDuration(now() - started)} elapsed)`);
        break;
      }
    }
  };
}
