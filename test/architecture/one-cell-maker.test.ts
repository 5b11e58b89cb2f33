import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.js';

/** A cell built by hand: a value declared as one of a cell's states, or one spread from a stopped cell's empty fields. */
const BUILDS_A_CELL = [/:\s*Cell(Ok|Errored|Raised|Diverged|DistributedOnly|Result)\s*=(?!>)/, /\bNOT_(OBSERVED|COMPARED|DISTRIBUTED)\b/];

describe('one place makes cells', () => {
  it('builds a cell in src/results/ only (make.ts; read.ts turns a file back into its states)', async () => {
    const found: string[] = [];
    for (const file of await sourceFiles('src')) {
      const path = relative('src', file);
      if (path.startsWith('results/')) continue;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        if (BUILDS_A_CELL.some((pattern) => pattern.test(line))) found.push(`${path}:${index + 1}`);
      });
    }
    expect(found).toEqual([]);
  });
});
