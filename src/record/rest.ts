/**
 * The recorder's REST side: exchangeInfo (which symbols exist, their tick and step), the clock
 * offset (`/fapi/v1/time`) and depth snapshots (`/fapi/v1/depth?limit=1000`, weight 20), through
 * Node's fetch (undici, keep-alive connections).
 *
 * Weight budget (binance-usdm.md §3): every reply's `X-MBX-USED-WEIGHT-1M` tells the IP's weight
 * used this minute; a request that would take it past `budget` waits for the next minute. A 429 or
 * 418 waits `Retry-After` seconds when the reply has it, else until the next minute, then retries;
 * other failures (network, 5xx) retry with a bounded exponential backoff.
 */
import { ConfigError, MakerError } from '../core/errors.ts';
import { specsFromExchangeInfo } from '../adapter/binance/index.ts';
import type { InstrumentSpec } from '../model/instrument.ts';

export class RestError extends MakerError {
  constructor(message: string) {
    super('E_IO', message, { retryable: true, exitCode: 3 });
  }
}

export interface RestOptions {
  base: string;
  /** Weight the recorder allows itself per minute (default 1200: half of Binance's 2400, leaving room for a trader on the same IP). */
  budget?: number;
  nowUs: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Stops retries (the recorder is stopping). */
  stopped?: () => boolean;
  /** Called with each back-off (429/418/network): for the log. */
  onBackoff?: (what: string, waitMs: number) => void;
}

export interface Snapshot {
  text: string;
  lastUpdateId: number;
  tsReceiveUs: number;
}

export class RestClient {
  usedWeight = 0;
  private usedMinute = -1;
  readonly budget: number;
  /** 429/418 replies seen. */
  throttled = 0;
  requests = 0;

  constructor(private readonly o: RestOptions) {
    this.budget = o.budget ?? 1200;
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
    await this.o.sleep(waitMs);
  }

  /** GET with the weight budget and the retry rules; returns the body text and the receive time. */
  async get(path: string, weight: number): Promise<{ text: string; tsReceiveUs: number; status: number }> {
    let backoffMs = 250;
    for (;;) {
      if (this.o.stopped?.() === true) throw new RestError(`GET ${path}: recorder stopping`);
      await this.waitForWeight(weight);
      let res: Response;
      let text: string;
      try {
        this.requests++;
        res = await fetch(`${this.o.base}${path}`, { signal: AbortSignal.timeout(10_000) });
        text = await res.text();
      } catch (e) {
        this.o.onBackoff?.(`GET ${path}: ${(e as Error).message}`, backoffMs);
        await this.o.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
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
        await this.o.sleep(waitMs);
        continue;
      }
      if (res.status >= 500) {
        this.o.onBackoff?.(`GET ${path}: HTTP ${res.status}`, backoffMs);
        await this.o.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
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

  /** A depth snapshot (top 1000 levels), exactly as received. */
  async snapshot(symbol: string): Promise<Snapshot> {
    const r = await this.get(`/fapi/v1/depth?symbol=${encodeURIComponent(symbol)}&limit=1000`, 20);
    if (r.status !== 200) throw new RestError(`GET /fapi/v1/depth ${symbol}: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    const id = (JSON.parse(r.text) as { lastUpdateId?: unknown }).lastUpdateId;
    if (typeof id !== 'number') throw new RestError(`GET /fapi/v1/depth ${symbol}: no lastUpdateId`);
    return { text: r.text, lastUpdateId: id, tsReceiveUs: r.tsReceiveUs };
  }
}
