/**
 * The wall clock and timers of the live shells: what the adapter (src/adapter/binance) is given
 * instead of reading ambient time itself, so its timeouts and keepalives can also run on a
 * simulated clock in tests; and `sleep` on such timers (the session's waits).
 */
import type { Clock } from '../core/clock.ts';
import type { Timers } from '../adapter/binance/index.ts';

export class WallClock implements Clock {
  nowUs(): number {
    return Date.now() * 1000;
  }
}

/** Node's timers, unref'ed: a pending timeout never keeps the process alive by itself. */
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

/** Resolves after `ms` on the given timers (injected, so a simulated clock can run the wait). */
export const sleep = (timers: Timers, ms: number): Promise<void> => new Promise((r) => timers.after(ms, r));
