/** How report tables group cells: by a key computed once per cell, groups in the order their first cell came. */

/** The items grouped by `keyOf`, each group in input order, the groups in the order of their first item. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}
