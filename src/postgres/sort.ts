import type { Entry } from './ddl.ts';

/** pg_dump's first ordering: kind priority, then schema and name compared as bytes (strcmp), then table. */
export function compareEntries(a: Entry, b: Entry): number {
  return (
    a.priority - b.priority ||
    compareBytes(a.schema ?? '', b.schema ?? '') ||
    compareBytes(a.sortName ?? a.name, b.sortName ?? b.name) ||
    compareBytes(a.name, b.name) ||
    compareBytes(a.id, b.id)
  );
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export interface SortResult {
  entries: Entry[];
  /** Entries that were part of a dependency loop, placed in name order where the loop was broken. */
  loops: Entry[];
}

/**
 * Orders entries by their real dependencies (pg_depend edges mapped onto entries), moving an entry
 * only when a dependency forces it: among the entries whose dependencies are all placed, the one
 * that comes first in name order goes next (Kahn's algorithm with a priority queue), which keeps
 * pg_dump's "alphabetical within kind unless something must move" shape. A loop is broken at the
 * earliest entry in name order and reported.
 */
export function sortByDependencies(input: Entry[]): SortResult {
  const ordered = [...input].sort(compareEntries);
  const position = new Map(ordered.map((entry, index) => [entry.id, index]));
  const blockers = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const entry of ordered) {
    let count = 0;
    for (const dependency of entry.dependsOn) {
      if (dependency === entry.id || !position.has(dependency)) continue;
      count += 1;
      const list = dependents.get(dependency) ?? [];
      list.push(entry.id);
      dependents.set(dependency, list);
    }
    blockers.set(entry.id, count);
  }

  const ready = new MinHeap();
  for (const entry of ordered) if (blockers.get(entry.id) === 0) ready.push(position.get(entry.id)!);
  const placed = new Set<number>();
  const result: Entry[] = [];
  const loops: Entry[] = [];
  const place = (index: number) => {
    placed.add(index);
    const entry = ordered[index]!;
    result.push(entry);
    for (const dependent of dependents.get(entry.id) ?? []) {
      const remaining = blockers.get(dependent)! - 1;
      blockers.set(dependent, remaining);
      if (remaining === 0) ready.push(position.get(dependent)!);
    }
  };
  while (result.length < ordered.length) {
    const next = ready.pop();
    if (next !== undefined) {
      if (!placed.has(next)) place(next);
      continue;
    }
    // Everything left waits on something else that is left: a loop. It is broken at the first
    // entry in name order; every entry of the loop is reported, since none of them is sure to restore.
    const stuck = ordered.findIndex((_, index) => !placed.has(index));
    const unplaced = (id: string) => position.has(id) && !placed.has(position.get(id)!);
    const reach = (from: string, next: (id: string) => Iterable<string>) => {
      const seen = new Set<string>([from]);
      const stack = [from];
      while (stack.length > 0) {
        for (const id of next(stack.pop()!)) {
          if (!seen.has(id) && unplaced(id)) {
            seen.add(id);
            stack.push(id);
          }
        }
      }
      return seen;
    };
    const stuckId = ordered[stuck]!.id;
    const downstream = reach(stuckId, (id) => dependents.get(id) ?? []);
    const upstream = reach(stuckId, (id) => ordered[position.get(id)!]!.dependsOn);
    for (const entry of ordered) if (downstream.has(entry.id) && upstream.has(entry.id)) loops.push(entry);
    blockers.set(stuckId, 0);
    place(stuck);
  }
  return { entries: result, loops };
}

class MinHeap {
  readonly #items: number[] = [];

  push(value: number): void {
    const items = this.#items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= items[i]!) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left]! < items[smallest]!) smallest = left;
        if (right < items.length && items[right]! < items[smallest]!) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
