/**
 * Command-line flags as data, vitest's cli-config.ts idea: each command declares one table of flags
 * (`{ description, argument, short }` per flag) from which both `node:util` parseArgs's options and the --help
 * text are generated, so a flag cannot be parsed without being documented, nor documented without being parsed.
 */
import { parseArgs } from 'node:util';
import { exitCodeLines, UsageError } from './exit.js';
import { messageOf } from '../errors.js';

export interface FlagSpec {
  /** What the flag does, for --help; a line break continues the description on the next line. */
  readonly description: string;
  /** The value's name in --help (`--out <dir>`); a flag without one is a switch (a boolean). */
  readonly argument?: string;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
  /** May be given several times; the values come as an array. */
  readonly multiple?: boolean;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

type ValueOf<Spec extends FlagSpec> = Spec extends { argument: string }
  ? Spec extends { multiple: true }
    ? string[]
    : string
  : boolean;

/** What parsing a table gives: each flag's value, undefined when it was not given. */
export type FlagValues<Table extends FlagTable> = { -readonly [Name in keyof Table]?: ValueOf<Table[Name]> };

/** `--help`, in every command's table. */
export const HELP_FLAG = { help: { short: 'h', description: 'show this text' } } as const satisfies FlagTable;

/** A command as --help describes it. */
export interface CommandSpec<Table extends FlagTable = FlagTable> {
  /** How it is called, without the options: `npm run compare -- <baseline> <current>`. */
  readonly usage: string;
  /** What it does, in a short paragraph. */
  readonly summary: string;
  readonly flags: Table;
  /** What exit code 1 means for this command, null where it never exits 1 (0, 2 and 3 mean the same everywhere). */
  readonly failure: string | null;
  readonly examples: readonly string[];
}

/** The table as `node:util` parseArgs options: a flag with an argument is a string, one without a boolean. */
export function parseArgsOptions(table: FlagTable): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  return Object.fromEntries(
    Object.entries(table).map(([name, spec]) => [
      name,
      {
        type: spec.argument === undefined ? 'boolean' : 'string',
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
      },
    ]),
  );
}

/** Parses argv against the table (unknown flags and missing values are UsageErrors naming the flag). */
export function parseFlags<Table extends FlagTable>(
  table: Table,
  argv: readonly string[],
): { values: FlagValues<Table>; positionals: string[] } {
  try {
    const { values, positionals, tokens } = parseArgs({ args: [...argv], options: parseArgsOptions(table), allowPositionals: true, strict: true, tokens: true });
    refuseRepeated(table, tokens);
    return { values: values as FlagValues<Table>, positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs's messages name the flag but end in advice for script authors ("To specify a positional ...").
    const message = messageOf(error).split('. To specify')[0]!;
    throw new UsageError(`${message} (see --help)`, { cause: error });
  }
}

/** A flag given twice that takes one value: parseArgs would keep the last silently, and the user meant one of them. */
function refuseRepeated(table: FlagTable, tokens: ReadonlyArray<{ kind: string; name?: string; rawName?: string; value?: string | undefined }>): void {
  const seen = new Map<string, string | undefined>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || table[token.name]?.multiple) continue;
    if (seen.has(token.name) && table[token.name]?.argument !== undefined) {
      throw new UsageError(`--${token.name} given twice ('${seen.get(token.name)}' and '${token.value}'): give it once (see --help)`);
    }
    seen.set(token.name, token.value);
  }
}

/** `--out <dir>` / `-h, --help`: how --help shows a flag. */
function flagTitle(name: string, spec: FlagSpec): string {
  const long = `--${name}${spec.argument === undefined ? '' : ` <${spec.argument}>`}`;
  return spec.short ? `-${spec.short}, ${long}` : long;
}

/** Lines `  title   description`, the descriptions aligned; a title too long for the column gets its own line. */
function twoColumns(rows: readonly (readonly [string, string])[], maxTitle = 30): string[] {
  const width = Math.min(maxTitle, Math.max(...rows.map(([title]) => title.length))) + 2;
  const lines: string[] = [];
  for (const [title, text] of rows) {
    const [first = '', ...rest] = text.split('\n');
    if (title.length > width - 2) lines.push(`  ${title}`, `  ${' '.repeat(width)}${first}`);
    else lines.push(`  ${title.padEnd(width)}${first}`);
    for (const line of rest) lines.push(`  ${' '.repeat(width)}${line}`);
  }
  return lines;
}

/** The --help text of a command: usage, summary, options (from the flag table), exit codes, examples. */
export function renderHelp(command: CommandSpec): string {
  const options = twoColumns(Object.entries(command.flags).map(([name, spec]) => [flagTitle(name, spec), spec.description]));
  return [
    `Usage: ${command.usage}${Object.keys(command.flags).length > 0 ? ' [options]' : ''}`,
    '',
    command.summary,
    '',
    'Options:',
    ...options,
    '',
    'Exit codes:',
    ...exitCodeLines(command.failure).map((line) => `  ${line}`),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}
