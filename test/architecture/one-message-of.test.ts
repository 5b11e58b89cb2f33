import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.js';

/** An inline copy of messageOf: a thrown value turned into text by hand. */
const INLINE_MESSAGE_OF = /instanceof Error \? \w+\.message : String\(/;

describe('one messageOf', () => {
  it('turns a thrown value into text in src/errors.ts only', async () => {
    const found: string[] = [];
    for (const file of await sourceFiles('src')) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        if (INLINE_MESSAGE_OF.test(line)) found.push(`${relative('src', file)}:${index + 1}`);
      });
    }
    expect(found).toEqual(['errors.ts:5']);
  });
});
