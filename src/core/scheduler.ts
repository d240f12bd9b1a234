/**
 * A discrete-event scheduler: a binary min-heap of timed tasks.
 *
 * Tie-break rule (documented, relied on by determinism): tasks run in order of
 *   1. `atUs` ascending;
 *   2. then `priority` ascending (lower runs first; see `Priority` for the standard classes);
 *   3. then insertion order (the task scheduled first runs first).
 * With this rule a run is a pure function of the scheduled tasks; nothing depends on heap layout.
 */

/** Standard priority classes for simultaneous tasks. */
export const Priority = {
  /** Exchange-side events: the simulated exchange sees market data and orders first. */
  exchange: 0,
  /** Market data reaching the strategy side. */
  marketData: 10,
  /** Order responses reaching the strategy side. */
  orderResponse: 20,
  /** Timers (requote, time-to-live, funding). */
  timer: 30,
} as const;

export interface ScheduledTask {
  readonly atUs: number;
  readonly priority: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private heap: ScheduledTask[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(atUs: number, run: () => void, priority: number = Priority.timer): ScheduledTask {
    if (!Number.isSafeInteger(atUs)) throw new RangeError(`task time must be integer microseconds, got ${atUs}`);
    const task: ScheduledTask = { atUs, priority, seq: this.nextSeq++, run, cancelled: false };
    this.heap.push(task);
    this.siftUp(this.heap.length - 1);
    return task;
  }

  /** Cancelled tasks stay in the heap and are skipped when they come up (lazy deletion). */
  cancel(task: ScheduledTask): void {
    task.cancelled = true;
  }

  /** Time of the next live task, or `Infinity` if none. */
  peekTimeUs(): number {
    this.dropCancelledHead();
    return this.heap.length === 0 ? Infinity : this.heap[0].atUs;
  }

  /** Removes and returns the next live task, or undefined. */
  pop(): ScheduledTask | undefined {
    this.dropCancelledHead();
    return this.popRaw();
  }

  /** Runs every task with `atUs <= untilUs`, in tie-break order, advancing `onTime` before each. */
  runUntil(untilUs: number, onTime?: (tUs: number) => void): number {
    let count = 0;
    for (;;) {
      const t = this.peekTimeUs();
      if (t > untilUs) break;
      const task = this.popRaw()!;
      onTime?.(task.atUs);
      task.run();
      count++;
    }
    return count;
  }

  private dropCancelledHead(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.popRaw();
  }

  private popRaw(): ScheduledTask | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private static before(a: ScheduledTask, b: ScheduledTask): boolean {
    if (a.atUs !== b.atUs) return a.atUs < b.atUs;
    if (a.priority !== b.priority) return a.priority < b.priority;
    return a.seq < b.seq;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!Scheduler.before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && Scheduler.before(heap[r], heap[l]) ? r : l;
      if (!Scheduler.before(heap[c], item)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = item;
  }
}
