/**
 * `maker exchange`'s wire: Binance USDⓈ-M REST (`/fapi/...`) on loopback over the local exchange.
 * Every reply is JSON; every error is Binance's `{code, msg}` with its HTTP status; every reply
 * carries `X-MBX-USED-WEIGHT-1M`, order requests also `X-MBX-ORDER-COUNT-10S/1M`, counted and
 * enforced per IP and account as Binance does (rate-limits.ts, weights in rate-weights.ts).
 * A body over 64 KiB is refused (-1000, 413) without reading the rest; a handler that throws
 * something unexpected answers -1000 (500) and the server goes on.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Instrument } from '../model/instrument.ts';
import { addScaled, divRoundHalfEven, formatScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import type { OrderRequest, VenueEvent } from '../model/venue.ts';
import { DEFAULT_LEVERAGE_BRACKETS, FALLBACK_LEVERAGE_BRACKETS } from '../sim-exchange/index.ts';
import { maxNotionalValue, routeAccountConfig } from './account-config.ts';
import { accountUpdates } from './account-update.ts';
import { Authenticator, type ApiAccount } from './auth.ts';
import { bookTicker, DEPTH_LIMITS, depthSnapshot, exchangeInfo } from './encode.ts';
import { BinanceError, ERR } from './errors.ts';
import type { AccountState, LocalExchange } from './local-exchange.ts';
import { StreamHub, type StreamHubOptions } from './stream-hub.ts';
import { ListenKeys } from './user-stream.ts';
import { MarketStreams } from './market-streams.ts';
import { Tickers } from './tickers.ts';
import { MarketHistory } from './market-rest.ts';
import { OrderEndpoints } from './orders-rest.ts';
import { WsApi } from './ws-api.ts';
import { RateLimiter, RateLimitError, type RateLimitOptions, type Usage } from './rate-limits.ts';
import { CORE_WEIGHTS, costOf, type CostEntry } from './rate-weights.ts';
import { FaultInjector, type RequestFault } from './faults.ts';
import type { FaultSpec } from './fault-plan.ts';
import { registerFaultAdmin } from './fault-admin.ts';
import { crossWalletBalance, positionRows } from './position-view.ts';
import { bool, clientOrderId, oneOf, optionalInt, parseParams, priceTicks, qtyLots, required } from './params.ts';

const MAX_BODY = 64 * 1024;

export interface Req {
  method: string;
  path: string;
  query: string;
  body: string;
  /** The body as received, whatever its content type (the admin API reads JSON). */
  rawBody: string;
  params: Map<string, string>;
  apiKey: string | undefined;
  /** The client's address (request weight is counted per IP). */
  ip: string;
  /** The rate-limit counts this request's reply reports (the request included). */
  usage: Usage;
}

export type Reply = { status: number; body: unknown; headers?: Record<string, string> };
export type Handler = (r: Req) => Reply;

export interface ExchangeServerOptions {
  host?: string;
  port?: number;
}

export interface ExchangeServerConfig {
  /** WebSocket streams: server ping interval and connection lifetime (Binance: 3 min, 24 h). */
  streams?: StreamHubOptions;
  /** How long a listen key lives without a keepalive, µs (Binance: 60 min). */
  listenKeyValidityUs?: number;
  /** Request weight and order limits (default: Binance's, enforced). */
  rateLimits?: RateLimitOptions;
  /** Faults to inject (docs/FAULTS.md); `afterMs` counts from `listen()`. */
  faults?: readonly FaultSpec[];
  /** Serves the fault admin API under /admin/ (docs/FAULTS.md). Off by default. */
  admin?: boolean;
}

export class ExchangeServer {
  private readonly server: Server;
  readonly auth: Authenticator;
  private readonly routes = new Map<string, Handler>();
  private readonly closers: (() => void)[] = [];
  readonly limits: RateLimiter;
  /** What each route costs against the limits (`'GET /fapi/v1/depth'` → weight; unlisted: weight 1). */
  readonly costs: Record<string, CostEntry> = { ...CORE_WEIGHTS };

  readonly streams: StreamHub;
  readonly listenKeys: ListenKeys;
  readonly wsApi: WsApi;
  readonly faults: FaultInjector;

  constructor(
    readonly ex: LocalExchange,
    accounts: readonly ApiAccount[],
    config: ExchangeServerConfig = {},
  ) {
    this.auth = new Authenticator(accounts);
    this.limits = new RateLimiter(config.rateLimits ?? {}, () => this.nowMs());
    this.server = createServer((req, res) => this.handle(req, res));
    this.listenKeys = new ListenKeys(config.listenKeyValidityUs);
    this.streams = new StreamHub(ex, this.listenKeys, config.streams);
    this.wsApi = new WsApi(this, config.streams);
    this.faults = new FaultInjector(this, accounts, config.faults);
    this.streams.faults = this.faults;
    this.server.on('upgrade', (req, socket, head) => {
      if (this.faults.refusesConnections()) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/ws-fapi/v1') this.wsApi.upgrade(req, socket, head);
      else this.streams.upgrade(req, socket, head);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => malformedHttp(err, socket));
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.routePublic();
    this.routeSigned();
    const history = new MarketHistory(this);
    history.register();
    // After the history: its kline streams read the klines the history has just built.
    new MarketStreams(ex, this.streams, history);
    new Tickers(ex, this.streams, history).register(this);
    new OrderEndpoints(this).register();
    routeAccountConfig(this);
    accountUpdates(ex, this.streams);
    if (config.admin === true) registerFaultAdmin(this);
  }

  /** Listens on loopback (default port 0: a free one); resolves to the bound port. */
  listen(opts: ExchangeServerOptions = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        this.faults.start();
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, closes idle and open connections; resolves when the server is closed. */
  close(): Promise<void> {
    for (const f of this.closers.splice(0)) f();
    this.faults.close();
    this.streams.close();
    this.wsApi.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Runs `f` when the server closes (endpoint modules clear their timers there). */
  onClose(f: () => void): void {
    this.closers.push(f);
  }

  /** Registers an endpoint (`'GET /fapi/v1/ping'`); endpoint groups live in their own modules and register here. */
  route(key: string, handler: Handler): void {
    if (this.routes.has(key)) throw new Error(`route registered twice: ${key}`);
    this.routes.set(key, handler);
  }

  get httpServer(): Server {
    return this.server;
  }

  /** Server time, ms: the clock requests are checked against (shifted while a clock-skew fault lasts). */
  nowMs(): number {
    return Math.floor(this.ex.nowUs() / 1000) + this.faults.skewMs();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const ip = req.socket.remoteAddress ?? '';
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      if (tooBig) return;
      size += c.length;
      if (size > MAX_BODY) {
        tooBig = true;
        const usage: Usage = { weight1m: 0 };
        let reply: Reply = { status: 413, body: { code: -1000, msg: `Request body over ${MAX_BODY} bytes.` } };
        let retryAfterS: number | undefined;
        try {
          this.limits.admit(ip, 1, usage);
        } catch (e) {
          if (!(e instanceof RateLimitError)) throw e;
          reply = { status: e.httpStatus, body: e.body() };
          retryAfterS = e.retryAfterS;
        }
        this.send(res, reply, usage, retryAfterS);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) return;
      const body = Buffer.concat(chunks).toString('utf8');
      let reply: Reply;
      const usage: Usage = { weight1m: 0 };
      let retryAfterS: number | undefined;
      let fault: RequestFault | undefined;
      try {
        const method = req.method ?? 'GET';
        const key = `${method} ${path}`;
        // A JSON content type with an empty body is what the official connector sends; a form body is parsed.
        const formBody = body !== '' && !(req.headers['content-type'] ?? '').includes('application/json') ? body : '';
        const admin = path.startsWith('/admin/');
        let params: Map<string, string> | undefined;
        let malformed: unknown;
        try {
          // The admin API reads its JSON body itself.
          params = admin ? new Map<string, string>() : parseParams(query, formBody);
        } catch (e) {
          malformed = e;
        }
        // Weight is charged first: a refused or malformed request costs too (1 when its params do not parse). The admin API is free.
        if (!admin) this.limits.admit(ip, params === undefined ? 1 : costOf(this.costs, key, params).weight, usage);
        if (params === undefined) throw malformed;
        const handler = this.routes.get(key);
        if (handler === undefined) throw ERR.notFound(key);
        const header = req.headers['x-mbx-apikey'];
        const apiKey = Array.isArray(header) ? header[0] : header;
        if (!admin) fault = this.faults.onRequest({ via: 'rest', method, path, params, apiKey, ip });
        // A fault's error replaces the reply; the request is carried out first only when the fault says it was applied.
        const carryOut = fault === undefined || (fault.error === undefined && fault.drop === undefined) || fault.applied;
        reply = carryOut ? handler({ method, path, query, body: formBody, rawBody: body, params, apiKey, ip, usage }) : { status: 500, body: null };
      } catch (e) {
        if (e instanceof RateLimitError) retryAfterS = e.retryAfterS;
        reply = e instanceof BinanceError ? { status: e.httpStatus, body: e.body() } : { status: 500, body: ERR.unknown().body() };
      }
      if (fault?.drop !== undefined) {
        req.socket.destroy();
        return;
      }
      if (fault?.error !== undefined) reply = { status: fault.error.httpStatus, body: fault.error.body(), headers: fault.headers };
      const out = reply;
      if (fault !== undefined && fault.delayMs > 0) this.faults.later(() => this.send(res, out, usage, retryAfterS), fault.delayMs);
      else this.send(res, out, usage, retryAfterS);
    });
    req.on('error', () => res.destroy());
  }

  private send(res: ServerResponse, reply: Reply, usage: Usage, retryAfterS?: number): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(usage.weight1m) };
    if (usage.orders10s !== undefined) headers['x-mbx-order-count-10s'] = String(usage.orders10s);
    if (usage.orders1m !== undefined) headers['x-mbx-order-count-1m'] = String(usage.orders1m);
    if (retryAfterS !== undefined) headers['retry-after'] = String(retryAfterS);
    if (reply.headers !== undefined) Object.assign(headers, reply.headers);
    // With its length known the reply goes out in one write, not chunked.
    const body = JSON.stringify(reply.body);
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(reply.status, headers);
    res.end(body);
  }

  instrument(p: Map<string, string>): Instrument {
    const inst = this.ex.instruments.get(required(p, 'symbol'));
    if (inst === undefined) throw ERR.badSymbol();
    return inst;
  }

  private routePublic(): void {
    const r = this.routes;
    r.set('GET /fapi/v1/ping', () => ({ status: 200, body: {} }));
    r.set('GET /fapi/v1/time', () => ({ status: 200, body: { serverTime: this.nowMs() } }));
    r.set('GET /fapi/v1/exchangeInfo', () => ({ status: 200, body: exchangeInfo(this.ex.instruments.values(), this.nowMs(), this.limits.rateLimits()) }));
    r.set('GET /fapi/v1/depth', ({ params }) => {
      this.ex.pump();
      const inst = this.instrument(params);
      const limit = optionalInt(params, 'limit') ?? 500;
      if (!(DEPTH_LIMITS as readonly number[]).includes(limit)) throw ERR.badParam('limit', String(limit));
      return { status: 200, body: depthSnapshot(this.ex.book(inst.symbol)!, inst, limit, this.nowMs()) };
    });
    r.set('GET /fapi/v1/ticker/bookTicker', ({ params }) => {
      this.ex.pump();
      const now = this.nowMs();
      if (params.get('symbol') === undefined) return { status: 200, body: [...this.ex.instruments.values()].map((i) => bookTicker(this.ex.book(i.symbol)!, i, now)) };
      const inst = this.instrument(params);
      return { status: 200, body: bookTicker(this.ex.book(inst.symbol)!, inst, now) };
    });
  }

  /** Wraps a handler of a SIGNED endpoint: checks key, signature and timestamp, then hands over the account. */
  signed(h: (r: Req, a: AccountState) => Reply): Handler {
    return (r) => {
      const acc = this.auth.verify(r.apiKey, r.query, r.body, r.params, this.nowMs());
      const a = this.ex.account(acc.apiKey);
      if (a === undefined) throw ERR.rejectedApiKey();
      const cost = costOf(this.costs, `${r.method} ${r.path}`, r.params);
      if (cost.orders10s > 0 || cost.orders1m > 0) this.limits.admitOrders(acc.apiKey, cost.orders10s, cost.orders1m, r.usage);
      return h(r, a);
    };
  }

  private routeSigned(): void {
    const r = this.routes;
    // The user data stream's key: API key only, no signature (USER_STREAM).
    r.set('POST /fapi/v1/listenKey', ({ apiKey }) => ({ status: 200, body: { listenKey: this.listenKeys.create(this.auth.account(apiKey).apiKey, this.ex.nowUs()).key } }));
    r.set('PUT /fapi/v1/listenKey', ({ apiKey }) => {
      const acc = this.auth.account(apiKey).apiKey;
      if (!this.listenKeys.keepAlive(acc, this.ex.nowUs())) throw ERR.badListenKey();
      return { status: 200, body: { listenKey: this.listenKeys.ofAccount(acc)!.key } };
    });
    r.set('DELETE /fapi/v1/listenKey', ({ apiKey }) => {
      this.listenKeys.delete(this.auth.account(apiKey).apiKey);
      return { status: 200, body: {} };
    });
    r.set('POST /fapi/v1/order', this.signed(({ params }, a) => this.placeOrder(params, a)));
    r.set('PUT /fapi/v1/order', this.signed(({ params }, a) => this.modifyOrder(params, a)));
    r.set('DELETE /fapi/v1/order', this.signed(({ params }, a) => this.cancelOrder(params, a)));
    r.set('GET /fapi/v1/order', this.signed(({ params }, a) => {
      const inst = this.instrument(params);
      const o = a.orders.find(optionalInt(params, 'orderId'), params.get('origClientOrderId'));
      if (o === undefined || o.request.symbol !== inst.symbol) throw ERR.noSuchOrder();
      return { status: 200, body: a.orders.json(o) };
    }));
    r.set('GET /fapi/v1/openOrders', this.signed(({ params }, a) => {
      const symbol = params.get('symbol');
      if (symbol !== undefined && !this.ex.instruments.has(symbol)) throw ERR.badSymbol();
      return { status: 200, body: a.orders.open(symbol).map((o) => a.orders.json(o)) };
    }));
    r.set('GET /fapi/v1/leverageBracket', this.signed(({ params }) => {
      const symbol = params.get('symbol');
      if (symbol !== undefined && !this.ex.instruments.has(symbol)) throw ERR.badSymbol();
      const out = [...this.ex.instruments.keys()].filter((s) => symbol === undefined || s === symbol).map((s) => leverageBrackets(s));
      return { status: 200, body: symbol === undefined ? out : out[0] };
    }));
    for (const v of ['v2', 'v3']) {
      r.set(`GET /fapi/${v}/balance`, this.signed((_, a) => ({ status: 200, body: this.balances(a) })));
      r.set(`GET /fapi/${v}/account`, this.signed((_, a) => ({ status: 200, body: this.accountInfo(a) })));
      r.set(`GET /fapi/${v}/positionRisk`, this.signed(({ params }, a) => ({ status: 200, body: this.positionRisk(a, params.get('symbol'), v === 'v3') })));
    }
    r.set('DELETE /fapi/v1/allOpenOrders', this.signed(({ params }, a) => {
      const inst = this.instrument(params);
      for (const o of a.orders.open(inst.symbol)) {
        // An order a fault filled first is no longer open: nothing to cancel (no reject either).
        if (!this.faults.beforeCancel(a, o, true)) this.ex.command(a, { kind: 'cancel', symbol: inst.symbol, clientOrderId: o.request.clientOrderId });
      }
      return { status: 200, body: { code: 200, msg: 'The operation of cancel all open order is done.' } };
    }));
  }

  /** Margin assets of the account (those of the served instruments), sorted. */
  private assets(): string[] {
    return [...new Set([...this.ex.instruments.values()].map((i) => i.spec.marginAsset))].sort();
  }

  /** `GET /fapi/v2|v3/balance` (and ws-fapi `account.balance`). */
  balances(a: AccountState): Record<string, unknown>[] {
    this.ex.markToMid(a);
    const now = this.nowMs();
    return this.assets().map((asset) => {
      const s = a.portfolio.accountSnapshot(asset);
      return { accountAlias: 'maker', asset, balance: dec8(s.walletBalance), crossWalletBalance: dec8(crossWalletBalance(this.ex, a, asset)), crossUnPnl: dec8(s.unrealizedPnl), availableBalance: dec8(s.availableBalance), maxWithdrawAmount: dec8(s.availableBalance), marginAvailable: true, updateTime: now };
    });
  }

  /** `GET /fapi/v2|v3/account` (and ws-fapi `account.status`). */
  accountInfo(a: AccountState): Record<string, unknown> {
    this.ex.markToMid(a);
    const now = this.nowMs();
    const assets = this.assets().map((asset) => {
      const s = a.portfolio.accountSnapshot(asset);
      return {
        asset, walletBalance: dec8(s.walletBalance), unrealizedProfit: dec8(s.unrealizedPnl), marginBalance: dec8(s.equity), maintMargin: dec8(s.maintenanceMargin),
        initialMargin: dec8(s.initialMargin), positionInitialMargin: dec8(s.initialMargin), openOrderInitialMargin: '0.00000000', crossWalletBalance: dec8(crossWalletBalance(this.ex, a, asset)),
        crossUnPnl: dec8(s.unrealizedPnl), availableBalance: dec8(s.availableBalance), maxWithdrawAmount: dec8(s.availableBalance), marginAvailable: true, updateTime: now,
      };
    });
    const sum = (k: 'walletBalance' | 'unrealizedProfit' | 'marginBalance' | 'maintMargin' | 'initialMargin' | 'availableBalance' | 'crossWalletBalance') =>
      dec8(formatSum(assets.map((x) => x[k])));
    const positions = [...this.ex.instruments.values()].flatMap((inst) => positionRows(this.ex, a, inst)).map(({ inst, side, p, isolated, isolatedWallet }) => ({
      symbol: inst.symbol, initialMargin: dec8(p.initialMargin), maintMargin: dec8(p.maintenanceMargin), unrealizedProfit: dec8(p.unrealizedPnl), positionInitialMargin: dec8(p.initialMargin),
      openOrderInitialMargin: '0', leverage: String(p.leverage), isolated, entryPrice: p.avgEntryPrice === null ? '0.0' : dec8(p.avgEntryPrice), breakEvenPrice: '0.0',
      maxNotional: maxNotionalValue(inst.symbol, p.leverage), positionSide: side, positionAmt: p.positionQty, notional: signedNotional(p.notional, p.positionLots), isolatedWallet: dec8(isolatedWallet), updateTime: now,
    }));
    return {
      feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: now, multiAssetsMargin: false, tradeGroupId: -1,
      totalInitialMargin: sum('initialMargin'), totalMaintMargin: sum('maintMargin'), totalWalletBalance: sum('walletBalance'), totalUnrealizedProfit: sum('unrealizedProfit'),
      totalMarginBalance: sum('marginBalance'), totalPositionInitialMargin: sum('initialMargin'), totalOpenOrderInitialMargin: '0.00000000', totalCrossWalletBalance: sum('crossWalletBalance'),
      totalCrossUnPnl: sum('unrealizedProfit'), availableBalance: sum('availableBalance'), maxWithdrawAmount: sum('availableBalance'), assets, positions,
    };
  }

  /** `GET /fapi/v2|v3/positionRisk` (and ws-fapi `account.position`): every symbol (v2) or the open positions (v3). */
  positionRisk(a: AccountState, symbol: string | undefined, onlyOpen: boolean): Record<string, unknown>[] {
    if (symbol !== undefined && !this.ex.instruments.has(symbol)) throw ERR.badSymbol();
    this.ex.markToMid(a);
    const now = this.nowMs();
    const out: Record<string, unknown>[] = [];
    for (const inst of this.ex.instruments.values()) {
      if (symbol !== undefined && inst.symbol !== symbol) continue;
      for (const row of positionRows(this.ex, a, inst)) {
        const { p } = row;
        if (onlyOpen && p.positionLots === 0) continue;
        out.push({
          symbol: inst.symbol, positionAmt: p.positionQty, entryPrice: p.avgEntryPrice === null ? '0.0' : dec8(p.avgEntryPrice), breakEvenPrice: '0.0',
          markPrice: p.markPrice === null ? '0.00000000' : dec8(p.markPrice), unRealizedProfit: dec8(p.unrealizedPnl), liquidationPrice: row.liquidationPrice === null ? '0' : dec8(row.liquidationPrice),
          leverage: String(p.leverage), maxNotionalValue: maxNotionalValue(inst.symbol, p.leverage), marginType: row.isolated ? 'isolated' : 'cross', isolatedMargin: dec8(row.isolatedMargin), isAutoAddMargin: 'false', positionSide: row.side,
          notional: signedNotional(p.notional, p.positionLots), isolatedWallet: row.isolated ? dec8(row.isolatedWallet) : '0', initialMargin: dec8(p.initialMargin), maintMargin: dec8(p.maintenanceMargin), updateTime: now,
        });
      }
    }
    return out;
  }

  placeOrder(p: Map<string, string>, a: AccountState): Reply {
    const order = this.orderRequest(p, a);
    const cid = order.clientOrderId;
    this.faults.checkPostOnly(order, a);
    const events = this.ex.command(a, { kind: 'submit', order });
    const refusal = refusalOf(events, cid);
    if (refusal !== undefined) throw refusal;
    const o = a.orders.find(undefined, cid);
    if (o === undefined) throw ERR.unknown();
    return { status: 200, body: a.orders.json(o) };
  }

  /** A new order's parameters checked as Binance checks them (`POST order` and `order/test`), as the request to submit. */
  orderRequest(p: Map<string, string>, a: AccountState): OrderRequest {
    const inst = this.instrument(p);
    const side = oneOf(p, 'side', ['BUY', 'SELL'] as const, ERR.invalidSide);
    const type = oneOf(p, 'type', ['LIMIT', 'MARKET', 'STOP', 'TAKE_PROFIT', 'STOP_MARKET', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'] as const, ERR.invalidOrderType);
    if (type !== 'LIMIT' && type !== 'MARKET') throw ERR.unsupported(`${type} orders are not simulated by the local exchange (conditional orders live in Binance's algo service)`);
    const positionSide = orderPositionSide(p, this.ex.dualSidePosition(a));
    const quantity = qtyLots(inst, required(p, 'quantity'));
    let tif: OrderRequest['timeInForce'] = 'GTC';
    let price = 0;
    if (type === 'LIMIT') {
      tif = oneOf(p, 'timeInForce', ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'] as const, ERR.invalidTif) as OrderRequest['timeInForce'];
      if ((tif as string) === 'GTD') throw ERR.unsupported('timeInForce GTD is not simulated by the local exchange');
      price = priceTicks(inst, required(p, 'price'));
    } else if (p.get('price') !== undefined) throw new BinanceError(-1106, "Parameter 'price' sent when not required.");
    const stp = oneOf(p, 'selfTradePreventionMode', ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const, () => ERR.badParam('selfTradePreventionMode', p.get('selfTradePreventionMode')!), 'EXPIRE_MAKER');
    oneOf(p, 'newOrderRespType', ['ACK', 'RESULT'] as const, () => ERR.badParam('newOrderRespType', p.get('newOrderRespType')!), 'ACK');
    const cid = clientOrderId(p, 'newClientOrderId') ?? generatedClientId();
    const base = { symbol: inst.symbol, clientOrderId: cid, side: side === 'BUY' ? 'buy' : 'sell', type, timeInForce: tif, priceTicks: price, qtyLots: quantity, reduceOnly: bool(p, 'reduceOnly'), selfTradePrevention: stp } as const;
    return positionSide === undefined ? base : { ...base, positionSide };
  }

  cancelOrder(p: Map<string, string>, a: AccountState): Reply {
    const inst = this.instrument(p);
    const orderId = optionalInt(p, 'orderId');
    const cid = p.get('origClientOrderId');
    if (orderId === undefined && cid === undefined) throw ERR.mandatory('orderId');
    const o = a.orders.find(orderId, cid);
    if (o === undefined || o.request.symbol !== inst.symbol) throw ERR.unknownOrder();
    this.faults.beforeCancel(a, o);
    const events = this.ex.command(a, { kind: 'cancel', symbol: inst.symbol, clientOrderId: o.request.clientOrderId });
    const refusal = refusalOf(events, o.request.clientOrderId);
    if (refusal !== undefined) throw refusal;
    return { status: 200, body: a.orders.json(o) };
  }

  modifyOrder(p: Map<string, string>, a: AccountState): Reply {
    const inst = this.instrument(p);
    const orderId = optionalInt(p, 'orderId');
    const cid = p.get('origClientOrderId');
    if (orderId === undefined && cid === undefined) throw ERR.mandatory('orderId');
    const side = oneOf(p, 'side', ['BUY', 'SELL'] as const, ERR.invalidSide);
    const quantity = qtyLots(inst, required(p, 'quantity'));
    const price = priceTicks(inst, required(p, 'price'));
    const o = a.orders.find(orderId, cid);
    if (o === undefined || o.request.symbol !== inst.symbol) throw ERR.noSuchOrder();
    const events = this.ex.command(a, { kind: 'modify', symbol: inst.symbol, clientOrderId: o.request.clientOrderId, side: side === 'BUY' ? 'buy' : 'sell', priceTicks: price, qtyLots: quantity });
    const refusal = refusalOf(events, o.request.clientOrderId);
    if (refusal !== undefined) throw refusal;
    return { status: 200, body: a.orders.json(o) };
  }
}

/**
 * What is not HTTP at all (a bad request line, header or chunk; headers over 16 KiB; a request too
 * slow to arrive) gets a Binance-shaped JSON error before the connection is closed.
 */
function malformedHttp(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, msg] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request headers too large.'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request timed out before it was complete.'] : [400, 'Malformed HTTP request.'];
  const body = JSON.stringify({ code: -1000, msg });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** An exact decimal string at Binance's 8 decimals (half-even). */
export function dec8(s: string): string {
  const d = parseDecimal(s);
  const units = d.scale <= 8 ? d.units * 10n ** BigInt(8 - d.scale) : divRoundHalfEven(d.units, 10n ** BigInt(d.scale - 8));
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(9, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -8)}.${digits.slice(-8)}`;
}

function formatSum(values: string[]): string {
  let acc: ScaledDecimal = { units: 0n, scale: 0 };
  for (const v of values) acc = addScaled(acc, parseDecimal(v));
  return formatScaled(acc.units, acc.scale);
}

/** `GET /fapi/v1/leverageBracket` of one symbol, from the simulated exchange's brackets. */
function leverageBrackets(symbol: string): Record<string, unknown> {
  const tiers = DEFAULT_LEVERAGE_BRACKETS[symbol] ?? FALLBACK_LEVERAGE_BRACKETS;
  let floor = 0;
  return {
    symbol,
    notionalCoef: 1.0,
    brackets: tiers.map((t, i) => {
      const cap = t.notionalCap === '' ? 9.223372036854776e18 : Number(t.notionalCap);
      const b = { bracket: i + 1, initialLeverage: t.initialLeverage, notionalCap: cap, notionalFloor: floor, maintMarginRatio: Number(t.maintMarginRatio), cum: Number(t.cum) };
      floor = cap;
      return b;
    }),
  };
}

/**
 * A new order's `positionSide` against the account's mode: one-way takes BOTH (or none); hedge mode
 * needs LONG or SHORT (Binance -4061 otherwise) and refuses `reduceOnly` (-1106: the side says
 * whether the order opens or closes).
 */
function orderPositionSide(p: Map<string, string>, dual: boolean): 'LONG' | 'SHORT' | undefined {
  const v = p.get('positionSide');
  if (v !== undefined && v !== 'BOTH' && v !== 'LONG' && v !== 'SHORT') throw new BinanceError(-4060, 'Invalid position side.');
  const hedgeSide = v === 'LONG' || v === 'SHORT';
  if (hedgeSide !== dual) throw new BinanceError(-4061, "Order's position side does not match user's setting.");
  if (dual && p.has('reduceOnly')) throw new BinanceError(-1106, "Parameter 'reduceonly' sent when not required.");
  return hedgeSide ? v : undefined;
}

/** Binance's position notional carries the position's sign. */
function signedNotional(notional: string, lots: number): string {
  const n = dec8(notional);
  return lots < 0 && !n.startsWith('-') && Number(n) !== 0 ? `-${n}` : n;
}

/** A request-level refusal among the events a command caused (REJECTED, CANCEL_REJECTED, MODIFY_REJECTED). */
function refusalOf(events: readonly VenueEvent[], clientOrderId: string): BinanceError | undefined {
  for (const e of events) {
    if (e.kind !== 'report' || e.report.clientOrderId !== clientOrderId) continue;
    const r = e.report;
    if (r.errorCode !== 0 && (r.execType === 'REJECTED' || r.execType === 'CANCEL_REJECTED' || r.execType === 'MODIFY_REJECTED')) return new BinanceError(r.errorCode, r.errorMessage);
  }
  return undefined;
}

let nextGenerated = 0;
/** Binance's own ids for orders sent without one look like this (22 characters). */
function generatedClientId(): string {
  nextGenerated++;
  return `maker${Date.now().toString(36)}${nextGenerated.toString(36).padStart(6, '0')}`.slice(0, 22);
}
