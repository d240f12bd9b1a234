/**
 * The live market feed of `maker live` (issue 12 "Market feed"): Binance USDⓈ-M market streams and
 * REST depth snapshots → `MarketEvent`s for the trader, in the order it should see them, with the
 * `streamState` events that tell it when a symbol's market data can or cannot be trusted.
 *
 * Wire (binance-usdm.md §0, §6): one combined-stream connection per route (`/public/stream` for
 * depth and bookTicker, `/market/stream` for trade, aggTrade and markPrice), each a `RouteStream`
 * of the Binance adapter (the same code `maker record` runs): stall detection (`stallMs` without a
 * message is a drop), reconnects with a backoff from 250 ms doubling to `maxBackoffMs` (reset once a
 * connection carries 100 messages), and a planned rotation `rotateAfterMs` after a connection opened
 * (before Binance's 24 h cut) WITHOUT a resync: the replacement buffers for `overlapMs`, then takes
 * over, and the overlap is de-duplicated by stream id (`StreamMarks`), so nothing is lost or doubled
 * and the books stay valid. Snapshots: `GET /fapi/v1/depth?symbol=&limit=snapshotLimit` through the
 * adapter's `PublicRest` (weight budget, `restTimeoutMs` per request, 429/418 `Retry-After`, bounded
 * backoff); a reply that fails otherwise is asked again after a backoff doubling to `maxBackoffMs`.
 *
 * Book sync contract (the trader's `MarketBook` runs Binance's algorithm, src/book/sync.ts, and resets
 * at every `streamState` down): per symbol, states
 *   synced → (a route of the symbol drops, or a diff with `pu` ≠ the last `u`) → down;
 *   down: `streamState` down is emitted BEFORE any diff that follows the break, then every diff is
 *   delivered as it arrives (the trader buffers them); at the first diff after the break (its `U`,
 *   `pu` remembered) a snapshot is requested; a snapshot older than that diff (`lastUpdateId` < `U`
 *   and ≠ its `pu`: no delivered diff can bridge it) is dropped and asked again after the backoff
 *   (250 ms doubling to `maxBackoffMs`, shared with failed requests, reset by a delivered snapshot); a
 *   bridgeable one is delivered as a `DepthSnapshot` event (receive time = when it is delivered), so
 *   the trader's buffer bridges it;
 *   → `streamState` up once the snapshot is delivered and every route of the symbol carries
 *   messages again (a route counts as up at its first message after a (re)connect).
 * A new break while down emits down again (the trader drops its buffer) and moves the bridge point.
 * The `pu` check runs on every diff in every state. A drop of the `/market` route also re-syncs the
 * depth book, because the trader invalidates a symbol's book at any down. Without depth
 * (`streams.depth: 'none'`) no snapshot is taken; up follows the routes alone.
 *
 * Receive times: the injected `clockUs()` at each message, never decreasing across the events
 * delivered (a rotation's buffered messages are delivered with at least the last time given).
 * Malformed messages (bad JSON, unknown stream or symbol, a field that fails the adapter's parser)
 * are counted, logged with their reason and dropped. Exceptions thrown by `onMarket` or
 * `onStreamState` are the caller's and propagate.
 *
 * `stop()`: closes every socket with a close frame (1000), cancels every timer, aborts the REST
 * requests in flight; resolves when the sockets are closed. No event is emitted after it is called.
 */
import { ConfigError } from '../core/errors.ts';
import type { DepthDiff, MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { VenueEvent } from '../model/venue.ts';
import {
  messageHead,
  parseBinanceMessage,
  parseDepthSnapshot,
  PublicRest,
  ROUTE_OF,
  RouteStream,
  routeStreams,
  StreamMarks,
  type Route,
  type StreamSelection,
  type Timers,
} from '../adapter/binance/index.ts';
import type { ParseContext } from '../wire/index.ts';
import { wallTimers } from './clock.ts';

type StreamStateEvent = Extract<VenueEvent, { kind: 'streamState' }>;

export interface MarketFeedOptions {
  /** REST base, e.g. http://127.0.0.1:8090 or https://fapi.binance.com. */
  readonly rest: string;
  /** Stream base without route, e.g. ws://127.0.0.1:8090 or wss://fstream.binance.com. */
  readonly ws: string;
  /** symbol → instrument (ticks/lots). */
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly streams: { depth: 'depth' | 'depth@100ms' | 'depth@0ms' | 'none'; bookTicker: boolean; trade: boolean; aggTrade: boolean; markPrice: boolean };
  /** Receive times (wall clock in live), µs. */
  readonly clockUs: () => number;
  /** Every stream event and every REST depth snapshot, in the order they should reach the trader. */
  readonly onMarket: (e: MarketEvent) => void;
  /** stream 'market'; down at a drop, stall or gap, up when the symbol's data flows (and its book can sync) again. */
  readonly onStreamState: (e: StreamStateEvent) => void;
  readonly log?: (line: string) => void;
  /** No message on a route for this long is a drop (default 15 s). */
  readonly stallMs?: number;
  /** Longest reconnect / snapshot-retry backoff, ms (default 30 s). */
  readonly maxBackoffMs?: number;
  /** Planned rotation of a connection, ms after it opened (default 23 h 30 min). */
  readonly rotateAfterMs?: number;
  /** Depth snapshot `limit` (default 1000). */
  readonly snapshotLimit?: number;
  /** Deadline of each REST request, ms (default 10 s). */
  readonly restTimeoutMs?: number;
  /** How long a rotation's replacement buffers before it takes over, ms (default 5 s). */
  readonly overlapMs?: number;
  /** REST weight per minute this feed allows itself (default 1200 of Binance's 2400). */
  readonly weightBudget?: number;
  /** Timers (default Node's, unref'ed). */
  readonly timers?: Timers;
}

export interface MarketFeedStats {
  /** Stream messages received (duplicates and malformed included). */
  messages: number;
  /** Messages already delivered (a rotation's overlap): dropped. */
  duplicates: number;
  /** Route connections that dropped (close frame, cut, stall) and were reconnected. */
  reconnects: number;
  /** Planned rotations (handovers). */
  rotations: number;
  /** Depth diffs whose `pu` was not the last `u` (a missing diff). */
  gaps: number;
  /** Snapshots delivered. */
  snapshots: number;
  /** Snapshots delivered after the first of their symbol. */
  resyncs: number;
  /** Snapshots too old to be bridged by the delivered diffs: dropped and asked again. */
  staleSnapshots: number;
  malformed: number;
  lastError: string;
  /** Per symbol, in the feed's symbol order (the dashboard's per-symbol stream health). */
  symbols: SymbolFeedStats[];
  /** Per connection route (`public`, `market`), in the order they were opened. */
  routes: RouteFeedStats[];
}

/** One symbol's share of the feed. Times are `clockUs()` µs (0: none yet). */
export interface SymbolFeedStats {
  symbol: string;
  /** What the last `streamState` said (null: none yet). */
  up: boolean | null;
  /** Why it is down now (empty when up). */
  down: string[];
  /** Its depth sync: synced | need | inFlight | wait. */
  depth: string;
  /** Messages of this symbol delivered (duplicates and malformed ones not counted). */
  messages: number;
  lastMessageUs: number;
  gaps: number;
  resyncs: number;
  /** Times it went down after being up (a route drop counts for every symbol on it). */
  downs: number;
}

export interface RouteFeedStats {
  route: string;
  /** Connected and carrying messages since its last (re)connect. */
  up: boolean;
  reconnects: number;
  rotations: number;
}

/** Per symbol: why it is down, and where its depth sync stands. */
interface SymbolState {
  readonly symbol: string;
  /** Reasons it is down: `route:public`, `route:market`, `depth` (awaiting a snapshot). Empty: up. */
  readonly down: Map<string, string>;
  /** What the last `streamState` said (undefined: none yet). */
  up: boolean | undefined;
  /** synced | need (a snapshot at the next diff) | inFlight | wait (a retry is scheduled). */
  depth: 'synced' | 'need' | 'inFlight' | 'wait';
  /** `U` and `pu` of the first diff since the last down (-1: none yet): the bridge point. */
  firstU: number;
  firstPu: number;
  /** `u` of the last diff delivered (-1: none since the route (re)connected). */
  lastU: number;
  retryTimer: unknown;
  retryMs: number;
  everSynced: boolean;
  messages: number;
  lastMessageUs: number;
  gaps: number;
  resyncs: number;
  downs: number;
}

const DEPTH_SPEED: Readonly<Record<'depth' | 'depth@100ms' | 'depth@0ms', StreamSelection['depthSpeed']>> = { depth: '250ms', 'depth@100ms': '100ms', 'depth@0ms': '0ms' };

export class LiveMarketFeed {
  private readonly o: MarketFeedOptions;
  private readonly timers: Timers;
  private readonly sel: StreamSelection;
  private readonly rest: PublicRest;
  private readonly routes = new Map<Route, RouteStream>();
  /** Routes that (re)connected and have not carried a message yet. */
  private readonly routeWaiting = new Set<Route>();
  private readonly symbols = new Map<string, SymbolState>();
  private readonly marks = new StreamMarks();
  private readonly ctx: ParseContext;
  private readonly counters: Omit<MarketFeedStats, 'reconnects' | 'rotations' | 'symbols' | 'routes'> = { messages: 0, duplicates: 0, gaps: 0, snapshots: 0, resyncs: 0, staleSnapshots: 0, malformed: 0, lastError: '' };
  private lastDeliveredUs = 0;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(o: MarketFeedOptions) {
    if (o.instruments.size === 0) throw new ConfigError('the market feed needs at least one symbol', { field: 'instruments' });
    const s = o.streams;
    if (!(s.depth in DEPTH_SPEED) && s.depth !== 'none') throw new ConfigError(`unknown depth stream "${String(s.depth)}": one of depth, depth@100ms, depth@0ms, none`, { field: 'streams.depth' });
    if (s.depth === 'none' && !s.bookTicker && !s.trade && !s.aggTrade && !s.markPrice) throw new ConfigError('no market stream selected', { field: 'streams' });
    for (const [sym, inst] of o.instruments) if (inst.symbol !== sym) throw new ConfigError(`instrument ${inst.symbol} is listed under ${sym}`, { field: `instruments.${sym}` });
    this.o = o;
    this.timers = o.timers ?? wallTimers;
    this.sel = { depthSpeed: s.depth === 'none' ? '100ms' : DEPTH_SPEED[s.depth], depth: s.depth !== 'none', bookTicker: s.bookTicker, trade: s.trade, aggTrade: s.aggTrade, markPrice: s.markPrice };
    this.rest = new PublicRest({
      base: o.rest,
      budget: o.weightBudget,
      nowUs: o.clockUs,
      timers: this.timers,
      timeoutMs: o.restTimeoutMs,
      maxBackoffMs: o.maxBackoffMs,
      stopped: () => this.stopping !== undefined,
      onBackoff: (what, ms) => this.log(`REST back-off ${ms} ms: ${what}`),
    });
    for (const sym of o.instruments.keys()) {
      this.symbols.set(sym, { symbol: sym, down: new Map(), up: undefined, depth: 'need', firstU: -1, firstPu: -1, lastU: -1, retryTimer: undefined, retryMs: 250, everSynced: false, messages: 0, lastMessageUs: 0, gaps: 0, resyncs: 0, downs: 0 });
    }
    const instruments = o.instruments;
    this.ctx = {
      file: `${o.ws} market streams`,
      line: 0,
      field: '',
      index: 0,
      instrument(symbol: string) {
        const i = instruments.get(symbol);
        if (i === undefined) throw new ConfigError(`symbol ${symbol} is not one the feed subscribes`, { field: 'data.s' });
        return i;
      },
      skipStream: () => {},
      skipRow: () => {},
      warn: (code, message) => this.log(`warning ${code}: ${message}`),
      receiveTime: () => {},
    };
  }

  get stats(): MarketFeedStats {
    let reconnects = 0;
    let rotations = 0;
    for (const r of this.routes.values()) {
      reconnects += r.counters.reconnects;
      rotations += r.counters.rotations;
    }
    const symbols = [...this.symbols.values()].map((st) => ({ symbol: st.symbol, up: st.up ?? null, down: [...st.down.values()], depth: st.depth, messages: st.messages, lastMessageUs: st.lastMessageUs, gaps: st.gaps, resyncs: st.resyncs, downs: st.downs }));
    const routes = [...this.routes].map(([route, r]) => ({ route, up: !this.routeWaiting.has(route), reconnects: r.counters.reconnects, rotations: r.counters.rotations }));
    return { ...this.counters, reconnects, rotations, symbols, routes };
  }

  private log(line: string): void {
    this.o.log?.(`market feed: ${line}`);
  }

  /** Connects the routes; every symbol is down until its data flows (and its book can sync). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const all = [...this.symbols.keys()];
    const byRoute = routeStreams(all, this.sel);
    for (const route of byRoute.keys()) this.routeWaiting.add(route);
    this.markDown(all, [...byRoute.keys()].map((r) => `route:${r}`), 'starting: connecting the market streams');
    for (const [route, streams] of byRoute) {
      const rs = new RouteStream({
        route,
        url: `${this.o.ws}/${route}/stream?streams=${streams.join('/')}`,
        nowUs: this.o.clockUs,
        timers: this.timers,
        stallMs: this.o.stallMs,
        maxBackoffMs: this.o.maxBackoffMs,
        rotateAfterMs: this.o.rotateAfterMs,
        overlapMs: this.o.overlapMs,
        log: (line) => this.log(line),
        onMessage: (text, ts) => this.message(route, text, ts),
        onDrop: (why, detail) => this.routeDropped(route, why, detail),
      });
      this.routes.set(route, rs);
      rs.start();
    }
  }

  // ---- up / down ----------------------------------------------------------------------------------

  /** The symbols' data cannot be trusted for `keys`: streamState down (always, so the trader resets its book), and a depth re-sync. */
  private markDown(symbols: readonly string[], keys: readonly string[], reason: string): void {
    if (this.stopping !== undefined || symbols.length === 0) return;
    for (const sym of symbols) {
      const st = this.symbols.get(sym)!;
      for (const k of keys) st.down.set(k, reason);
      if (st.up === true) st.downs++;
      if (this.sel.depth !== false) {
        st.down.set('depth', 'awaiting a depth snapshot');
        st.firstU = -1;
        st.firstPu = -1;
        if (st.depth === 'synced') st.depth = 'need';
      }
      st.up = false;
    }
    this.o.onStreamState({ kind: 'streamState', stream: 'market', up: false, tsUs: this.o.clockUs(), symbols: [...symbols], reason });
  }

  /** `key` no longer holds for the symbols; those with no reason left go up (one event). */
  private clearDown(symbols: readonly string[], key: string, reason: string): void {
    const up: string[] = [];
    for (const sym of symbols) {
      const st = this.symbols.get(sym)!;
      if (!st.down.delete(key)) continue;
      if (st.down.size === 0 && st.up !== true) {
        st.up = true;
        up.push(sym);
      }
    }
    if (up.length > 0 && this.stopping === undefined) this.o.onStreamState({ kind: 'streamState', stream: 'market', up: true, tsUs: this.o.clockUs(), symbols: up, reason });
  }

  private routeDropped(route: Route, why: 'disconnect' | 'stall', detail: string): void {
    if (this.stopping !== undefined) return;
    this.counters.lastError = `/${route} ${why}: ${detail}`;
    this.routeWaiting.add(route);
    if (route === ROUTE_OF.depth) for (const st of this.symbols.values()) st.lastU = -1;
    this.markDown([...this.symbols.keys()], [`route:${route}`], `/${route} stream ${why === 'stall' ? 'stalled' : 'dropped'} (${detail})`);
  }

  // ---- messages -----------------------------------------------------------------------------------

  private message(route: Route, text: string, recvUs: number): void {
    if (this.stopping !== undefined) return;
    this.counters.messages++;
    this.ctx.line = this.counters.messages;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return this.malformed(text, `invalid JSON: ${(e as Error).message}`);
    }
    const h = messageHead(msg);
    if (h === null) return;
    if (typeof h === 'string') return this.malformed(text, h);
    if (!this.symbols.has(h.symbol)) return this.malformed(text, `symbol ${h.symbol} is not one the feed subscribes`);
    if (!this.marks.isNew(h)) {
      this.counters.duplicates++;
      return;
    }
    const ts = Math.max(recvUs, this.lastDeliveredUs);
    const out: MarketEvent[] = [];
    try {
      parseBinanceMessage(msg, ts, this.ctx, () => h.symbol, out);
    } catch (e) {
      return this.malformed(text, (e as Error).message);
    }
    this.marks.record(h, ts);
    this.lastDeliveredUs = ts;
    const sym = this.symbols.get(h.symbol)!;
    sym.messages++;
    sym.lastMessageUs = ts;
    if (this.routeWaiting.delete(route)) this.clearDown([...this.symbols.keys()], `route:${route}`, `/${route} stream flowing`);
    for (const e of out) {
      if (e.type === 'depth') this.diff(e);
      else this.o.onMarket(e);
    }
  }

  private diff(d: DepthDiff): void {
    const st = this.symbols.get(d.symbol)!;
    if (st.lastU !== -1 && d.prevFinalUpdateId !== st.lastU) {
      this.counters.gaps++;
      st.gaps++;
      const why = `depth gap ${d.symbol}: pu ${d.prevFinalUpdateId} is not the last u ${st.lastU} (a diff is missing)`;
      this.counters.lastError = why;
      this.log(why);
      this.markDown([d.symbol], [], why);
    }
    st.lastU = d.finalUpdateId;
    if (st.depth !== 'synced' && st.firstU === -1) {
      st.firstU = d.firstUpdateId;
      st.firstPu = d.prevFinalUpdateId;
      if (st.depth === 'need') this.requestSnapshot(st);
    }
    this.o.onMarket(d);
  }

  // ---- snapshots ----------------------------------------------------------------------------------

  private requestSnapshot(st: SymbolState): void {
    st.depth = 'inFlight';
    this.rest.snapshot(st.symbol, this.o.snapshotLimit ?? 1000).then(
      (snap) => this.snapshotArrived(st, snap.text, snap.lastUpdateId),
      (e: unknown) => this.snapshotFailed(st, (e as Error).message),
    );
  }

  private snapshotArrived(st: SymbolState, text: string, lastUpdateId: number): void {
    if (this.stopping !== undefined || st.depth !== 'inFlight') return;
    if (st.firstU === -1) {
      // A down came after the request and no diff since: nothing to check it against; ask at the next diff.
      st.depth = 'need';
      return;
    }
    if (lastUpdateId < st.firstU && lastUpdateId !== st.firstPu) {
      // Older than the first diff the trader holds: no delivered diff can bridge it. Ask again after
      // the backoff (a depth snapshot weighs 20: every 250 ms would spend the minute's budget in 15 s).
      this.counters.staleSnapshots++;
      const wait = this.nextBackoff(st);
      this.log(`snapshot ${st.symbol} lastUpdateId ${lastUpdateId} is older than the first diff since the break (U ${st.firstU}): asked again in ${wait} ms`);
      this.retryLater(st, wait);
      return;
    }
    const ts = Math.max(this.o.clockUs(), this.lastDeliveredUs);
    let ev: MarketEvent;
    try {
      ev = parseDepthSnapshot(JSON.parse(text) as Record<string, unknown>, st.symbol, ts, { ...this.ctx, file: `GET ${this.o.rest}/fapi/v1/depth?symbol=${st.symbol}`, line: 1 }, '');
    } catch (e) {
      return this.snapshotFailed(st, `the snapshot does not parse: ${(e as Error).message}`);
    }
    this.lastDeliveredUs = ts;
    st.depth = 'synced';
    st.retryMs = 250;
    if (st.everSynced) {
      this.counters.resyncs++;
      st.resyncs++;
    }
    st.everSynced = true;
    this.counters.snapshots++;
    this.o.onMarket(ev);
    this.clearDown([st.symbol], 'depth', `depth snapshot ${lastUpdateId} delivered`);
  }

  private snapshotFailed(st: SymbolState, why: string): void {
    if (this.stopping !== undefined || st.depth !== 'inFlight') return;
    this.counters.lastError = `snapshot ${st.symbol}: ${why}`;
    const wait = this.nextBackoff(st);
    this.log(`snapshot ${st.symbol} failed: ${why}; retrying in ${wait} ms`);
    this.retryLater(st, wait);
  }

  /** The wait before the next snapshot request after a stale or failed one; doubles the one after, to `maxBackoffMs` (reset by a delivered snapshot). */
  private nextBackoff(st: SymbolState): number {
    const wait = st.retryMs;
    st.retryMs = Math.min(st.retryMs * 2, this.o.maxBackoffMs ?? 30_000);
    return wait;
  }

  private retryLater(st: SymbolState, ms: number): void {
    st.depth = 'wait';
    st.retryTimer = this.timers.after(ms, () => {
      st.retryTimer = undefined;
      if (this.stopping !== undefined || st.depth !== 'wait') return;
      if (st.firstU !== -1) this.requestSnapshot(st);
      else st.depth = 'need';
    });
  }

  private malformed(text: string, reason: string): void {
    this.counters.malformed++;
    this.counters.lastError = `malformed message: ${reason}`;
    this.log(`malformed message dropped (${reason}): ${text.slice(0, 200).replace(/[\r\n]/g, ' ')}`);
  }

  /** Closes every socket (close frame), cancels every timer, aborts the REST requests in flight; resolves when all is closed. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    for (const st of this.symbols.values()) if (st.retryTimer !== undefined) this.timers.cancel(st.retryTimer);
    this.rest.close();
    this.stopping = Promise.all([...this.routes.values()].map((r) => r.close('stopping'))).then(() => undefined);
    return this.stopping;
  }
}
