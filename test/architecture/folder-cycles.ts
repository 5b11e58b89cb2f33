/**
 * The folder graph of a file graph (madge's `.obj()`: file → the files it imports, type imports included) and the
 * cycles in it. A file in `a/` importing one in `b/` is the edge a → b; a file at the root is a node of its own
 * (`runner.ts`), so a cycle through it counts too.
 */

/** Where a file sits: its top folder, or the file itself when it is at the root. */
export const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

/** One import between folders, and every file import that makes it. */
export type FolderGraph = Map<string, Map<string, string[]>>;

/** The folder edges of these file imports, leaving out the file imports in `allowed` ("from -> to"). */
export function folderGraph(files: Record<string, readonly string[]>, allowed: ReadonlySet<string> = new Set()): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const [from, imports] of Object.entries(files)) {
    for (const to of imports) {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a === b || allowed.has(`${from} -> ${to}`)) continue;
      const edges = graph.get(a) ?? new Map<string, string[]>();
      edges.set(b, [...(edges.get(b) ?? []), `${from} -> ${to}`]);
      graph.set(a, edges);
    }
  }
  return graph;
}

/**
 * Every cycle between folders, one per strongly connected group, each as "a → b → a" with the file imports behind
 * each step; empty when the folders form a hierarchy.
 */
export function folderCycles(graph: FolderGraph): string[] {
  const cycles: string[] = [];
  const reported = new Set<string>();
  for (const start of [...graph.keys()].sort()) {
    if (reported.has(start)) continue;
    const path = shortestPath(graph, start, start);
    if (!path) continue;
    path.forEach((folder) => reported.add(folder));
    const steps = path.slice(0, -1).map((from, index) => {
      const to = path[index + 1]!;
      return `  ${from} → ${to}: ${graph.get(from)!.get(to)!.join('; ')}`;
    });
    cycles.push([path.join(' → '), ...steps].join('\n'));
  }
  return cycles;
}

/** The shortest path of folder edges from `from` to `to` (at least one edge), breadth first; null if none. */
function shortestPath(graph: FolderGraph, from: string, to: string): string[] | null {
  const previous = new Map<string, string>();
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      if (next === to) {
        const path = [to];
        for (let step = previous.get(to)!; step !== from; step = previous.get(step)!) path.unshift(step);
        return [from, ...path];
      }
      queue.push(next);
    }
  }
  return null;
}
