/**
 * The local exchange's WebSocket market streams on the REST server's port, on every path style
 * clients use (binance-live.md §3.2): routed `/public`, `/market`, `/private` or none, × `/ws`,
 * `/ws/<s1>/<s2>` (raw frames) and `/stream?streams=<s1>/<s2>` (combined `{stream, data}` frames);
 * `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` with the request `id` echoed as given; invalid
 * JSON gets `{"error":{"code":3,...}}` and the connection is closed, as on Binance. Server pings
 * every `pingIntervalMs`; a connection is closed (code 1000) after `maxConnectionMs` (24 h on
 * Binance; tests use seconds); a client that does not read (over 8 MiB buffered) is closed (1008).
 * Liquidation orders go out on `<s>@forceOrder` and `!forceOrder@arr`: the replayed ones, and one
 * for each liquidation fill of our own accounts (as Binance publishes every account's).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AggTrade, ForceOrder, MarketEvent } from '../model/events.ts';
import type { VenueEvent } from '../model/venue.ts';
import type { AccountState, LocalExchange } from './local-exchange.ts';
import { ALL_FORCE_ORDERS, DEPTH_SPEEDS_MS, DepthConflater, liquidationForceOrder, parseStreamName, payloadOf } from './streams.ts';
import { orderTradeUpdate, tradeLite, type ListenKeys } from './user-stream.ts';
import { FrameDelay, type FaultInjector } from './faults.ts';

export interface StreamHubOptions {
  pingIntervalMs?: number;
  maxConnectionMs?: number;
  /**
   * Serve `<symbol>@aggTrade` from the market's trades, aggregated as `GET /fapi/v1/aggTrades`
   * aggregates them (consecutive trades of one taker order; published when the aggregate closes):
   * for a market without aggTrades of its own (the synthetic market). Off for a store replay.
   */
  aggTradesFromTrades?: boolean;
}

const MAX_BUFFERED = 8 * 1024 * 1024;
const MAX_STREAMS = 1024;

interface Conn {
  ws: WebSocket;
  combined: boolean;
  streams: Set<string>;
  timers: NodeJS.Timeout[];
  /** A stall fault: nothing is sent (and nothing read) until then, µs. */
  stalledUntilUs?: number;
  /** A latency fault: frames queued in order. */
  delay?: FrameDelay;
}

export class StreamHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly conns = new Set<Conn>();
  /** Stream name → connections subscribed. */
  private readonly subs = new Map<string, Set<Conn>>();
  private readonly symbols: Set<string>;
  /** Conflated depth streams, by stream name (run always, so `pu` chains from the start). */
  private readonly conflaters = new Map<string, DepthConflater>();
  /** Messages sent, for benchmarks and tests. */
  messagesSent = 0;
  /** Streams other modules serve (market-streams.ts): which names, and a hook on each subscription. */
  private readonly providers: { valid(name: string): boolean; subscribed?(name: string): void }[] = [];
  /** Consulted before each message (faults.ts); set by the server. */
  faults: FaultInjector | undefined;

  constructor(
    private readonly ex: LocalExchange,
    private readonly keys: ListenKeys,
    private readonly o: StreamHubOptions = {},
  ) {
    this.symbols = new Set(ex.instruments.keys());
    for (const inst of ex.instruments.values()) {
      for (const [kind, speed] of Object.entries(DEPTH_SPEEDS_MS)) {
        if (speed === 0) continue;
        const name = `${inst.symbol.toLowerCase()}@${kind}`;
        this.conflaters.set(name, new DepthConflater(inst.symbol, inst, speed, (p) => this.publish(name, p)));
      }
    }
    ex.onMarket((e, at) => this.onMarket(e, at));
    ex.onTick((now) => {
      for (const c of this.conflaters.values()) c.tick(now);
      for (const k of this.keys.expire(now)) {
        this.publish(k.key, { e: 'listenKeyExpired', E: Math.floor(now / 1000), listenKey: k.key });
        for (const c of this.subs.get(k.key) ?? []) c.streams.delete(k.key);
        this.subs.delete(k.key);
      }
    });
    ex.onAccountEvent((a, e) => this.onAccountEvent(a, e));
  }

  /** The `<symbol>@depth…` diff stream's conflater at `speedMs` (undefined: no such speed). */
  depthConflater(symbol: string, speedMs: number): DepthConflater | undefined {
    for (const cf of this.conflaters.values()) if (cf.symbol === symbol && cf.speedMs === speedMs) return cf;
    return undefined;
  }

  /** Closes every connection with a close frame (1001 going away). */
  close(): void {
    for (const c of this.conns) this.drop(c, 1001, 'server shutting down');
    this.wss.close();
  }

  get connections(): number {
    return this.conns.size;
  }

  /** An HTTP upgrade on a stream path (the server routes /ws-fapi elsewhere). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://local');
    let path = url.pathname;
    const route = /^\/(public|market|private)(?=\/)/.exec(path);
    if (route !== null) path = path.slice(route[0].length);
    let combined: boolean;
    let initial: string[] = [];
    if (path === '/ws' || path.startsWith('/ws/')) {
      combined = false;
      initial = path.length > 4 ? path.slice(4).split('/').filter((s) => s !== '') : [];
    } else if (path === '/stream') {
      combined = true;
      initial = (url.searchParams.get('streams') ?? '').split('/').filter((s) => s !== '');
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    for (const k of url.searchParams.getAll('listenKey')) initial.push(k);
    // A path segment that is not a stream (ccxt opens /public/ws/0, then subscribes) is ignored.
    const streams = initial.filter((s) => this.valid(s));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, combined, streams));
  }

  private open(ws: WebSocket, combined: boolean, streams: string[]): void {
    const c: Conn = { ws, combined, streams: new Set(), timers: [] };
    this.conns.add(c);
    for (const s of streams) this.subscribe(c, s);
    const ping = setInterval(() => c.stalledUntilUs === undefined && ws.ping(), this.o.pingIntervalMs ?? 180_000);
    ping.unref();
    const life = setTimeout(() => this.drop(c, 1000, 'connection lifetime reached'), this.o.maxConnectionMs ?? 86_400_000);
    life.unref();
    c.timers.push(ping, life);
    ws.on('message', (data, isBinary) => this.control(c, isBinary ? '' : String(data)));
    ws.on('close', () => this.forget(c));
    ws.on('error', () => this.forget(c));
  }

  private control(c: Conn, text: string): void {
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.send(c, { error: { code: 3, msg: `Invalid JSON: ${(e as Error).message}` } });
      this.drop(c, 1003, 'invalid JSON');
      return;
    }
    const id = msg?.id ?? null;
    if (typeof msg !== 'object' || msg === null || typeof msg.method !== 'string') {
      this.send(c, { error: { code: 2, msg: 'Invalid request: missing field `method`' }, id });
      return;
    }
    const params = Array.isArray(msg.params) ? msg.params : [];
    switch (msg.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const bad = params.find((p) => typeof p !== 'string' || !this.valid(p));
        if (bad !== undefined) {
          this.send(c, { error: { code: 2, msg: `Invalid request: unknown stream ${JSON.stringify(bad)} (served: <symbol>@depth[@100ms|@500ms|@0ms], @depth<5|10|20>[@100ms|@500ms], @trade, @aggTrade, @bookTicker, @markPrice[@1s], @forceOrder, @kline_<interval>, @ticker, @miniTicker, !bookTicker, !forceOrder@arr, !ticker@arr, !miniTicker@arr, !markPrice@arr[@1s], of ${[...this.symbols].join(', ')})` }, id });
          return;
        }
        if (msg.method === 'SUBSCRIBE' && c.streams.size + params.length > MAX_STREAMS) {
          this.send(c, { error: { code: 2, msg: `Invalid request: more than ${MAX_STREAMS} streams on one connection` }, id });
          return;
        }
        for (const p of params as string[]) (msg.method === 'SUBSCRIBE' ? this.subscribe(c, p) : this.unsubscribe(c, p));
        this.send(c, { result: null, id });
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        this.send(c, { result: [...c.streams], id });
        return;
      default:
        this.send(c, { error: { code: 2, msg: `Invalid request: unknown method ${JSON.stringify(msg.method)}` }, id });
    }
  }

  /** A market stream we serve, or a live listen key (the user data stream). */
  private valid(name: string): boolean {
    if (name === ALL_FORCE_ORDERS || parseStreamName(name, this.symbols) !== null) return true;
    if (this.providers.some((p) => p.valid(name))) return true;
    const k = this.keys.get(name);
    return k !== undefined && !k.expired;
  }

  /**
   * Pushes an event on an account's user data stream (its live listen key) when anyone listens;
   * `make` builds the payload only then.
   */
  publishUser(apiKey: string, make: () => object | null): void {
    const key = this.keys.ofAccount(apiKey);
    if (key === undefined || !this.subs.get(key.key)?.size) return;
    const data = make();
    if (data !== null) this.publish(key.key, data);
  }

  private onAccountEvent(a: AccountState, e: VenueEvent): void {
    if (e.kind !== 'report') return;
    // One of our accounts liquidated: Binance publishes the liquidation order on the public
    // streams too (unthrottled here; Binance sends only the largest of each symbol per second).
    const liquidation = liquidationForceOrder(e.report, this.ex.instruments.get(e.report.symbol)!);
    if (liquidation !== null) this.publishForceOrder(liquidation, (us) => us);
    const key = this.keys.ofAccount(a.account.apiKey);
    if (key === undefined || !this.subs.get(key.key)?.size) return;
    const r = e.report;
    const inst = this.ex.instruments.get(r.symbol)!;
    const lite = tradeLite(r, inst);
    if (lite !== null) this.publish(key.key, lite);
    const otu = orderTradeUpdate(r, a.orders.find(r.orderId, undefined), inst, inst.spec.marginAsset);
    if (otu !== null) this.publish(key.key, otu);
  }

  private subscribe(c: Conn, name: string): void {
    c.streams.add(name);
    let set = this.subs.get(name);
    if (set === undefined) this.subs.set(name, (set = new Set()));
    set.add(c);
    for (const p of this.providers) if (p.subscribed !== undefined && p.valid(name)) p.subscribed(name);
  }

  /** Adds streams served by another module, which sends their messages with `publishStream`. */
  addProvider(p: { valid(name: string): boolean; subscribed?(name: string): void }): void {
    this.providers.push(p);
  }

  /** Sends a message on a stream to its subscribers (a provider's stream). */
  publishStream(name: string, data: object): void {
    this.publish(name, data);
  }

  private unsubscribe(c: Conn, name: string): void {
    c.streams.delete(name);
    this.subs.get(name)?.delete(c);
  }

  /** Connections subscribed to a stream. */
  subscribers(name: string): number {
    return this.subs.get(name)?.size ?? 0;
  }

  /** Fault: drops the connections whose streams `pick` selects, with a close frame or without (TCP reset); returns how many. */
  disconnectWhere(pick: (streams: ReadonlySet<string>) => boolean, closeFrame: boolean, code: number, reason: string): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (!pick(c.streams)) continue;
      n++;
      if (closeFrame) this.drop(c, code, reason);
      else {
        this.forget(c);
        c.ws.terminate();
      }
    }
    return n;
  }

  /** Fault: the selected connections go silent until `untilUs` (no frames, no pings, nothing read); returns how many. */
  stallWhere(pick: (streams: ReadonlySet<string>) => boolean, untilUs: number): number {
    let n = 0;
    for (const c of this.conns) {
      if (!pick(c.streams)) continue;
      n++;
      c.stalledUntilUs = Math.max(c.stalledUntilUs ?? 0, untilUs);
      c.ws.pause();
    }
    return n;
  }

  /** Ends the stalls due by `nowUs`. */
  resumeStalled(nowUs: number): void {
    for (const c of this.conns) {
      if (c.stalledUntilUs === undefined || c.stalledUntilUs > nowUs) continue;
      c.stalledUntilUs = undefined;
      c.ws.resume();
    }
  }

  private forget(c: Conn): void {
    if (!this.conns.delete(c)) return;
    c.delay?.close();
    for (const t of c.timers) clearTimeout(t);
    for (const s of c.streams) this.subs.get(s)?.delete(c);
  }

  private drop(c: Conn, code: number, reason: string): void {
    this.forget(c);
    // A stalled connection reads again, so the closing handshake can complete.
    if (c.stalledUntilUs !== undefined) c.ws.resume();
    try {
      c.ws.close(code, reason);
    } catch {
      c.ws.terminate();
    }
  }

  private onMarket(e: MarketEvent, at: number): void {
    const sym = e.symbol.toLowerCase();
    if (e.type === 'snapshot') {
      for (const cf of this.conflaters.values()) if (cf.symbol === e.symbol) cf.reset();
      return;
    }
    if (e.type === 'depth') {
      for (const cf of this.conflaters.values()) if (cf.symbol === e.symbol) cf.add(e, at);
      const raw = `${sym}@depth@0ms`;
      if (this.subs.get(raw)?.size) this.publish(raw, payloadOf(e, this.ex.instruments.get(e.symbol)!, (us) => this.ex.mapUs(us))!);
      return;
    }
    if (e.type === 'forceOrder') {
      this.publishForceOrder(e, (us) => this.ex.mapUs(us));
      return;
    }
    const names = e.type === 'markPrice' ? [`${sym}@markPrice`, `${sym}@markPrice@1s`] : [`${sym}@${e.type}`];
    let payload: object | null | undefined;
    for (const name of names) {
      if (!this.subs.get(name)?.size) continue;
      payload ??= payloadOf(e, this.ex.instruments.get(e.symbol)!, (us) => this.ex.mapUs(us));
      if (payload !== null) this.publish(name, payload);
    }
  }

  /** A liquidation order on `<symbol>@forceOrder` and `!forceOrder@arr` (the same payload on both). */
  private publishForceOrder(e: ForceOrder, mapUs: (us: number) => number): void {
    const names = [`${e.symbol.toLowerCase()}@forceOrder`, ALL_FORCE_ORDERS];
    if (!names.some((n) => this.subs.get(n)?.size)) return;
    const payload = payloadOf(e, this.ex.instruments.get(e.symbol)!, mapUs)!;
    for (const name of names) this.publish(name, payload);
  }

  /**
   * An aggregate trade the REST history built from the market's trades (market-rest.ts), published
   * on `<symbol>@aggTrade` when `aggTradesFromTrades` is on: the same ids as `GET /fapi/v1/aggTrades`.
   */
  publishBuiltAggTrade(e: AggTrade): void {
    if (this.o.aggTradesFromTrades !== true) return;
    const name = `${e.symbol.toLowerCase()}@aggTrade`;
    if (!this.subs.get(name)?.size) return;
    const payload = payloadOf(e, this.ex.instruments.get(e.symbol)!, (us) => this.ex.mapUs(us));
    if (payload !== null) this.publish(name, payload);
  }

  private publish(name: string, data: object): void {
    const set = this.subs.get(name);
    if (set === undefined || set.size === 0) return;
    const faults = this.faults;
    if (faults !== undefined && faults.onStreamMessage(name, data)) return;
    const delayMs = faults === undefined ? 0 : faults.frameDelayMs(name);
    let raw: string | undefined;
    let combined: string | undefined;
    for (const c of set) {
      const text = c.combined ? (combined ??= JSON.stringify({ stream: name, data })) : (raw ??= JSON.stringify(data));
      this.send(c, text, delayMs);
    }
  }

  private send(c: Conn, msg: object | string, delayMs = 0): void {
    if (c.stalledUntilUs !== undefined) return;
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    if (delayMs > 0 || c.delay !== undefined) (c.delay ??= new FrameDelay((t) => this.sendNow(c, t))).push(text, delayMs);
    else this.sendNow(c, text);
  }

  private sendNow(c: Conn, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED) {
      this.drop(c, 1008, 'client too slow: over 8 MiB unsent');
      return;
    }
    c.ws.send(text);
    this.messagesSent++;
  }
}
