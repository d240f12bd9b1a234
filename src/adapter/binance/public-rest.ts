/**
 * The unsigned market-data REST client of `maker record` and `maker live`'s market feed: exchangeInfo (which symbols exist, their tick and step), the clock
 * offset (`/fapi/v1/time`) and depth snapshots (`/fapi/v1/depth?limit=1000`, weight 20), through
 * Node's fetch (undici, keep-alive connections).
 *
 * Weight budget (binance-usdm.md §3): every reply's `X-MBX-USED-WEIGHT-1M` tells the IP's weight
 * used this minute; a request that would take it past `budget` waits for the next minute. A 429 or
 * 418 waits `Retry-After` seconds when the reply has it, else until the next minute, then retries;
 * other failures (network, timeout, 5xx) retry with an exponential backoff (250 ms doubling to
 * `maxBackoffMs`) until `stopped()` or `close()`; a 4xx other than 429/418 is returned to the caller.
 *
 * Every request has a deadline (`timeoutMs`, default 10 s) run on the injected timers; `close()`
 * aborts the requests in flight and the waits in progress (they reject with a `RestError`).
 */
import { ConfigError, MakerError } from '../../core/errors.ts';
import type { InstrumentSpec } from '../../model/instrument.ts';
import { specsFromExchangeInfo } from './exchange-info.ts';
import type { Timers } from './rest.ts';

export class RestError extends MakerError {
  constructor(message: string) {
    super('E_IO', message, { retryable: true, exitCode: 3 });
  }
}

export interface PublicRestOptions {
  base: string;
  /** Weight this client allows itself per minute (default 1200: half of Binance's 2400, leaving room for a trader on the same IP). */
  budget?: number;
  nowUs: () => number;
  /** Timers for the request deadlines and the waits (injected: the adapter reads no ambient time). */
  timers: Timers;
  /** Waits (default: on `timers`); a test may pass a fake. */
  sleep?: (ms: number) => Promise<void>;
  /** Per request, ms (default 10 s). */
  timeoutMs?: number;
  /** Longest backoff between retries of a failed request, ms (default 30 s). */
  maxBackoffMs?: number;
  /** Stops retries (the owner is stopping). */
  stopped?: () => boolean;
  /** Called with each back-off (429/418/network): for the log. */
  onBackoff?: (what: string, waitMs: number) => void;
}

export interface Snapshot {
  text: string;
  lastUpdateId: number;
  tsReceiveUs: number;
}

export class PublicRest {
  usedWeight = 0;
  private usedMinute = -1;
  readonly budget: number;
  /** 429/418 replies seen. */
  throttled = 0;
  requests = 0;

  private closed = false;
  private readonly inFlight = new Set<AbortController>();
  private readonly waits = new Set<{ handle: unknown; done: () => void }>();

  constructor(private readonly o: PublicRestOptions) {
    this.budget = o.budget ?? 1200;
  }

  /** Aborts the requests in flight and the waits in progress; later requests fail at once. */
  close(): void {
    this.closed = true;
    for (const c of this.inFlight) c.abort();
    for (const w of this.waits) {
      this.o.timers.cancel(w.handle);
      w.done();
    }
    this.waits.clear();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.o.sleep !== undefined) return this.o.sleep(ms);
    await new Promise<void>((res) => {
      const w = { handle: undefined as unknown, done: res };
      w.handle = this.o.timers.after(ms, () => {
        this.waits.delete(w);
        res();
      });
      this.waits.add(w);
    });
  }

  private checkOpen(path: string): void {
    if (this.closed || this.o.stopped?.() === true) throw new RestError(`GET ${path}: client closed (stopping)`);
  }

  /** One fetch with the deadline; aborted by `close()`. */
  private async fetchText(path: string): Promise<{ res: Response; text: string }> {
    const controller = new AbortController();
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    let timedOut = false;
    const timer = this.o.timers.after(timeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
    this.inFlight.add(controller);
    try {
      const res = await fetch(`${this.o.base}${path}`, { signal: controller.signal });
      const text = await res.text();
      return { res, text };
    } catch (e) {
      // fetch's own message is "fetch failed": the cause's code (ECONNREFUSED, ENOTFOUND, ...) says why.
      const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
      throw new Error(timedOut ? `no reply within ${timeoutMs} ms` : `${(e as Error).message}${why !== undefined ? ` (${why})` : ''}`);
    } finally {
      this.o.timers.cancel(timer);
      this.inFlight.delete(controller);
    }
  }

  private minuteOf(us: number): number {
    return Math.floor(us / 60_000_000);
  }

  private async waitForWeight(weight: number): Promise<void> {
    const now = this.o.nowUs();
    if (this.minuteOf(now) !== this.usedMinute) return;
    if (this.usedWeight + weight <= this.budget) return;
    const waitMs = Math.ceil(((this.usedMinute + 1) * 60_000_000 - now) / 1000) + 50;
    this.o.onBackoff?.(`weight ${this.usedWeight}/${this.budget} used this minute`, waitMs);
    await this.sleep(waitMs);
  }

  /** GET with the weight budget and the retry rules; returns the body text and the receive time. */
  async get(path: string, weight: number): Promise<{ text: string; tsReceiveUs: number; status: number }> {
    let backoffMs = 250;
    for (;;) {
      this.checkOpen(path);
      await this.waitForWeight(weight);
      this.checkOpen(path);
      let res: Response;
      let text: string;
      try {
        this.requests++;
        ({ res, text } = await this.fetchText(path));
      } catch (e) {
        this.checkOpen(path);
        this.o.onBackoff?.(`GET ${path}: ${(e as Error).message}`, backoffMs);
        await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
        continue;
      }
      const tsReceiveUs = this.o.nowUs();
      const used = Number(res.headers.get('x-mbx-used-weight-1m'));
      if (Number.isFinite(used) && res.headers.has('x-mbx-used-weight-1m')) {
        this.usedWeight = used;
        this.usedMinute = this.minuteOf(tsReceiveUs);
      } else if (this.minuteOf(tsReceiveUs) === this.usedMinute) this.usedWeight += weight;
      else {
        this.usedMinute = this.minuteOf(tsReceiveUs);
        this.usedWeight = weight;
      }
      if (res.status === 429 || res.status === 418) {
        this.throttled++;
        const ra = Number(res.headers.get('retry-after'));
        const waitMs = Number.isFinite(ra) && ra > 0 ? ra * 1000 : Math.ceil(((this.minuteOf(tsReceiveUs) + 1) * 60_000_000 - tsReceiveUs) / 1000) + 50;
        this.o.onBackoff?.(`GET ${path}: HTTP ${res.status}`, waitMs);
        await this.sleep(waitMs);
        continue;
      }
      if (res.status >= 500) {
        this.o.onBackoff?.(`GET ${path}: HTTP ${res.status}`, backoffMs);
        await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
        continue;
      }
      return { text, tsReceiveUs, status: res.status };
    }
  }

  /** The instrument specs of the symbols; an unknown symbol is a ConfigError naming it. */
  async instruments(symbols: readonly string[]): Promise<InstrumentSpec[]> {
    const r = await this.get('/fapi/v1/exchangeInfo', 1);
    if (r.status !== 200) throw new RestError(`GET /fapi/v1/exchangeInfo: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    const specs = specsFromExchangeInfo(JSON.parse(r.text), `${this.o.base}/fapi/v1/exchangeInfo`);
    const bySymbol = new Map(specs.map((s) => [s.symbol, s]));
    const unknown = symbols.filter((s) => !bySymbol.has(s));
    if (unknown.length > 0) {
      throw new ConfigError(`unknown symbol${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: not in ${this.o.base}/fapi/v1/exchangeInfo (${specs.length} symbols listed)`, { field: '--symbols' });
    }
    return symbols.map((s) => bySymbol.get(s)!);
  }

  /** Exchange clock minus ours, µs, from the reply with the shortest round trip of `tries`. */
  async clockOffset(tries = 5): Promise<{ offsetUs: number; rttUs: number }> {
    let best = { offsetUs: 0, rttUs: Infinity };
    for (let i = 0; i < tries; i++) {
      const t0 = this.o.nowUs();
      const r = await this.get('/fapi/v1/time', 1);
      const t1 = r.tsReceiveUs;
      const serverMs = (JSON.parse(r.text) as { serverTime?: unknown }).serverTime;
      if (typeof serverMs !== 'number') throw new RestError(`GET /fapi/v1/time: no serverTime in ${r.text.slice(0, 100)}`);
      const rtt = t1 - t0;
      if (rtt < best.rttUs) best = { offsetUs: Math.round(serverMs * 1000 - (t0 + t1) / 2), rttUs: rtt };
    }
    return best;
  }

  /** A depth snapshot (top `limit` levels, default 1000), exactly as received. */
  async snapshot(symbol: string, limit = 1000): Promise<Snapshot> {
    const r = await this.get(`/fapi/v1/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`, depthWeight(limit));
    if (r.status !== 200) throw new RestError(`GET /fapi/v1/depth ${symbol}: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    let id: unknown;
    try {
      id = (JSON.parse(r.text) as { lastUpdateId?: unknown }).lastUpdateId;
    } catch (e) {
      throw new RestError(`GET /fapi/v1/depth ${symbol}: the reply is not JSON (${(e as Error).message}): ${r.text.slice(0, 100)}`);
    }
    if (typeof id !== 'number') throw new RestError(`GET /fapi/v1/depth ${symbol}: no lastUpdateId`);
    return { text: r.text, lastUpdateId: id, tsReceiveUs: r.tsReceiveUs };
  }
}

/** Request weight of `GET /fapi/v1/depth` by `limit` (binance-usdm.md §3): 2 up to 50, 5 at 100, 10 at 500, 20 at 1000. */
export function depthWeight(limit: number): number {
  return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
}
