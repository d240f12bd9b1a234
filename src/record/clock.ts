/**
 * The recorder's receive clock: wall-clock µs since the epoch that never goes backwards. It is
 * the wall clock read once at start plus the monotonic clock's progress since, so an NTP step
 * does not move receive times back (or jump them); it never returns less than `floorUs` (the last
 * receive time of the previous session's journal) or than its own previous reading.
 */
import type { Timers } from '../adapter/binance/index.ts';

export class ReceiveClock {
  private readonly baseWallUs: number;
  private readonly baseMonoNs: bigint;
  private last: number;

  constructor(floorUs = 0) {
    this.baseWallUs = Date.now() * 1000;
    this.baseMonoNs = process.hrtime.bigint();
    this.last = floorUs;
  }

  nowUs(): number {
    const t = this.baseWallUs + Number((process.hrtime.bigint() - this.baseMonoNs) / 1000n);
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Raises the floor (receive times already written). */
  atLeast(us: number): void {
    if (us > this.last) this.last = us;
  }
}

/** Node's timers, unref'ed (a pending wait never keeps the process alive), for the adapter's network code. */
export const wallTimers: Timers = {
  after(ms: number, f: () => void): unknown {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  cancel(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
