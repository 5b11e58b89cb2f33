import { describe, expect, it } from 'vitest';
import { GPU_CHECK_COMMAND } from '../../scripts/gpu-check.js';
import { BACKEND_IDS } from '../../src/backends/backend.js';
import { BENCH_COMMAND, parseBenchArgs } from '../../src/cli/bench.js';
import { COMPARE_COMMAND } from '../../src/cli/compare.js';
import { UsageError } from '../../src/cli/exit.js';
import { parseFlags, renderHelp, type CommandSpec, type FlagTable } from '../../src/cli/flags.js';
import { QUALITY_COMMAND } from '../../src/cli/quality.js';
import { REPORT_COMMAND } from '../../src/cli/report.js';
import { STRATEGY_IDS } from '../../src/strategies/ids.js';

const COMMANDS: Record<string, CommandSpec> = {
  bench: BENCH_COMMAND,
  compare: COMPARE_COMMAND,
  report: REPORT_COMMAND,
  quality: QUALITY_COMMAND,
  'gpu-check': GPU_CHECK_COMMAND,
};

describe('the flag table', () => {
  const table = {
    out: { argument: 'dir', description: 'where' },
    tag: { argument: 'name', multiple: true, description: 'repeatable' },
    quiet: { short: 'q', description: 'a switch' },
  } as const satisfies FlagTable;

  it('parses strings, repeatable strings and switches as the table declares them', () => {
    const { values, positionals } = parseFlags(table, ['a.ts', '--out', 'x', '--tag', 'p', '--tag', 'q', '-q', 'b.ts']);
    expect(values).toEqual({ out: 'x', tag: ['p', 'q'], quiet: true });
    expect(positionals).toEqual(['a.ts', 'b.ts']);
  });

  it('turns an unknown flag or a missing value into a UsageError naming the flag', () => {
    expect(() => parseFlags(table, ['--nope'])).toThrow(UsageError);
    expect(() => parseFlags(table, ['--nope'])).toThrow(/--nope/);
    expect(() => parseFlags(table, ['--out'])).toThrow(/--out/);
  });

  it('documents in --help every flag of every command, with its argument and its exit codes', () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const help = renderHelp(command);
      for (const [flag, spec] of Object.entries(command.flags)) {
        expect(help, `${name} --${flag}`).toContain(`--${flag}${spec.argument ? ` <${spec.argument}>` : ''}`);
      }
      expect(help, name).toMatch(/^Exit codes:\n {2}0 {2}success\n/m);
      expect(help, name).toMatch(/^ {2}2 {2}bad input/m);
      expect(help, name).toMatch(/^ {2}3 {2}the harness itself crashed/m);
    }
    expect(renderHelp(COMPARE_COMMAND)).toMatch(/^ {2}1 {2}a regression, a changed count, or a baseline cell missing/m);
    expect(renderHelp(REPORT_COMMAND)).not.toMatch(/^ {2}1 /m);
  });

  it("lists bench's backends and strategies from their registries, not by hand", () => {
    const help = renderHelp(BENCH_COMMAND);
    expect(help).toContain(BACKEND_IDS.join(' | '));
    expect(help).toContain(STRATEGY_IDS.join(','));
  });
});

describe('parseBenchArgs', () => {
  it('refuses a strategy listed twice, naming it', () => {
    expect(() => parseBenchArgs(['a.ts', '--strategies', 'g-first,g-first'])).toThrow('--strategies: lists g-first twice');
  });

  it('refuses shard numbers that are not safe integers', () => {
    expect(() => parseBenchArgs(['a.ts', '--shard', '1/99999999999999999999'])).toThrow(/--shard numbers must be at most 9007199254740991/);
    expect(() => parseBenchArgs(['a.ts', '--shard', '3/2'])).toThrow(/--shard index must be from 1 to 2/);
  });

  it('takes --allow-missing only with --baseline', () => {
    expect(() => parseBenchArgs(['a.ts', '--allow-missing'])).toThrow('--allow-missing needs --baseline');
    expect(parseBenchArgs(['a.ts', '--baseline', 'b', '--allow-missing']).compare.allowMissing).toBe(true);
  });
});

describe('a flag given twice', () => {
  it('is refused, naming both values, where it takes one value (parseArgs would keep the last silently)', () => {
    expect(() => parseBenchArgs(['a.ts', '--out', 'x', '--out', 'y'])).toThrow(new UsageError("--out given twice ('x' and 'y'): give it once (see --help)"));
    expect(() => parseBenchArgs(['a.ts', '--backend=cpu', '--backend', 'wasm'])).toThrow("--backend given twice ('cpu' and 'wasm')");
    expect(parseBenchArgs(['a.ts', '--help', '--help']).help).toBe(true);
  });
});
