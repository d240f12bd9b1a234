/**
 * The request-weight and order-count budget of the live gateway (binance-usdm.md §3), shared by the
 * REST client and the ws-fapi client: Binance counts both on the same limits (weight per IP, orders
 * per account), so one budget object is handed to both when they trade the same account.
 *
 * Windows are per server minute (our clock plus the server-time offset) and per 10 s for order
 * counts. Counts are local until Binance tells its own (`X-MBX-USED-WEIGHT-1M` /
 * `X-MBX-ORDER-COUNT-*` headers, ws-fapi `rateLimits`): `observe` raises the local count to it.
 * A 429/418 (`block`) stops every request until the time Binance gave. Every request kept back and
 * every 429/418 is told to `onThrottle`.
 *
 * Time: the injected clock (wall clock µs); no ambient time.
 */
import type { Clock } from '../../core/clock.ts';

/** Binance asked us to stop (429, 418) or the local budget is spent: what the runner can act on. */
export interface Throttle {
  readonly tsUs: number;
  /** No request before this time, µs (wall clock). */
  readonly untilUs: number;
  /** 429, 418, or 0 for the local budget. */
  readonly httpStatus: number;
  readonly code: number;
  readonly reason: string;
}

export interface BudgetOptions {
  readonly clock: Clock;
  /** Weight we allow ourselves per minute (default 1800 of Binance's 2400). */
  readonly weightBudget1m?: number;
  /** Orders per 10 s and per minute (default 250 of 300, 1000 of 1200). */
  readonly orderBudget10s?: number;
  readonly orderBudget1m?: number;
  /** Told of every 429/418 and of every request the local budget kept back. */
  readonly onThrottle?: (t: Throttle) => void;
}

/** The counts, as last known (a client's stats object, written in place). */
export interface BudgetCounts {
  /** Requests kept back by the budget, plus 429/418 replies. */
  throttled: number;
  /** Weight used this minute, as last known (Binance's count or ours). */
  usedWeight1m: number;
  orderCount10s: number;
  orderCount1m: number;
}

/** A request the budget kept back: not sent, no request before `untilUs`. */
export interface Refusal {
  readonly untilUs: number;
  readonly code: number;
  readonly cause: string;
}

const US_PER_MINUTE = 60_000_000;
const US_PER_10S = 10_000_000;

export class RateBudget {
  readonly counts: BudgetCounts;
  private readonly o: BudgetOptions;
  private blockedUntilUs = 0;
  private weightMinute = -1;
  private orders10sWindow = -1;
  private ordersMinute = -1;

  /** `counts`: the object to keep the counts in (a client's stats); a new one when absent. */
  constructor(o: BudgetOptions, counts?: BudgetCounts) {
    this.o = o;
    this.counts = counts ?? { throttled: 0, usedWeight1m: 0, orderCount10s: 0, orderCount1m: 0 };
  }

  /** No request is sent before this time (µs); 0 when not blocked. */
  get blockedUntil(): number {
    return this.blockedUntilUs;
  }

  /**
   * Takes a request's weight (and one order when `order`) from the budget, or says why not now.
   * `offsetMs`: server time minus our clock (the windows are the server's).
   */
  take(weight: number, order: boolean, offsetMs: number): Refusal | null {
    const now = this.o.clock.nowUs();
    if (now < this.blockedUntilUs) return { untilUs: this.blockedUntilUs, code: -1003, cause: 'Binance asked us to wait (429/418)' };
    const serverUs = now + offsetMs * 1000;
    const minute = this.rollWeightMinute(serverUs);
    const weightBudget = this.o.weightBudget1m ?? 1800;
    if (this.counts.usedWeight1m + weight > weightBudget) return this.refuse(now, (minute + 1) * US_PER_MINUTE - offsetMs * 1000, -1003, `request weight budget ${weightBudget}/min spent`);
    if (order) {
      const w10 = Math.floor(serverUs / US_PER_10S);
      if (w10 !== this.orders10sWindow) {
        this.orders10sWindow = w10;
        this.counts.orderCount10s = 0;
      }
      if (minute !== this.ordersMinute) {
        this.ordersMinute = minute;
        this.counts.orderCount1m = 0;
      }
      const b10 = this.o.orderBudget10s ?? 250;
      const b1m = this.o.orderBudget1m ?? 1000;
      if (this.counts.orderCount10s + 1 > b10) return this.refuse(now, (w10 + 1) * US_PER_10S - offsetMs * 1000, -1015, `order budget ${b10}/10s spent`);
      if (this.counts.orderCount1m + 1 > b1m) return this.refuse(now, (minute + 1) * US_PER_MINUTE - offsetMs * 1000, -1015, `order budget ${b1m}/min spent`);
      this.counts.orderCount10s++;
      this.counts.orderCount1m++;
    }
    this.counts.usedWeight1m += weight;
    return null;
  }

  /**
   * Counts `weight` in the current minute without asking: for a request that is sent whatever the
   * budget says (the ws-fapi `session.logon`, which the connection needs). Not a refusal, so no
   * throttle is reported.
   */
  charge(weight: number, offsetMs: number): void {
    this.rollWeightMinute(this.o.clock.nowUs() + offsetMs * 1000);
    this.counts.usedWeight1m += weight;
  }

  /** The server minute of `serverUs`; the weight count starts again at 0 in a new minute. */
  private rollWeightMinute(serverUs: number): number {
    const minute = Math.floor(serverUs / US_PER_MINUTE);
    if (minute !== this.weightMinute) {
      this.weightMinute = minute;
      this.counts.usedWeight1m = 0;
    }
    return minute;
  }

  /** Binance's own counts (headers, `rateLimits`): the local count is raised to them. */
  observe(c: { weight1m?: number; orders10s?: number; orders1m?: number }): void {
    if (c.weight1m !== undefined && Number.isFinite(c.weight1m)) this.counts.usedWeight1m = Math.max(this.counts.usedWeight1m, c.weight1m);
    if (c.orders10s !== undefined && Number.isFinite(c.orders10s)) this.counts.orderCount10s = Math.max(this.counts.orderCount10s, c.orders10s);
    if (c.orders1m !== undefined && Number.isFinite(c.orders1m)) this.counts.orderCount1m = Math.max(this.counts.orderCount1m, c.orders1m);
  }

  /** A 429/418 from Binance at `now` (µs): nothing is sent before `untilUs`; the runner is told. Returns the block's end. */
  block(now: number, untilUs: number, httpStatus: number, code: number, reason: string): number {
    this.blockedUntilUs = Math.max(this.blockedUntilUs, untilUs);
    this.counts.throttled++;
    this.o.onThrottle?.({ tsUs: now, untilUs: this.blockedUntilUs, httpStatus, code, reason });
    return this.blockedUntilUs;
  }

  private refuse(now: number, untilUs: number, code: number, reason: string): Refusal {
    this.counts.throttled++;
    this.o.onThrottle?.({ tsUs: now, untilUs, httpStatus: 0, code, reason });
    return { untilUs, code, cause: reason };
  }
}

/**
 * When a 429/418 lets us send again, µs: `Retry-After` seconds when given; for a 418 without it the
 * ban time in the message ("IP banned until 1700000000000", server ms); else the next minute.
 */
export function retryAfterUs(nowUs: number, status: number, retryAfter: string | null, msg: string, offsetMs: number): number {
  const secs = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(secs) && secs >= 0) return nowUs + Math.ceil(secs * 1000) * 1000;
  if (status === 418) {
    const m = /until (\d{12,})/.exec(msg);
    if (m !== null) return (Number(m[1]) - offsetMs) * 1000;
  }
  return (Math.floor(nowUs / US_PER_MINUTE) + 1) * US_PER_MINUTE;
}

/**
 * The longest a client waits on the `Retry-After` of a WebSocket handshake refused with 429/418, ms
 * (1 h). Binance's bans escalate from 2 min to 3 days; a longer one means the IP is banned and one
 * refused handshake an hour costs nothing, while a nonsense header cannot park a client for days.
 */
export const HANDSHAKE_RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * The wait a 429/418 answer to a WebSocket handshake asks for, ms: its `Retry-After` (seconds)
 * bounded by `HANDSHAKE_RETRY_AFTER_MAX_MS`; undefined without a readable one.
 */
export function handshakeRetryAfterMs(retryAfter: string | string[] | undefined): number | undefined {
  const v = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (v === undefined || v.trim() === '') return undefined;
  const secs = Number(v);
  if (!Number.isFinite(secs) || secs < 0) return undefined;
  return Math.min(Math.ceil(secs * 1000), HANDSHAKE_RETRY_AFTER_MAX_MS);
}
