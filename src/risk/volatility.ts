/**
 * Volatility circuit breaker inputs: the range (max − min) of the mid price over a sliding time
 * window, in O(1) amortised per observation (two monotonic deques).
 *
 * Mids are kept doubled (`bid + ask`, an integer number of half-ticks) so that no rounding happens.
 * Times are integer µs and must not go backwards; a mid observed at t stays in the window while
 * now − t < windowUs.
 */
import { InvariantError } from '../core/errors.ts';

export interface MidRange {
  /** max − min of the mid within the window, ticks (may be a half tick). */
  rangeTicks: number;
  /** That range in basis points of the latest mid. */
  rangeBps: number;
}

export class MidRangeWindow {
  private readonly windowUs: number;
  // Monotonic deques of (tsUs, mid×2): `maxQ` non-increasing, `minQ` non-decreasing, from `head`.
  private maxTs: number[] = [];
  private maxMid2: number[] = [];
  private maxHead = 0;
  private minTs: number[] = [];
  private minMid2: number[] = [];
  private minHead = 0;
  private lastUs = Number.NEGATIVE_INFINITY;
  private lastMid2 = NaN;

  constructor(windowUs: number) {
    this.windowUs = windowUs;
  }

  /** Adds the mid `(bidTicks + askTicks) / 2` seen at `tsUs`. */
  observe(tsUs: number, bidTicks: number, askTicks: number): void {
    if (tsUs < this.lastUs) throw new InvariantError(`mid window: time went backwards (${tsUs} < ${this.lastUs})`);
    this.lastUs = tsUs;
    const mid2 = bidTicks + askTicks;
    this.lastMid2 = mid2;
    while (this.maxTs.length > this.maxHead && this.maxMid2[this.maxMid2.length - 1] <= mid2) {
      this.maxTs.pop();
      this.maxMid2.pop();
    }
    this.maxTs.push(tsUs);
    this.maxMid2.push(mid2);
    while (this.minTs.length > this.minHead && this.minMid2[this.minMid2.length - 1] >= mid2) {
      this.minTs.pop();
      this.minMid2.pop();
    }
    this.minTs.push(tsUs);
    this.minMid2.push(mid2);
    this.expire(tsUs);
  }

  /** Range of the mids inside the window ending at `tsUs`; null when the window is empty. */
  range(tsUs: number): MidRange | null {
    this.expire(tsUs);
    if (this.maxHead >= this.maxTs.length) return null;
    const span2 = this.maxMid2[this.maxHead] - this.minMid2[this.minHead];
    return { rangeTicks: span2 / 2, rangeBps: (span2 / this.lastMid2) * 10_000 };
  }

  /** Forgets every mid (after a halt trips, so the cooldown is measured from fresh data). */
  clear(): void {
    this.maxTs = [];
    this.maxMid2 = [];
    this.maxHead = 0;
    this.minTs = [];
    this.minMid2 = [];
    this.minHead = 0;
  }

  private expire(tsUs: number): void {
    const cutoff = tsUs - this.windowUs;
    while (this.maxHead < this.maxTs.length && this.maxTs[this.maxHead] <= cutoff) this.maxHead++;
    while (this.minHead < this.minTs.length && this.minTs[this.minHead] <= cutoff) this.minHead++;
    if (this.maxHead > 1024 && this.maxHead * 2 > this.maxTs.length) {
      this.maxTs.splice(0, this.maxHead);
      this.maxMid2.splice(0, this.maxHead);
      this.maxHead = 0;
    }
    if (this.minHead > 1024 && this.minHead * 2 > this.minTs.length) {
      this.minTs.splice(0, this.minHead);
      this.minMid2.splice(0, this.minHead);
      this.minHead = 0;
    }
  }
}
