import madge from 'madge';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderGraph } from './folder-cycles.js';

/** The import graph of a folder's TypeScript files, type imports included. */
async function importGraph(root: string): Promise<{ files: Record<string, string[]>; circular: string[][] }> {
  const graph = await madge(root, { fileExtensions: ['ts'], tsConfig: 'tsconfig.json' });
  return { files: graph.obj(), circular: graph.circular() };
}


describe('import cycles', () => {
  // src/'s graph, built once for the tests that read it.
  let source: ReturnType<typeof importGraph> | undefined;
  const sourceGraph = () => (source ??= importGraph('src'));

  it('no two folders of src/ import each other, directly or around a cycle, type imports included', async () => {
    const { files } = await sourceGraph();
    expect(folderCycles(folderGraph(files))).toEqual([]);
  });

  it('no two files of src/ import each other, directly or around a cycle', async () => {
    const { circular } = await sourceGraph();
    expect(circular).toEqual([]);
  });

  it('a cycle of type imports between two folders is found and named', async () => {
    const { files, circular } = await importGraph('test/fixtures/type-import-cycle');
    expect(folderCycles(folderGraph(files))).toEqual(['a → b → a\n  a → b: a/one.ts -> b/two.ts\n  b → a: b/two.ts -> a/one.ts']);
    expect(circular).toEqual([['a/one.ts', 'b/two.ts']]);
  });

  it('a cycle around three folders is named with the imports behind each step', () => {
    const files = { 'a/x.ts': ['b/y.ts'], 'b/y.ts': ['c/z.ts'], 'c/z.ts': ['a/w.ts'], 'a/w.ts': [], 'root.ts': ['a/x.ts'] };
    expect(folderCycles(folderGraph(files))).toEqual([
      'a → b → c → a\n  a → b: a/x.ts -> b/y.ts\n  b → c: b/y.ts -> c/z.ts\n  c → a: c/z.ts -> a/w.ts',
    ]);
    expect(folderCycles(folderGraph(files, new Set(['c/z.ts -> a/w.ts'])))).toEqual([]);
  });

  it('a root file is a node of its own: a cycle through it counts', () => {
    const files = { 'runner.ts': ['a/x.ts'], 'a/x.ts': ['runner.ts'], 'types.ts': ['a/x.ts'] };
    expect(folderCycles(folderGraph(files))).toEqual(['a → runner.ts → a\n  a → runner.ts: a/x.ts -> runner.ts\n  runner.ts → a: runner.ts -> a/x.ts']);
  });
});
