/**
 * The engine's small heap of messages in flight: commands travelling to the venue, venue events
 * travelling back. Ordered by (atUs, priority, seq): time, then the priority class (`Priority`),
 * then insertion order, so the pop order is a pure function of the pushes. Entries are plain
 * records (no closures) and the heap stays small (messages in flight only).
 */

/**
 * The tie-break classes of things due at the same µs, lowest first (see engine.ts). The market
 * stream's two classes never enter the heap (the engine merges the sorted stream with it); they
 * are here so that the whole order is one table.
 */
export const Priority = {
  /** A market event at the venue (exchange time). */
  venueMarket: 0,
  /** A command arriving at the venue. */
  commandArrival: 1,
  /** A market event at the trader (local time). */
  traderMarket: 10,
  /** A venue event arriving at the trader. */
  venueEvent: 20,
  /** The trader's timer. */
  timer: 30,
  /** A report sample (sees everything else at its µs). */
  sample: 40,
} as const;

export interface TimelineEntry<T> {
  atUs: number;
  priority: number;
  seq: number;
  item: T;
}

export class Timeline<T> {
  private heap: TimelineEntry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atUs: number, priority: number, item: T): void {
    const e: TimelineEntry<T> = { atUs, priority, seq: this.nextSeq++, item };
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  /** The next entry without removing it, or undefined. */
  peek(): TimelineEntry<T> | undefined {
    return this.heap[0];
  }

  pop(): TimelineEntry<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before<T>(a: TimelineEntry<T>, b: TimelineEntry<T>): boolean {
  if (a.atUs !== b.atUs) return a.atUs < b.atUs;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.seq < b.seq;
}
