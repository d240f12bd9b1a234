/**
 * Binance's rate limits as the local exchange enforces them (binance-usdm.md §3): request weight per
 * IP per minute (REQUEST_WEIGHT 2400 / 1 MINUTE), orders per account per 10 s and per minute (ORDERS
 * 300 / 10 SECOND, 1200 / 1 MINUTE). Windows are fixed intervals of the server's clock (a minute
 * starts at :00), as Binance's `X-MBX-USED-WEIGHT-1M` counts them; a count already includes the
 * request it is reported on. REST and ws-fapi requests share the counters.
 *
 * Over the weight limit: 429 `-1003` with `Retry-After` (seconds to the next window). A client that
 * keeps sending after its 429 (more than `banAfter429s` refused requests in one window) is banned:
 * 418 `-1003` "IP banned until <ms>" with `Retry-After`, for 2 minutes, doubling with each repeated
 * ban up to 3 days (Binance: "scale in duration for repeat offenders, from 2 minutes to 3 days";
 * the threshold and the doubling are ours, Binance publishes neither). Over an order limit: 429
 * `-1015`, no `Retry-After`; refused orders are not counted.
 *
 * `enforce: false` counts and reports (headers, `rateLimits`) but never refuses: tests and benchmarks
 * that send faster than Binance allows.
 */
import { BinanceError } from './errors.ts';

export interface RateLimitOptions {
  /** Refuse over the limits (default true); false: count and report only. */
  enforce?: boolean;
  /** REQUEST_WEIGHT per IP per minute (Binance: 2400). */
  requestWeight1m?: number;
  /** ORDERS per account per 10 seconds (Binance: 300). */
  orders10s?: number;
  /** ORDERS per account per minute (Binance: 1200). */
  orders1m?: number;
  /** Requests refused with 429 in one window before the IP is banned (default 10). */
  banAfter429s?: number;
  /** First ban, ms (Binance: 2 minutes); each further ban of the same IP doubles it. */
  firstBanMs?: number;
  /** Longest ban, ms (Binance: 3 days). */
  maxBanMs?: number;
  /** The clock of the windows, ms (default: the server's clock). */
  clockMs?: () => number;
}

export const BINANCE_RATE_LIMITS = { requestWeight1m: 2400, orders10s: 300, orders1m: 1200 } as const;

/** A refusal by the rate limiter; `retryAfterS` goes into a `Retry-After` header when set, `retryAtMs` is when (limiter's clock). */
export class RateLimitError extends BinanceError {
  readonly retryAfterS: number | undefined;
  constructor(
    code: number,
    message: string,
    httpStatus: number,
    readonly retryAtMs: number | undefined,
    nowMs: number,
  ) {
    super(code, message, httpStatus);
    this.retryAfterS = retryAtMs === undefined ? undefined : Math.max(1, Math.ceil((retryAtMs - nowMs) / 1000));
  }
}

/** The counts a reply reports (the request included). */
export interface Usage {
  weight1m: number;
  orders10s?: number;
  orders1m?: number;
}

interface IpState {
  minute: number;
  weight: number;
  refused: number;
  bannedUntil: number;
  bans: number;
}

interface AccountState {
  tenSec: number;
  c10s: number;
  minute: number;
  c1m: number;
}

const MINUTE = 60_000;
const TEN_SEC = 10_000;

export class RateLimiter {
  readonly enforce: boolean;
  readonly requestWeight1m: number;
  readonly orders10s: number;
  readonly orders1m: number;
  private readonly banAfter: number;
  private readonly firstBanMs: number;
  private readonly maxBanMs: number;
  private readonly clock: () => number;
  private readonly ips = new Map<string, IpState>();
  private readonly accounts = new Map<string, AccountState>();

  constructor(o: RateLimitOptions, defaultClockMs: () => number) {
    this.enforce = o.enforce ?? true;
    this.requestWeight1m = positive(o.requestWeight1m ?? BINANCE_RATE_LIMITS.requestWeight1m, 'requestWeight1m');
    this.orders10s = positive(o.orders10s ?? BINANCE_RATE_LIMITS.orders10s, 'orders10s');
    this.orders1m = positive(o.orders1m ?? BINANCE_RATE_LIMITS.orders1m, 'orders1m');
    this.banAfter = o.banAfter429s ?? 10;
    this.firstBanMs = o.firstBanMs ?? 2 * MINUTE;
    this.maxBanMs = o.maxBanMs ?? 3 * 86_400_000;
    this.clock = o.clockMs ?? defaultClockMs;
  }

  /** exchangeInfo's `rateLimits`, from the configured limits. */
  rateLimits(): Record<string, unknown>[] {
    return [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.requestWeight1m },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: this.orders1m },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.orders10s },
    ];
  }

  /** ws-fapi's `rateLimits` of a reply: the weight, and the order counts when the request counted them. */
  wsRateLimits(u: Usage): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.requestWeight1m, count: u.weight1m }];
    if (u.orders10s !== undefined) out.push({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.orders10s, count: u.orders10s });
    if (u.orders1m !== undefined) out.push({ rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: this.orders1m, count: u.orders1m });
    return out;
  }

  /**
   * Charges a request's weight to its IP; throws 429 / 418 when refused. `usage` gets the count
   * either way (headers of a refusal carry it too).
   */
  admit(ip: string, weight: number, usage: Usage): void {
    const now = this.clock();
    const s = this.ip(ip, now);
    usage.weight1m = s.weight;
    if (s.bannedUntil > now) throw this.banned(ip, s.bannedUntil, now);
    s.weight += weight;
    usage.weight1m = s.weight;
    if (!this.enforce || s.weight <= this.requestWeight1m) return;
    s.refused++;
    if (s.refused > this.banAfter) {
      s.bans++;
      s.bannedUntil = now + Math.min(this.maxBanMs, this.firstBanMs * 2 ** Math.min(s.bans - 1, 40));
      throw this.banned(ip, s.bannedUntil, now);
    }
    throw new RateLimitError(-1003, `Too many requests; current limit of IP(${ip}) request weight is ${this.requestWeight1m} per minute. Please use WebSocket Streams for live updates to avoid polling the API.`, 429, (Math.floor(now / MINUTE) + 1) * MINUTE, now);
  }

  /** The IP's weight so far in this minute (nothing charged). */
  used(ip: string): number {
    return this.ip(ip, this.clock()).weight;
  }

  /** Counts an order request on the account's windows; throws -1015 (429) when over, counting nothing. */
  admitOrders(account: string, n10s: number, n1m: number, usage: Usage): void {
    const now = this.clock();
    let a = this.accounts.get(account);
    if (a === undefined) this.accounts.set(account, (a = { tenSec: -1, c10s: 0, minute: -1, c1m: 0 }));
    const t = Math.floor(now / TEN_SEC);
    if (t !== a.tenSec) {
      a.tenSec = t;
      a.c10s = 0;
    }
    const m = Math.floor(now / MINUTE);
    if (m !== a.minute) {
      a.minute = m;
      a.c1m = 0;
    }
    usage.orders10s = a.c10s;
    usage.orders1m = a.c1m;
    if (this.enforce && a.c10s + n10s > this.orders10s) throw new RateLimitError(-1015, `Too many new orders; current limit is ${this.orders10s} orders per 10 SECOND.`, 429, undefined, now);
    if (this.enforce && a.c1m + n1m > this.orders1m) throw new RateLimitError(-1015, `Too many new orders; current limit is ${this.orders1m} orders per MINUTE.`, 429, undefined, now);
    a.c10s += n10s;
    a.c1m += n1m;
    usage.orders10s = a.c10s;
    usage.orders1m = a.c1m;
  }

  private ip(ip: string, now: number): IpState {
    let s = this.ips.get(ip);
    if (s === undefined) {
      if (this.ips.size >= 10_000) this.prune(now);
      this.ips.set(ip, (s = { minute: -1, weight: 0, refused: 0, bannedUntil: 0, bans: 0 }));
    }
    const m = Math.floor(now / MINUTE);
    if (m !== s.minute) {
      s.minute = m;
      s.weight = 0;
      s.refused = 0;
    }
    return s;
  }

  /** Forgets IPs idle for a minute and never banned (the map stays bounded under many clients). */
  private prune(now: number): void {
    const m = Math.floor(now / MINUTE);
    for (const [k, s] of this.ips) if (s.bans === 0 && s.minute < m) this.ips.delete(k);
  }

  private banned(ip: string, until: number, now: number): RateLimitError {
    return new RateLimitError(-1003, `Way too many requests; IP(${ip}) banned until ${until}. Please use the websocket for live updates to avoid bans.`, 418, until, now);
  }
}

function positive(n: number, name: string): number {
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`rate limit ${name} must be a positive number, got ${n}`);
  return Math.floor(n);
}

/**
 * `--rate-limits`: `binance` (Binance's limits), `off` (count and report, never refuse), or a
 * multiplier of Binance's limits (`10`, `0.5`). Returns the options, or a message for a bad value.
 */
export function parseRateLimitsFlag(v: string): RateLimitOptions | string {
  if (v === 'binance') return {};
  if (v === 'off') return { enforce: false };
  const x = Number(v.replace(/^x/, ''));
  if (!Number.isFinite(x) || x <= 0) return `--rate-limits must be binance, off or a positive multiplier such as 10, got "${v}"`;
  const l = BINANCE_RATE_LIMITS;
  return { requestWeight1m: Math.max(1, Math.round(l.requestWeight1m * x)), orders10s: Math.max(1, Math.round(l.orders10s * x)), orders1m: Math.max(1, Math.round(l.orders1m * x)) };
}
