/**
 * The WebSocket API (`/ws-fapi/v1`, binance-usdm.md §8): `{"id", "method", "params"}` requests,
 * `{"id", "status", "result" | "error", "rateLimits"}` replies with the `id` echoed as sent. Signed
 * methods carry `apiKey`, `timestamp` and `signature` in `params`; the signature is over the other
 * parameters sorted by name. Served: `order.place`, `order.modify`, `order.cancel`, `order.status`,
 * `userDataStream.start|ping|stop`; `session.logon` needs an Ed25519 key (`-4056` for HMAC keys, the
 * only kind served yet). Same order logic and error codes as REST.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { BinanceError, ERR } from './errors.ts';
import type { ExchangeServer, Reply } from './server.ts';
import type { StreamHubOptions } from './stream-hub.ts';
import { FrameDelay, type RequestFault } from './faults.ts';

interface Conn {
  ws: WebSocket;
  rateLimits: boolean;
  timers: NodeJS.Timeout[];
  ip: string;
  /** Replies queued by a latency fault, in order. */
  delay?: FrameDelay;
}

const SIGNED = new Set(['order.place', 'order.modify', 'order.cancel', 'order.status']);

export class WsApi {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly conns = new Set<Conn>();
  private weight = 0;
  private weightMinute = -1;

  constructor(
    private readonly server: ExchangeServer,
    private readonly o: StreamHubOptions = {},
  ) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://local');
    const rateLimits = url.searchParams.get('returnRateLimits') !== 'false';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Conn = { ws, rateLimits, timers: [], ip: req.socket.remoteAddress ?? '' };
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
      this.reply(c, null, c.rateLimits, undefined, new BinanceError(-1102, 'Invalid JSON request.'));
      return;
    }
    const id = msg?.id ?? null;
    let rateLimits = c.rateLimits;
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
      fault = this.server.faults.onRequest({ via: 'ws-api', method, path: '', params, apiKey: params.get('apiKey'), ip: c.ip });
      // A fault's error replaces the reply; the request is carried out first only when the fault says it was applied.
      if (fault === undefined || (fault.error === undefined && fault.drop === undefined) || fault.applied) result = this.call(method, params);
    } catch (e) {
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
    this.reply(c, id, rateLimits, result, error, fault);
  }

  private call(method: string, params: Map<string, string>): Reply {
    const srv = this.server;
    if (SIGNED.has(method)) {
      const acc = srv.auth.verifyWs(params, srv.nowMs());
      const a = srv.ex.account(acc.apiKey);
      if (a === undefined) throw ERR.rejectedApiKey();
      switch (method) {
        case 'order.place':
          return srv.placeOrder(params, a);
        case 'order.modify':
          return srv.modifyOrder(params, a);
        case 'order.cancel':
          return srv.cancelOrder(params, a);
        default: {
          const inst = srv.instrument(params);
          const orderId = params.get('orderId');
          const o = a.orders.find(orderId === undefined ? undefined : Number(orderId), params.get('origClientOrderId'));
          if (o === undefined || o.request.symbol !== inst.symbol) throw ERR.noSuchOrder();
          return { status: 200, body: a.orders.json(o) };
        }
      }
    }
    switch (method) {
      case 'userDataStream.start':
        return { status: 200, body: { listenKey: srv.listenKeys.create(srv.auth.account(params.get('apiKey')).apiKey, srv.ex.nowUs()).key } };
      case 'userDataStream.ping': {
        const acc = srv.auth.account(params.get('apiKey')).apiKey;
        if (!srv.listenKeys.keepAlive(acc, srv.ex.nowUs())) throw ERR.badListenKey();
        return { status: 200, body: { listenKey: srv.listenKeys.ofAccount(acc)!.key } };
      }
      case 'userDataStream.stop':
        srv.listenKeys.delete(srv.auth.account(params.get('apiKey')).apiKey);
        return { status: 200, body: {} };
      case 'session.logon':
        srv.auth.account(params.get('apiKey'));
        throw new BinanceError(-4056, 'HMAC_SHA256 API key is not supported.');
      default:
        throw new BinanceError(-1000, `Unknown method ${JSON.stringify(method)} (served: order.place, order.modify, order.cancel, order.status, userDataStream.start, userDataStream.ping, userDataStream.stop)`);
    }
  }

  private reply(c: Conn, id: unknown, rateLimits: boolean, ok?: Reply, err?: BinanceError, fault?: RequestFault): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    const now = this.server.nowMs();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.weightMinute) {
      this.weightMinute = minute;
      this.weight = 0;
    }
    this.weight++;
    const out: Record<string, unknown> = { id, status: err === undefined ? ok!.status : err.httpStatus };
    if (err === undefined) out.result = ok!.body;
    else out.error = fault?.wsData !== undefined && err === fault.error ? { ...err.body(), data: fault.wsData } : err.body();
    if (rateLimits) out.rateLimits = [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400, count: this.weight }];
    const text = JSON.stringify(out);
    const delayMs = fault?.delayMs ?? 0;
    if (delayMs > 0 || c.delay !== undefined) (c.delay ??= new FrameDelay((t) => c.ws.readyState === WebSocket.OPEN && c.ws.send(t))).push(text, delayMs);
    else c.ws.send(text);
  }
}

