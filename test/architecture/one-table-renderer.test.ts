import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.js';

/** A markdown table row written by hand: a string literal or template that starts with "| ". */
const HAND_BUILT_ROW = /[`'"]\| /;

/** The renderer itself. */
const ALLOWED = new Set([
  'report/tables/tables.ts',
]);

/** The files (relative to `root`) with a hand-built table row, each with its first such line. */
async function handBuiltTables(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sourceFiles(root)) {
    const name = relative(root, file);
    const line = (await readFile(file, 'utf8')).split('\n').findIndex((text) => HAND_BUILT_ROW.test(text) && !text.trim().startsWith('*'));
    if (line >= 0) found.push(`${name}:${line + 1}`);
  }
  return found.sort();
}

describe('one table renderer', () => {
  it('every markdown table in src/ goes through report/tables/tables.ts renderTable', async () => {
    const found = await handBuiltTables('src');
    expect(found.filter((where) => !ALLOWED.has(where.slice(0, where.lastIndexOf(':'))))).toEqual([]);
  });

  it('finds a table row built by hand by its leading pipe, and not a list of choices joined with pipes', () => {
    expect(HAND_BUILT_ROW.test("lines.push(`| ${cells.join(' | ')} |`);")).toBe(true);
    expect(HAND_BUILT_ROW.test("'| three is the best | ' + verdict")).toBe(true);
    expect(HAND_BUILT_ROW.test("`one of ${BACKEND_IDS.join(' | ')}`")).toBe(false);
    expect(HAND_BUILT_ROW.test('renderTable(COLUMNS, rows)')).toBe(false);
  });
});
