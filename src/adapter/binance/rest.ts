/**
 * The signed REST client of the live gateway (binance-usdm.md §1-§3): Node's fetch (undici, whose
 * global agent keeps connections alive), one timeout per request, signing at the last moment before
 * the request is written, the server-time offset, and the request-weight and order-count budget.
 *
 * Every request ends in exactly one outcome, never an exception:
 * - `ok`: a 2xx reply with its JSON body;
 * - `rejected`: a definitive refusal by Binance, a JSON `{code, msg}` on a 4xx (or 503 `-1008`
 *   "throttled by system-level protection") whose code is not one of the unknown-outcome codes:
 *   the request was not applied;
 * - `unknown`: anything else (timeout, dropped connection, HTTP 503 "Unknown error", other 5xx,
 *   -1000/-1001/-1006/-1007, a reply that is not JSON): the request may have been applied;
 * - `throttled`: not sent (or refused with 429/418): the local budget is spent, or Binance asked us
 *   to wait; no request goes out before `untilUs`.
 *
 * Retries: only `-1021` (timestamp outside recvWindow, a definitive refusal) is retried, once, after
 * re-measuring the server-time offset and re-signing, and only while the caller's `stopped` gate
 * (the gateway's, closed at the shutdown) is open. Nothing else is re-sent: the gateway leaves
 * unknown outcomes to the OMS's queries.
 *
 * Time: the injected clock (wall clock µs) and timers; the adapter reads no ambient time. Budgets
 * are per server minute (the clock plus the measured offset) and per 10 s for order counts; every
 * reply's `X-MBX-USED-WEIGHT-1M` / `X-MBX-ORDER-COUNT-10S|1M` header replaces the local count.
 */
import type { Clock } from '../../core/clock.ts';
import { RateBudget, retryAfterUs, type BudgetCounts, type Throttle } from './rate-budget.ts';
import type { Signer } from './sign.ts';

export { retryAfterUs, type Throttle } from './rate-budget.ts';

/** Timers, injected (the wall clock's in live/, a simulated one in tests). */
export interface Timers {
  /** Runs `f` once after `ms`; returns a handle for `cancel`. */
  after(ms: number, f: () => void): unknown;
  cancel(handle: unknown): void;
}

/** Binance codes after which a request's outcome is unknown (it may have been applied). */
export const UNKNOWN_OUTCOME_CODES: ReadonlySet<number> = new Set([-1000, -1001, -1006, -1007]);

export type RestOutcome =
  | { readonly kind: 'ok'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'rejected'; readonly status: number; readonly code: number; readonly msg: string }
  | { readonly kind: 'unknown'; readonly cause: string }
  | { readonly kind: 'throttled'; readonly untilUs: number; readonly code: number; readonly cause: string };

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  /** SIGNED: timestamp, recvWindow and signature added. */
  readonly signed?: boolean;
  /** Sends `X-MBX-APIKEY` without a signature (USER_STREAM: listenKey). */
  readonly apiKey?: boolean;
  /** Request weight (binance-usdm.md §3); default 1. */
  readonly weight?: number;
  /** Counts against the ORDERS limits (new and modified orders). */
  readonly order?: boolean;
  /**
   * Asked before every write of this request (the first, and the re-send after -1021): a reason
   * means it must not reach the venue any more (order entry stopped for the shutdown), and the
   * outcome is `throttled` with that cause (not sent). Absent: always written.
   */
  readonly stopped?: () => string | null;
}

export interface RestClientOptions {
  readonly baseUrl: string;
  readonly signer?: Signer;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Per request, ms (default 5000). */
  readonly timeoutMs?: number;
  /** `recvWindow` sent with signed requests, ms (default 5000). */
  readonly recvWindowMs?: number;
  /**
   * A server-time offset already known (ms): taken as measured now, so the first signed request
   * does not measure it first. Absent: measured before the first signed request.
   */
  readonly serverOffsetMs?: number;
  /** Re-measure the server-time offset when it is older than this, ms (default 10 min). */
  readonly timeSyncIntervalMs?: number;
  /**
   * The budget to take weight and order counts from: pass the same one to the ws-fapi client of the
   * same account (Binance counts both on one limit). Absent: one of its own, from the options below.
   */
  readonly budget?: RateBudget;
  /** Weight we allow ourselves per minute (default 1800 of Binance's 2400). */
  readonly weightBudget1m?: number;
  /** Orders per 10 s and per minute (default 250 of 300, 1000 of 1200). */
  readonly orderBudget10s?: number;
  readonly orderBudget1m?: number;
  /** Told of every 429/418 and of every request the local budget kept back. */
  readonly onThrottle?: (t: Throttle) => void;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** `throttled`, `usedWeight1m`, `orderCount10s|1m`: the budget's counts (shared when the budget is). */
export interface RestStats extends BudgetCounts {
  requests: number;
  /** Requests re-signed and re-sent after -1021. */
  resigned: number;
  timeSyncs: number;
}

export class BinanceRest {
  readonly stats: RestStats;
  /** The weight and order budget (hand it to the ws-fapi client of the same account). */
  readonly budget: RateBudget;
  private readonly o: RestClientOptions;
  private readonly fetchFn: typeof fetch;
  private offsetMs = 0;
  private lastSyncUs = Number.NEGATIVE_INFINITY;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(o: RestClientOptions) {
    this.o = o;
    this.fetchFn = o.fetch ?? fetch;
    if (o.budget !== undefined) {
      this.budget = o.budget;
      this.stats = Object.assign(o.budget.counts, { requests: 0, resigned: 0, timeSyncs: 0 });
    } else {
      this.stats = { requests: 0, resigned: 0, timeSyncs: 0, throttled: 0, usedWeight1m: 0, orderCount10s: 0, orderCount1m: 0 };
      this.budget = new RateBudget(o, this.stats);
    }
    if (o.serverOffsetMs !== undefined) {
      this.offsetMs = o.serverOffsetMs;
      this.lastSyncUs = o.clock.nowUs();
    }
  }

  /** Server time minus our clock, ms (0 until measured). */
  get serverOffsetMs(): number {
    return this.offsetMs;
  }

  /** No request is sent before this time (µs); 0 when not blocked. */
  get blockedUntil(): number {
    return this.budget.blockedUntil;
  }

  /** Server time now, ms (our clock plus the measured offset). */
  serverNowMs(): number {
    return Math.floor(this.o.clock.nowUs() / 1000) + this.offsetMs;
  }

  /** Measures the offset from `GET /fapi/v1/time`: serverTime − the midpoint of send and receive. */
  async syncTime(): Promise<RestOutcome> {
    const t0 = this.o.clock.nowUs();
    const r = await this.request({ method: 'GET', path: '/fapi/v1/time' });
    const t1 = this.o.clock.nowUs();
    if (r.kind === 'ok') {
      const serverTime = (r.body as { serverTime?: unknown }).serverTime;
      if (typeof serverTime === 'number' && Number.isFinite(serverTime)) {
        this.offsetMs = Math.round(serverTime - (t0 + t1) / 2000);
        this.lastSyncUs = t1;
        this.stats.timeSyncs++;
      }
    }
    return r;
  }

  /** Aborts every request in flight (their outcome: unknown) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const c of this.inFlight) c.abort();
  }

  /** One request, with the budget, the timeout and the single -1021 re-sign. */
  async request(spec: RequestSpec): Promise<RestOutcome> {
    if (this.closed) return { kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: 'client closed' };
    const refused = this.checkBudget(spec);
    if (refused !== null) return refused;
    if (spec.signed === true && this.o.clock.nowUs() - this.lastSyncUs > (this.o.timeSyncIntervalMs ?? 600_000) * 1000 && spec.path !== '/fapi/v1/time') {
      // Best effort: a failed sync leaves the old offset; a -1021 below re-measures it.
      await this.syncTime();
    }
    let r = notSent(spec) ?? (await this.once(spec));
    if (r.kind === 'rejected' && r.code === -1021 && spec.signed === true) {
      await this.syncTime();
      // The first attempt was refused (not applied): a re-send the caller has stopped meanwhile is not written.
      const stop = notSent(spec);
      if (stop !== null) return stop;
      this.stats.resigned++;
      r = await this.once(spec);
    }
    return r;
  }

  /** Takes the request's weight and order count from the budget, or says why not now. */
  private checkBudget(spec: RequestSpec): RestOutcome | null {
    const r = this.budget.take(spec.weight ?? 1, spec.order === true, this.offsetMs);
    return r === null ? null : { kind: 'throttled', ...r };
  }

  /** Builds, signs (now), sends and classifies one request. */
  private async once(spec: RequestSpec): Promise<RestOutcome> {
    const what = `${spec.method} ${spec.path}`;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.params ?? {})) params.set(k, String(v));
    const headers: Record<string, string> = {};
    if (spec.signed === true || spec.apiKey === true) {
      if (this.o.signer === undefined) return { kind: 'rejected', status: 0, code: -2015, msg: `${what}: no API key configured` };
      headers['x-mbx-apikey'] = this.o.signer.apiKeyHeader();
    }
    const controller = new AbortController();
    let timedOut = false;
    const timeoutMs = this.o.timeoutMs ?? 5000;
    const timer = this.o.timers.after(timeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
    this.inFlight.add(controller);
    try {
      if (spec.signed === true) {
        params.set('recvWindow', String(this.o.recvWindowMs ?? 5000));
        params.set('timestamp', String(this.serverNowMs()));
      }
      let query = params.toString();
      if (spec.signed === true) query += `&signature=${(this.o.signer as Signer).sign(query)}`;
      const url = `${this.o.baseUrl}${spec.path}${query === '' ? '' : `?${query}`}`;
      this.stats.requests++;
      const res = await this.fetchFn(url, { method: spec.method, headers, signal: controller.signal });
      const text = await res.text();
      this.readLimits(res.headers);
      return this.classify(what, res.status, res.headers, text);
    } catch (e) {
      if (timedOut) return { kind: 'unknown', cause: `${what}: no reply within ${timeoutMs} ms` };
      if (this.closed) return { kind: 'unknown', cause: `${what}: client closed with the request in flight` };
      return { kind: 'unknown', cause: `${what}: ${networkCause(e)}` };
    } finally {
      this.o.timers.cancel(timer);
      this.inFlight.delete(controller);
    }
  }

  private readLimits(h: Headers): void {
    const num = (name: string) => (h.has(name) ? Number(h.get(name)) : undefined);
    this.budget.observe({ weight1m: num('x-mbx-used-weight-1m'), orders10s: num('x-mbx-order-count-10s'), orders1m: num('x-mbx-order-count-1m') });
  }

  private classify(what: string, status: number, h: Headers, text: string): RestOutcome {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const err = body !== null && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'number' ? (body as { code: number; msg?: unknown }) : undefined;
    if (status >= 200 && status < 300) {
      if (body === undefined) return { kind: 'unknown', cause: `${what}: HTTP ${status} with a reply that is not JSON` };
      return { kind: 'ok', status, body };
    }
    const msg = err !== undefined && typeof err.msg === 'string' ? err.msg : text.slice(0, 200);
    if (status === 429 || status === 418) {
      const now = this.o.clock.nowUs();
      const code = err?.code ?? -1003;
      const untilUs = this.budget.block(now, retryAfterUs(now, status, h.get('retry-after'), msg, this.offsetMs), status, code, `${what}: HTTP ${status}: ${msg}`);
      return { kind: 'throttled', untilUs, code, cause: `${what}: HTTP ${status}: ${msg}` };
    }
    if (err !== undefined && !UNKNOWN_OUTCOME_CODES.has(err.code) && ((status >= 400 && status < 500) || (status === 503 && err.code === -1008))) {
      return { kind: 'rejected', status, code: err.code, msg };
    }
    return { kind: 'unknown', cause: `${what}: HTTP ${status}${err !== undefined ? ` code ${err.code}` : ''}: ${msg}` };
  }
}

/** The `throttled` outcome of a request its caller has stopped (`RequestSpec.stopped`), or null to send it. */
export function notSent(spec: { readonly stopped?: () => string | null }): RestOutcome | null {
  const why = spec.stopped?.() ?? null;
  return why === null ? null : { kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: why };
}

/** The network error's code (ECONNRESET, UND_ERR_SOCKET, ...) without the URL (it carries the signature). */
function networkCause(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = cause !== undefined && typeof cause.code === 'string' ? cause.code : undefined;
  if (code !== undefined) return `connection failed (${code})`;
  return (e as Error).name === 'AbortError' ? 'aborted' : 'connection failed';
}
