/** A `--flag a,b` value naming known choices, each at most once (`--compile eager,step`); errors name the flag. */
import { messageOf, UsageError } from './exit.js';

export function parseChoiceList<Choice extends string>(text: string, flag: string, known: readonly Choice[]): Choice[] {
  try {
    const choices = text.split(',').map((choice) => choice.trim()).filter(Boolean);
    if (choices.length === 0) throw new Error('names nothing');
    const unknown = choices.find((choice) => !(known as readonly string[]).includes(choice));
    if (unknown !== undefined) throw new Error(`unknown value '${unknown}' (known: ${known.join(', ')})`);
    const twice = choices.find((choice, i) => choices.indexOf(choice) !== i);
    if (twice !== undefined) throw new Error(`lists ${twice} twice`);
    return choices as Choice[];
  } catch (error) {
    throw new UsageError(`${flag}: ${messageOf(error)}`, { cause: error });
  }
}

/** `--python a,b`: interpreter paths, each at most once (checked for PyTorch when the run is planned). */
export function parsePathList(text: string, flag: string): string[] {
  const paths = text.split(',').map((path) => path.trim()).filter(Boolean);
  if (paths.length === 0) throw new UsageError(`${flag}: names no path`);
  const twice = paths.find((path, i) => paths.indexOf(path) !== i);
  if (twice !== undefined) throw new UsageError(`${flag}: lists ${twice} twice`);
  return paths;
}
