/**
 * The user-data stream client (binance-usdm.md §7, binance-live.md §1): a listenKey from
 * `POST /fapi/v1/listenKey`, a WebSocket on `<wsBase>/private/ws?listenKey=<key>`, a keepalive
 * `PUT` every `keepaliveMs` (30 min), and a REST account snapshot after every (re)connect.
 *
 * Connection states, one table: `idle` → `connecting` (key, socket) → `live`; a gap (a close with
 * or without close frame, a socket error, no pong within `pongTimeoutMs`, `listenKeyExpired`, a
 * failed keepalive) → `reconnecting` (after a backoff) → `connecting`; `stop()` → `stopped` from any
 * state. After `listenKeyExpired` or a failed keepalive the key is dropped and a new one is made
 * (POST returns a new key once the old one has expired); after a plain disconnect the same key is
 * asked for again (POST returns the live key, extended).
 *
 * Events, in the order they happen: `streamState` down at a gap; `streamState` up when a socket
 * opens; after a gap (not at start), the fills the stream missed as TRADE reports, read back from
 * `GET /fapi/v1/userTrades` (from the last trade id seen, or the gap's start) and `GET
 * /fapi/v1/order` per order, with their exact prices and commissions; then `accountSync` once the
 * snapshot (open orders, positions, balances) is read, so the core reconciles before quoting again; `report` for each ORDER_TRADE_UPDATE. ACCOUNT_UPDATE has
 * no event in the venue seam yet (balances and positions come with every `accountSync`; funding
 * settlements need the income endpoint): it is counted.
 *
 * Bounds: reconnect backoff from `backoffMs` doubling to `maxBackoffMs`, reset only by a connection
 * whose account snapshot was read (a socket that opens and drops at once is not a success: a server
 * that accepts and closes gets the backoff, not a POST listenKey + GET openOrders loop that spends
 * the request budget order entry shares). The first gap after a synced connection reconnects at
 * once, later ones back off. At most `maxAttempts` consecutive failed connects or gaps without a
 * snapshot between them, then the stream stays down (reason says so) until `start()` is called
 * again. A failed snapshot is retried while the socket is up, on its own backoff (`backoffMs`
 * doubling to `maxBackoffMs`). `wsBase` must be a ws:// or wss:// URL (checked at construction: a
 * bad one is an error naming the option, never a URL with the listen key in it). `userTrades` is
 * read page by page (1,000 trades each) until a short page. Timers are injected (no ambient time in
 * the adapter).
 */
import WebSocket from 'ws';
import type { Clock } from '../../core/clock.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { ExecutionReport, VenueEvent } from '../../model/venue.ts';
import type { BinanceRest, RestOutcome, Timers } from './rest.ts';
import { accountSyncOf, backfillReports, parseBalances, parseOpenOrders, parseOrderTradeUpdate, parsePositions, type RestOrderForBackfill } from './user-data.ts';

export type UserStreamState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface UserStreamOptions {
  readonly rest: BinanceRest;
  /** `ws://127.0.0.1:8090` or `wss://fstream.binance.com` (the `/private/ws` route is appended). */
  readonly wsBase: string;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly emit: (e: VenueEvent) => void;
  /** Keepalive PUT interval, ms (default 30 min). */
  readonly keepaliveMs?: number;
  /** Client ping interval and pong deadline, ms (default 60 s, 10 s): a TCP drop without close frame is found by them. */
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Reconnect backoff, ms (default 500 → 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Consecutive failed connects before giving up (default 100). */
  readonly maxAttempts?: number;
  /** Socket open deadline, ms (default 10 s). */
  readonly connectTimeoutMs?: number;
}

export interface UserStreamStats {
  connects: number;
  gaps: number;
  rotations: number;
  keepalives: number;
  syncs: number;
  reports: number;
  /** Fills the stream missed in a gap, read back from `userTrades` and delivered as reports. */
  backfilled: number;
  accountUpdates: number;
  /** Payloads that could not be read exactly (skipped, counted). */
  parseErrors: number;
  lastError: string;
}

export class UserStream {
  readonly stats: UserStreamStats = { connects: 0, gaps: 0, rotations: 0, keepalives: 0, syncs: 0, reports: 0, backfilled: 0, accountUpdates: 0, parseErrors: 0, lastError: '' };
  private readonly o: UserStreamOptions;
  private state: UserStreamState = 'idle';
  private key: string | undefined;
  private ws: WebSocket | undefined;
  /** Bumped at every new socket and at stop: callbacks of an older one are ignored. */
  private generation = 0;
  private attempts = 0;
  private backoff: number;
  private timers: unknown[] = [];
  /** The socket generation whose snapshot is being read (-1: none). */
  private syncingGen = -1;
  /** The last trade id seen per symbol (stream reports and backfills): a gap's backfill starts after it. */
  private readonly lastTradeId = new Map<string, number>();
  /** Server time of the first gap since the last account snapshot, ms (0: none): the backfill of a symbol without a known trade starts there. */
  private gapStartMs = 0;
  /** Server time of the first `start()`, ms: the final reconciliation of a symbol without a known trade starts there. */
  private startedMs = 0;
  /** The last wait before a snapshot retry, ms (0: none failed since the last snapshot). */
  private syncBackoff = 0;

  constructor(o: UserStreamOptions) {
    let url: URL | undefined;
    try {
      url = new URL(o.wsBase);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) throw new TypeError(`user stream: the stream base must be a ws:// or wss:// URL, got ${JSON.stringify(o.wsBase)}`);
    this.o = o;
    this.backoff = o.backoffMs ?? 500;
  }

  get connectionState(): UserStreamState {
    return this.state;
  }

  /** The listen key in use (tests compare it across rotations; never logged). */
  get listenKey(): string | undefined {
    return this.key;
  }

  start(): void {
    if (this.state === 'connecting' || this.state === 'live') return;
    if (this.startedMs === 0) this.startedMs = this.o.rest.serverNowMs();
    this.state = 'connecting';
    this.attempts = 0;
    this.backoff = this.o.backoffMs ?? 500;
    void this.connect();
  }

  /** Closes the socket and clears every timer; keeps the key (another session may use it: no DELETE). */
  stop(): void {
    this.state = 'stopped';
    this.generation++;
    this.clearTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) ws.terminate();
  }

  private now(): number {
    return this.o.clock.nowUs();
  }

  private later(f: () => void, ms: number): void {
    const gen = this.generation;
    const h = this.o.timers.after(ms, () => {
      this.timers = this.timers.filter((t) => t !== h);
      if (gen === this.generation) f();
    });
    this.timers.push(h);
  }

  private clearTimers(): void {
    for (const t of this.timers) this.o.timers.cancel(t);
    this.timers = [];
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimers();
    const r = await this.o.rest.request({ method: 'POST', path: '/fapi/v1/listenKey', apiKey: true, weight: 1 });
    if (gen !== this.generation) return;
    const key = r.kind === 'ok' ? (r.body as { listenKey?: unknown }).listenKey : undefined;
    if (typeof key !== 'string' || key === '') return this.retry(`listenKey: ${describe(r)}`);
    this.key = key;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${this.o.wsBase}/private/ws?listenKey=${encodeURIComponent(key)}`, { handshakeTimeout: this.o.connectTimeoutMs ?? 10_000 });
    } catch (e) {
      return this.retry(`connect failed: ${redactKey((e as Error).message)}`);
    }
    this.ws = ws;
    const liveness = { awaitingPong: false };
    let opened = false;
    ws.on('open', () => {
      if (gen !== this.generation) return;
      opened = true;
      this.state = 'live';
      this.stats.connects++;
      this.o.emit({ kind: 'streamState', stream: 'user', up: true, tsUs: this.now(), reason: 'connected' });
      this.scheduleKeepalive(gen);
      this.schedulePing(gen, ws, liveness);
      void this.sync(gen);
    });
    ws.on('message', (data) => {
      if (gen === this.generation) this.onMessage(data.toString());
    });
    ws.on('pong', () => {
      liveness.awaitingPong = false;
    });
    // 'error' is always followed by 'close'; the close decides.
    ws.on('error', (e) => {
      this.stats.lastError = `socket: ${(e as NodeJS.ErrnoException).code ?? redactKey(e.message)}`;
    });
    ws.on('close', (code) => {
      if (gen !== this.generation) return;
      if (opened) this.gap(`closed (${code})`, false);
      else this.retry(`connect failed: ${this.stats.lastError || `close ${code}`}`);
    });
  }

  /** A connect that did not get as far as an open socket: back off and try again (bounded). */
  private retry(why: string): void {
    this.stats.lastError = why;
    this.attempts++;
    const max = this.o.maxAttempts ?? 100;
    if (this.attempts >= max) {
      this.state = 'stopped';
      this.o.emit({ kind: 'streamState', stream: 'user', up: false, tsUs: this.now(), reason: `gave up after ${this.attempts} attempts: ${why}` });
      return;
    }
    this.state = 'reconnecting';
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs ?? 30_000);
    this.later(() => void this.connect(), wait);
  }

  /** The stream lost events (or may have): down, drop the socket, reconnect (rotating the key when it is gone). */
  private gap(reason: string, rotate: boolean): void {
    if (this.state === 'stopped') return;
    this.stats.gaps++;
    this.generation++;
    this.clearTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) ws.terminate();
    if (rotate) {
      this.key = undefined;
      this.stats.rotations++;
    }
    if (this.gapStartMs === 0) this.gapStartMs = this.o.rest.serverNowMs();
    this.o.emit({ kind: 'streamState', stream: 'user', up: false, tsUs: this.now(), reason });
    // Right away after a synced connection; on the backoff when the last one never synced.
    if (this.attempts === 0) {
      this.attempts = 1;
      this.state = 'reconnecting';
      this.later(() => void this.connect(), 0);
    } else this.retry(reason);
  }

  private scheduleKeepalive(gen: number): void {
    this.later(async () => {
      const r = await this.o.rest.request({ method: 'PUT', path: '/fapi/v1/listenKey', apiKey: true, weight: 1 });
      if (gen !== this.generation) return;
      if (r.kind === 'ok') {
        this.stats.keepalives++;
        this.scheduleKeepalive(gen);
      } else this.gap(`keepalive failed: ${describe(r)}`, true);
    }, this.o.keepaliveMs ?? 1_800_000);
  }

  private schedulePing(gen: number, ws: WebSocket, liveness: { awaitingPong: boolean }): void {
    this.later(() => {
      liveness.awaitingPong = true;
      try {
        ws.ping();
      } catch {
        // closed meanwhile: the close handler takes over
      }
      this.later(() => {
        if (liveness.awaitingPong && gen === this.generation) this.gap('no pong', false);
      }, this.o.pongTimeoutMs ?? 10_000);
      this.schedulePing(gen, ws, liveness);
    }, this.o.pingIntervalMs ?? 60_000);
  }

  /** The account snapshot after a (re)connect; retried on the backoff while this socket lives. */
  private async sync(gen: number): Promise<void> {
    // One snapshot per socket at a time; a newer socket's is never held up by an older one's.
    if (this.syncingGen === gen) return;
    this.syncingGen = gen;
    try {
      const symbols = [...this.o.instruments.keys()].sort();
      const orders = await this.o.rest.request({ method: 'GET', path: '/fapi/v1/openOrders', signed: true, weight: 40 });
      const positions = orders.kind === 'ok' ? await this.o.rest.request({ method: 'GET', path: '/fapi/v3/positionRisk', signed: true, weight: 5 }) : orders;
      const balances = positions.kind === 'ok' ? await this.o.rest.request({ method: 'GET', path: '/fapi/v3/balance', signed: true, weight: 5 }) : positions;
      if (gen !== this.generation) return;
      if (orders.kind !== 'ok' || positions.kind !== 'ok' || balances.kind !== 'ok') {
        const bad = [orders, positions, balances].find((r) => r.kind !== 'ok') as RestOutcome;
        this.stats.lastError = `account snapshot: ${describe(bad)}`;
        this.later(() => void this.sync(gen), this.nextSyncBackoff());
        return;
      }
      const sync = accountSyncOf(this.o.rest.serverNowMs() * 1000, symbols, parseOpenOrders(orders.body, this.o.instruments), parsePositions(positions.body, this.o.instruments), parseBalances(balances.body));
      // After a gap (not at start): the fills the stream missed, with their prices and commissions,
      // before the snapshot, so the ledger books them exactly rather than inferring them from it.
      let backfill: ExecutionReport[] = [];
      if (this.gapStartMs > 0 && this.stats.syncs > 0) {
        const b = await this.backfill(symbols);
        if (gen !== this.generation) return;
        if (typeof b === 'string') {
          this.stats.lastError = `trade backfill: ${b}`;
          this.later(() => void this.sync(gen), this.nextSyncBackoff());
          return;
        }
        backfill = b;
      }
      for (const r of backfill) {
        this.stats.backfilled++;
        this.noteTrade(r);
        this.o.emit({ kind: 'report', report: r });
      }
      this.gapStartMs = 0;
      this.stats.syncs++;
      // A connection that got as far as its snapshot: the next gap reconnects at once.
      this.attempts = 0;
      this.backoff = this.o.backoffMs ?? 500;
      this.syncBackoff = 0;
      this.o.emit({ kind: 'accountSync', sync });
    } catch (e) {
      this.stats.parseErrors++;
      this.stats.lastError = `account snapshot: ${(e as Error).message}`;
      if (gen === this.generation) this.later(() => void this.sync(gen), this.o.maxBackoffMs ?? 30_000);
    } finally {
      if (this.syncingGen === gen) this.syncingGen = -1;
    }
  }

  /**
   * The shutdown's last word on fills, once the session's cancels are confirmed (no order of it can
   * fill any more): the trades of every symbol since the last one seen (or since `start()`) are read
   * back from `userTrades` and delivered as reports, whether or not the stream delivered them too
   * (the core drops a duplicate by order and trade id). A fill whose stream message was still on
   * its way, or lost in a gap with no snapshot after it, is booked, not missed. Returns how many
   * reports were delivered, or why it failed (a request refused or unanswered: each is bounded by
   * the REST client's timeout).
   */
  async reconcileTrades(): Promise<number | string> {
    const b = await this.backfill([...this.o.instruments.keys()].sort(), this.startedMs);
    if (typeof b === 'string') {
      this.stats.lastError = `final trade reconciliation: ${b}`;
      return b;
    }
    for (const r of b) {
      this.stats.backfilled++;
      this.noteTrade(r);
      this.o.emit({ kind: 'report', report: r });
    }
    return b.length;
  }

  /** The trades of `symbols` since the last one seen (or `sinceMs`, default a second before the gap's start), as reports; a string when a request failed. */
  private async backfill(symbols: readonly string[], sinceMs = this.gapStartMs - 1_000): Promise<ExecutionReport[] | string> {
    const out: ExecutionReport[] = [];
    for (const symbol of symbols) {
      // Page by page: from the last trade id seen (or the start time), then from the page's last id.
      let last = this.lastTradeId.get(symbol);
      const rows: { id: number; orderId: number }[] = [];
      for (;;) {
        const params: Record<string, string | number> = last !== undefined ? { symbol, fromId: last + 1, limit: TRADES_PAGE } : { symbol, startTime: sinceMs, limit: TRADES_PAGE };
        const trades = await this.o.rest.request({ method: 'GET', path: '/fapi/v1/userTrades', params, signed: true, weight: 5 });
        if (trades.kind !== 'ok') return `GET /fapi/v1/userTrades ${symbol}: ${describe(trades)}`;
        if (!Array.isArray(trades.body) || trades.body.length === 0) break;
        const page = trades.body as { id: number; orderId: number }[];
        let maxId = -1;
        for (const t of page) if (typeof t.id === 'number' && t.id > maxId) maxId = t.id;
        if (maxId < 0) return `GET /fapi/v1/userTrades ${symbol}: trades without an id`;
        rows.push(...page.filter((t) => last === undefined || t.id > last));
        if (page.length < TRADES_PAGE || (last !== undefined && maxId <= last)) break;
        last = maxId;
      }
      if (rows.length === 0) continue;
      const orders = new Map<number, RestOrderForBackfill>();
      for (const t of rows) {
        if (orders.has(t.orderId)) continue;
        const o = await this.o.rest.request({ method: 'GET', path: '/fapi/v1/order', params: { symbol, orderId: t.orderId }, signed: true, weight: 1 });
        if (o.kind !== 'ok') return `GET /fapi/v1/order ${symbol} ${t.orderId}: ${describe(o)}`;
        orders.set(t.orderId, o.body as RestOrderForBackfill);
      }
      try {
        out.push(...backfillReports(symbol, rows, orders, this.o.instruments));
      } catch (e) {
        this.stats.parseErrors++;
        return `${symbol}: ${(e as Error).message}`;
      }
    }
    return out;
  }

  /** The wait before the next snapshot attempt of this socket: `backoffMs` doubling to `maxBackoffMs`. */
  private nextSyncBackoff(): number {
    const base = this.o.backoffMs ?? 500;
    this.syncBackoff = this.syncBackoff === 0 ? base : Math.min(this.syncBackoff * 2, this.o.maxBackoffMs ?? 30_000);
    return this.syncBackoff;
  }

  private noteTrade(r: ExecutionReport): void {
    if (r.tradeId < 0) return;
    const prev = this.lastTradeId.get(r.symbol);
    if (prev === undefined || r.tradeId > prev) this.lastTradeId.set(r.symbol, r.tradeId);
  }

  private onMessage(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.stats.parseErrors++;
      return;
    }
    // Combined-stream frames wrap the payload.
    if (typeof msg.stream === 'string' && typeof msg.data === 'object' && msg.data !== null) msg = msg.data as Record<string, unknown>;
    switch (msg.e) {
      case 'ORDER_TRADE_UPDATE': {
        const r = parseOrderTradeUpdate(msg, this.o.instruments);
        if ('report' in r) {
          this.stats.reports++;
          this.noteTrade(r.report);
          this.o.emit({ kind: 'report', report: r.report });
        } else if ('error' in r) {
          this.stats.parseErrors++;
          this.stats.lastError = `ORDER_TRADE_UPDATE: ${r.error}`;
        }
        return;
      }
      case 'ACCOUNT_UPDATE':
        this.stats.accountUpdates++;
        return;
      case 'listenKeyExpired':
        this.gap('listenKey expired', true);
        return;
      default:
        return; // TRADE_LITE (the ORDER_TRADE_UPDATE follows), ACCOUNT_CONFIG_UPDATE, ...: not needed
    }
  }
}

/** Trades per `userTrades` request (Binance's maximum). */
const TRADES_PAGE = 1000;

/** A message with the listen key of a URL in it replaced (the key is a credential of the account). */
function redactKey(message: string): string {
  return message.replace(/listenKey=[^&\s]*/g, 'listenKey=…');
}

function describe(r: RestOutcome): string {
  switch (r.kind) {
    case 'ok':
      return 'reply without a listenKey';
    case 'rejected':
      return `${r.code} ${r.msg}`;
    case 'unknown':
      return r.cause;
    case 'throttled':
      return `not sent: ${r.cause}`;
  }
}
