import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_COMMAND } from '../../src/cli/bench.js';
import { COMPARE_COMMAND } from '../../src/cli/compare.js';
import { EXIT_CODE_MEANINGS } from '../../src/cli/exit.js';
import { QUALITY_FAILURE } from '../../src/cli/quality.js';
import { REPORT_COMMAND } from '../../src/cli/report.js';
import { root } from './run-cli.js';

/** The README's exit-code table: code to meaning. */
async function readmeExitCodes(): Promise<Map<number, string>> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (\d) \| (.+) \|$/gm)];
  return new Map(rows.map((row) => [Number(row[1]), row[2]!.replace(/`/g, '')]));
}

const oneLine = (text: string) => text.replace(/\n/g, ' ');

describe("the README's exit-code table", () => {
  it('says what --help says, code by code and command by command', async () => {
    const table = await readmeExitCodes();
    expect([...table.keys()]).toEqual([0, 1, 2, 3]);
    for (const code of [0, 2, 3] as const) expect(table.get(code), `code ${code}`).toBe(oneLine(EXIT_CODE_MEANINGS[code]));
    const one = table.get(1)!;
    expect(one).toContain(`bench: ${oneLine(BENCH_COMMAND.failure!)}`);
    expect(one).toContain(`quality: ${QUALITY_FAILURE}`);
    expect(one).toContain(`compare: ${oneLine(COMPARE_COMMAND.failure!)}`);
    expect(REPORT_COMMAND.failure).toBeNull();
    expect(one).toContain('report never exits 1');
  });
});
