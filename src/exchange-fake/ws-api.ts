/**
 * The WebSocket API (`/ws-fapi/v1`, binance-usdm.md §8): `{"id", "method", "params"}` requests,
 * `{"id", "status", "result" | "error", "rateLimits"}` replies with the `id` echoed as sent. Signed
 * methods carry `apiKey`, `timestamp` and `signature` in `params`; the signature is over the other
 * parameters sorted by name (HMAC, Ed25519 or RSA, auth.ts). Served: `order.place`, `order.modify`,
 * `order.cancel`, `order.status`, `account.status|balance|position` (v1: the payloads of REST's
 * /fapi/v2 account, balance, positionRisk; `v2/`: of /fapi/v3), `userDataStream.start|ping|stop`, and `session.logon|status|logout`:
 * logon (Ed25519 keys only, `-4056` for HMAC and RSA keys, as on Binance) authenticates the connection, after
 * which requests may omit `apiKey` and `signature` (their `timestamp` is still checked); a request
 * that carries its own `apiKey` and `signature` is checked with those. Same order logic and error
 * codes as REST.
 * Requests count on the same rate limits as REST (the handshake weighs 5); each reply's
 * `rateLimits` has the counts so far, this request included; a refused request gets 429 / 418 with
 * `error.data.retryAfter` (ms epoch).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { BinanceError, ERR } from './errors.ts';
import type { ExchangeServer, Reply } from './server.ts';
import type { StreamHubOptions } from './stream-hub.ts';
import { RateLimitError, type Usage } from './rate-limits.ts';
import { costOf, WS_API_HANDSHAKE_WEIGHT, WS_API_WEIGHTS } from './rate-weights.ts';
import { FrameDelay, type RequestFault } from './faults.ts';

interface Conn {
  ws: WebSocket;
  ip: string;
  rateLimits: boolean;
  timers: NodeJS.Timeout[];
  connectedSinceMs: number;
  /** The API key `session.logon` authenticated, and when. */
  session: { apiKey: string; sinceMs: number } | null;
  /** Replies queued by a latency fault, in order. */
  delay?: FrameDelay;
}

const SIGNED = new Set(['order.place', 'order.modify', 'order.cancel', 'order.status', 'account.status', 'account.balance', 'account.position']);

export class WsApi {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly conns = new Set<Conn>();

  constructor(
    private readonly server: ExchangeServer,
    private readonly o: StreamHubOptions = {},
  ) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://local');
    const rateLimits = url.searchParams.get('returnRateLimits') !== 'false';
    const ip = req.socket.remoteAddress ?? '';
    try {
      this.server.limits.admit(ip, WS_API_HANDSHAKE_WEIGHT, { weight1m: 0 });
    } catch (e) {
      const err = e instanceof BinanceError ? e : ERR.unknown();
      const body = JSON.stringify(err.body());
      const retry = e instanceof RateLimitError && e.retryAfterS !== undefined ? `Retry-After: ${e.retryAfterS}\r\n` : '';
      socket.end(`HTTP/1.1 ${err.httpStatus} ${err.httpStatus === 418 ? "I'm a teapot" : 'Too Many Requests'}\r\nContent-Type: application/json\r\n${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Conn = { ws, ip, rateLimits, timers: [], connectedSinceMs: this.server.nowMs(), session: null };
      this.conns.add(c);
      const ping = setInterval(() => ws.ping(), this.o.pingIntervalMs ?? 180_000);
      const life = setTimeout(() => this.drop(c, 1000, 'connection lifetime reached'), this.o.maxConnectionMs ?? 86_400_000);
      ping.unref();
      life.unref();
      c.timers.push(ping, life);
      ws.on('message', (data, isBinary) => this.request(c, isBinary ? '' : String(data)));
      ws.on('close', () => this.forget(c));
      ws.on('error', () => this.forget(c));
    });
  }

  close(): void {
    for (const c of this.conns) this.drop(c, 1001, 'server shutting down');
    this.wss.close();
  }

  /** Fault: drops every connection, with a close frame or without (TCP reset); returns how many. */
  disconnectAll(closeFrame: boolean, code: number): number {
    const n = this.conns.size;
    for (const c of [...this.conns]) this.disconnect(c, closeFrame, code);
    return n;
  }

  private disconnect(c: Conn, closeFrame: boolean, code: number): void {
    if (closeFrame) this.drop(c, code, 'fault: disconnect');
    else {
      this.forget(c);
      c.ws.terminate();
    }
  }

  private forget(c: Conn): void {
    if (!this.conns.delete(c)) return;
    c.delay?.close();
    for (const t of c.timers) clearTimeout(t);
  }

  private drop(c: Conn, code: number, reason: string): void {
    this.forget(c);
    c.ws.close(code, reason);
  }

  private request(c: Conn, text: string): void {
    let msg: { id?: unknown; method?: unknown; params?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      const usage: Usage = { weight1m: 0 };
      try {
        this.server.limits.admit(c.ip, 1, usage);
        this.reply(c, null, c.rateLimits, usage, undefined, new BinanceError(-1102, 'Invalid JSON request.'));
      } catch (e) {
        this.reply(c, null, c.rateLimits, usage, undefined, e as BinanceError);
      }
      return;
    }
    const id = msg?.id ?? null;
    let rateLimits = c.rateLimits;
    const usage: Usage = { weight1m: 0 };
    let charged = false;
    let fault: RequestFault | undefined;
    let result: Reply | undefined;
    let error: BinanceError | undefined;
    try {
      if (typeof msg !== 'object' || msg === null || typeof msg.method !== 'string') throw ERR.mandatory('method');
      const raw = msg.params ?? {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw ERR.badParam('params', JSON.stringify(raw));
      const params = new Map<string, string>();
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (v === null || typeof v === 'object') throw ERR.badParam(k, JSON.stringify(v));
        params.set(k, String(v));
      }
      if (params.get('returnRateLimits') === 'false') rateLimits = false;
      const method = msg.method.replace(/^v\d+\//, '');
      // `v2/account.position` answers as REST's v3 positionRisk; no prefix (or `v1/`) as v2.
      const version = Number(/^v(\d+)\//.exec(msg.method)?.[1] ?? '1');
      const cost = costOf(WS_API_WEIGHTS, method, params);
      charged = true;
      this.server.limits.admit(c.ip, cost.weight, usage);
      fault = this.server.faults.onRequest({ via: 'ws-api', method, path: '', params, apiKey: params.get('apiKey'), ip: c.ip });
      // A fault's error replaces the reply; the request is carried out first only when the fault says it was applied.
      if (fault === undefined || (fault.error === undefined && fault.drop === undefined) || fault.applied) result = this.call(c, method, version, params, usage, cost);
    } catch (e) {
      // Before the weight was charged (a malformed request), it costs 1.
      if (!charged) {
        try {
          this.server.limits.admit(c.ip, 1, usage);
        } catch (r) {
          e = r;
        }
      }
      error = e instanceof BinanceError ? e : ERR.unknown();
    }
    if (fault?.drop !== undefined) {
      this.disconnect(c, fault.drop.closeFrame, fault.drop.closeCode);
      return;
    }
    if (fault?.error !== undefined) {
      result = undefined;
      error = fault.error;
    }
    this.reply(c, id, rateLimits, usage, result, error, fault);
  }

  private call(c: Conn, method: string, version: number, params: Map<string, string>, usage: Usage, cost: { orders10s: number; orders1m: number }): Reply {
    const srv = this.server;
    if (SIGNED.has(method)) {
      const acc = srv.auth.verifyWs(params, srv.nowMs(), c.session?.apiKey);
      const a = srv.ex.account(acc.apiKey);
      if (a === undefined) throw ERR.rejectedApiKey();
      if (cost.orders10s > 0 || cost.orders1m > 0) srv.limits.admitOrders(acc.apiKey, cost.orders10s, cost.orders1m, usage);
      switch (method) {
        case 'order.place':
          return srv.placeOrder(params, a);
        case 'order.modify':
          return srv.modifyOrder(params, a);
        case 'order.cancel':
          return srv.cancelOrder(params, a);
        // The account methods answer with REST's payloads: v1 as /fapi/v2/..., v2 as /fapi/v3/... (the
        // same for account and balance here; positions: every symbol, or the open ones only).
        case 'account.status':
          return { status: 200, body: srv.accountInfo(a) };
        case 'account.balance':
          return { status: 200, body: srv.balances(a) };
        case 'account.position':
          return { status: 200, body: srv.positionRisk(a, params.get('symbol'), version >= 2) };
        default: {
          const inst = srv.instrument(params);
          const orderId = params.get('orderId');
          const o = a.orders.find(orderId === undefined ? undefined : Number(orderId), params.get('origClientOrderId'));
          if (o === undefined || o.request.symbol !== inst.symbol) throw ERR.noSuchOrder();
          return { status: 200, body: a.orders.json(o) };
        }
      }
    }
    // USER_STREAM methods need the API key only: the request's, else the session's.
    const keyOnly = () => srv.auth.account(params.get('apiKey') ?? c.session?.apiKey).apiKey;
    switch (method) {
      case 'userDataStream.start':
        return { status: 200, body: { listenKey: srv.listenKeys.create(keyOnly(), srv.ex.nowUs()).key } };
      case 'userDataStream.ping': {
        const acc = keyOnly();
        if (!srv.listenKeys.keepAlive(acc, srv.ex.nowUs())) throw ERR.badListenKey();
        return { status: 200, body: { listenKey: srv.listenKeys.ofAccount(acc)!.key } };
      }
      case 'userDataStream.stop':
        srv.listenKeys.delete(keyOnly());
        return { status: 200, body: {} };
      case 'session.logon': {
        const acc = srv.auth.account(params.get('apiKey'));
        // Binance: only Ed25519 keys log on; the HMAC message is Binance's, the RSA one follows its pattern.
        if (!srv.auth.isEd25519(acc.apiKey)) throw new BinanceError(-4056, srv.auth.keyType(acc.apiKey) === 'RSA' ? 'RSA API key is not supported.' : 'HMAC_SHA256 API key is not supported.');
        srv.auth.verifyWs(params, srv.nowMs());
        // Logging on again replaces the connection's key (Binance: one key per connection).
        c.session = { apiKey: acc.apiKey, sinceMs: srv.nowMs() };
        return { status: 200, body: this.sessionStatus(c) };
      }
      case 'session.status':
        return { status: 200, body: this.sessionStatus(c) };
      case 'session.logout':
        c.session = null;
        return { status: 200, body: this.sessionStatus(c) };
      default:
        throw new BinanceError(-1000, `Unknown method ${JSON.stringify(method)} (served: order.place, order.modify, order.cancel, order.status, account.status, account.balance, account.position, userDataStream.start, userDataStream.ping, userDataStream.stop, session.logon, session.status, session.logout)`);
    }
  }

  private sessionStatus(c: Conn): Record<string, unknown> {
    return { apiKey: c.session?.apiKey ?? null, authorizedSince: c.session?.sinceMs ?? null, connectedSince: c.connectedSinceMs, returnRateLimits: c.rateLimits, serverTime: this.server.nowMs() };
  }

  private reply(c: Conn, id: unknown, rateLimits: boolean, usage: Usage, ok?: Reply, err?: BinanceError, fault?: RequestFault): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    const out: Record<string, unknown> = { id, status: err === undefined ? ok!.status : err.httpStatus };
    if (err === undefined) out.result = ok!.body;
    else if (err instanceof RateLimitError && err.retryAtMs !== undefined) out.error = { ...err.body(), data: { serverTime: this.server.nowMs(), retryAfter: err.retryAtMs } };
    else out.error = fault?.wsData !== undefined && err === fault.error ? { ...err.body(), data: fault.wsData } : err.body();
    if (rateLimits) out.rateLimits = this.server.limits.wsRateLimits(usage);
    const text = JSON.stringify(out);
    const delayMs = fault?.delayMs ?? 0;
    if (delayMs > 0 || c.delay !== undefined) (c.delay ??= new FrameDelay((t) => c.ws.readyState === WebSocket.OPEN && c.ws.send(t))).push(text, delayMs);
    else c.ws.send(text);
  }
}

