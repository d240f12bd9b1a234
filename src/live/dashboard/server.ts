/**
 * The live dashboard's HTTP server (`maker live --dashboard <port>`, issue 13): one self-contained
 * page, its state over Server-Sent Events, two controls, Prometheus metrics and health probes.
 *
 *   GET  /                 the page (page.html: no bundler, no CDN, a CSP with a per-response nonce)
 *   GET  /events?token=T   SSE: `event: state` snapshots (state.ts), at most every `snapshotMs` (≥ 250)
 *   GET  /api/state        one snapshot (header X-Maker-Token)
 *   POST /api/kill?confirm=yes          the session's kill switch: stop(reason), i.e. cancel every
 *                                       order (and flatten when live.shutdown.flatten), confirmed by
 *                                       query; answers with the confirmed outcome
 *   POST /api/pause?symbol=S&paused=true|false   pause / resume quoting S (journalled: replay matches)
 *   GET  /metrics          Prometheus text format (metrics.ts; no token: bind it to loopback)
 *   GET  /healthz          200 while the process serves
 *   GET  /readyz           200 when the session can trade: running, the market stream up, every book valid,
 *                          the user-data stream up and synced, and order entry up (`live.orderEntry: ws`)
 *
 * Security: bound to 127.0.0.1 unless told otherwise. Controls are POST only and need the token in
 * the `X-Maker-Token` header: a custom header, which a cross-origin page cannot send without a CORS
 * preflight this server never grants; a POST whose `Origin` is not this server's, or whose
 * `Sec-Fetch-Site` says cross-site, is refused too (403), and so is any request whose `Host` is not
 * a loopback name while bound to loopback (DNS rebinding). The token is compared in constant time
 * and never logged. Every control use, and every refusal, is logged.
 *
 * Back-pressure: the trading loop never waits on a browser. Snapshots are built on a timer, off
 * the loop's path; each SSE client holds at most one unsent snapshot (a newer one replaces it while
 * its socket is not drained), and a client blocked longer than `slowClientMs` is disconnected (its
 * EventSource reconnects by itself). At most `maxClients` streams at once (default 16).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TradingCore } from '../../trader/index.ts';
import type { SessionSummary, SessionView } from '../session.ts';
import { liveMetrics, type LiveMetrics } from './metrics.ts';
import { DashboardState } from './state.ts';

/** The part of a `LiveSession` the dashboard drives. */
export interface DashboardTarget {
  view(): SessionView | undefined;
  pause(symbol: string, paused: boolean, who: string): boolean;
  stop(reason: string): Promise<SessionSummary>;
  readonly done: Promise<SessionSummary>;
}

export interface DashboardOptions {
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** The control token; a random one when absent. */
  readonly token?: string;
  readonly wallUs: () => number;
  /** Control uses and refusals (never the token). */
  readonly log: (line: string) => void;
  /** Minimum interval between two snapshots, ms (default and minimum 250). */
  readonly snapshotMs?: number;
  /** SSE streams at once (default 16); more are refused 503. */
  readonly maxClients?: number;
  readonly slowClientMs?: number;
  /** prom-client's process / Node.js metrics (default true). */
  readonly processMetrics?: boolean;
}

export const TOKEN_HEADER = 'x-maker-token';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

interface SseClient {
  readonly res: ServerResponse;
  blocked: boolean;
  blockedSinceMs: number;
  pending: string | null;
}

/** A random control token (24 bytes, hex). */
export function randomToken(): string {
  return randomBytes(24).toString('hex');
}

let pageText: string | undefined;
function page(): string {
  pageText ??= readFileSync(new URL('./page.html', import.meta.url), 'utf8');
  return pageText;
}

export class LiveDashboard {
  readonly state = new DashboardState();
  readonly metrics: LiveMetrics;
  readonly token: string;
  private readonly o: DashboardOptions;
  private readonly host: string;
  private readonly snapshotMs: number;
  private server: Server | undefined;
  private port = 0;
  private target: DashboardTarget | undefined;
  private stopped: SessionSummary | undefined;
  private readonly clients = new Set<SseClient>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private readonly tokenDigest: Buffer;
  /** SSE counters since start (`sseStats`). */
  private readonly sse = { framesWritten: 0, framesCoalesced: 0, slowCut: 0, refused: 0, broadcasts: 0, broadcastMsTotal: 0, broadcastMsMax: 0, lastFrameBytes: 0 };

  constructor(o: DashboardOptions) {
    this.o = o;
    this.host = o.host ?? '127.0.0.1';
    this.snapshotMs = Math.max(250, o.snapshotMs ?? 250);
    this.token = o.token ?? randomToken();
    this.tokenDigest = createHash('sha256').update(this.token).digest();
    this.metrics = liveMetrics(() => this.target?.view(), this.state, o.wallUs, { processMetrics: o.processMetrics });
  }

  /** For `SessionOptions.onTrader`: the dashboard listens to the core's bus. */
  onTrader(core: TradingCore): void {
    this.state.attach(core, () => this.o.wallUs() / 1000);
  }

  /** For `SessionOptions.onLatency`. */
  onLatency(kind: 'tickToOrder' | 'reportToCommand', ms: number): void {
    this.metrics.observe(kind, ms);
  }

  /** The session the controls act on. */
  attach(target: DashboardTarget): void {
    this.target = target;
    void target.done.then((s) => {
      this.stopped = s;
      if (this.state.kill !== null && this.state.kill.result === null) this.state.kill = { ...this.state.kill, state: 'done', result: s.shutdown };
    });
  }

  /** `http://host:port` once listening. */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}`;
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.timer = setInterval(() => this.broadcast(), this.snapshotMs);
    this.timer.unref();
    return this.url;
  }

  /** Sends a last snapshot, ends every stream and closes the server (bounded: 2 s, then connections are cut). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.clients.size > 0) {
      const frame = this.frame();
      for (const c of this.clients) c.res.end(c.blocked ? undefined : frame);
      this.clients.clear();
    }
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), 2000);
      cut.unref();
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  private status(): string {
    if (this.stopped !== undefined) return 'stopped';
    const v = this.target?.view();
    if (v === undefined) return 'starting';
    return v.stopping || this.state.kill !== null ? 'stopping' : 'running';
  }

  private snapshot(): Record<string, unknown> {
    return this.state.snapshot(this.o.wallUs() / 1000, this.target?.view(), this.status(), this.stopped?.shutdown);
  }

  private frame(): string {
    return `id: ${++this.seq}\nevent: state\ndata: ${JSON.stringify(this.snapshot())}\n\n`;
  }

  private broadcast(): void {
    if (this.clients.size === 0) return;
    const t0 = performance.now();
    this.broadcastTo();
    // What the event loop paid for this snapshot (built once, written to every client).
    const ms = performance.now() - t0;
    this.sse.broadcasts++;
    this.sse.broadcastMsTotal += ms;
    if (ms > this.sse.broadcastMsMax) this.sse.broadcastMsMax = ms;
  }

  private broadcastTo(): void {
    const frame = this.frame();
    this.sse.lastFrameBytes = Buffer.byteLength(frame);
    const now = this.o.wallUs() / 1000;
    for (const c of this.clients) {
      if (c.blocked) {
        c.pending = frame; // coalesce: only the newest unsent snapshot is kept
        this.sse.framesCoalesced++;
        if (now - c.blockedSinceMs > (this.o.slowClientMs ?? 10_000)) {
          this.clients.delete(c);
          this.sse.slowCut++;
          c.res.destroy();
        }
        continue;
      }
      this.send(c, frame, now);
    }
  }

  private send(c: SseClient, frame: string, now: number): void {
    this.sse.framesWritten++;
    if (c.res.write(frame)) return;
    c.blocked = true;
    c.blockedSinceMs = now;
    c.res.once('drain', () => {
      c.blocked = false;
      const p = c.pending;
      c.pending = null;
      if (p !== null && this.clients.has(c)) this.send(c, p, this.o.wallUs() / 1000);
    });
  }

  private tokenOk(given: string | undefined | null): boolean {
    if (typeof given !== 'string' || given === '') return false;
    return timingSafeEqual(createHash('sha256').update(given).digest(), this.tokenDigest);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const from = req.socket.remoteAddress ?? '?';
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    const refuse = (code: number, why: string, logIt = true): void => {
      if (logIt) this.o.log(`dashboard: refused ${req.method} ${url.pathname} from ${from}: ${why}`);
      json(res, code, { error: why });
    };
    // DNS rebinding: a loopback-bound dashboard answers loopback host names only.
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK.has(this.host) && !LOOPBACK.has(hostName)) return refuse(403, `Host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name`);
    const path = url.pathname;
    if (req.method === 'POST') {
      req.resume();
      if (path !== '/api/kill' && path !== '/api/pause') return refuse(404, 'no such control');
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse(403, `cross-origin request (Origin ${origin})`);
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(403, `cross-site request (Sec-Fetch-Site ${String(site)})`);
      if (!this.tokenOk(req.headers[TOKEN_HEADER] as string | undefined)) return refuse(403, `missing or wrong token (the ${TOKEN_HEADER} header)`);
      if (path === '/api/kill') return void this.kill(url, res, from);
      return this.pause(url, res, from);
    }
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET, POST');
      return refuse(405, `method ${req.method} not allowed`, false);
    }
    switch (path) {
      case '/':
      case '/index.html': {
        const nonce = randomBytes(16).toString('base64');
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          'X-Frame-Options': 'DENY',
          'Referrer-Policy': 'no-referrer',
        });
        res.end(page().replace('__NONCE__', nonce));
        return;
      }
      case '/events': {
        if (!this.tokenOk(url.searchParams.get('token'))) return refuse(403, 'missing or wrong token (?token=)');
        if (this.clients.size >= (this.o.maxClients ?? 16)) {
          this.sse.refused++;
          return refuse(503, 'too many dashboard streams');
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        res.write('retry: 1000\n\n');
        const c: SseClient = { res, blocked: false, blockedSinceMs: 0, pending: null };
        this.clients.add(c);
        const drop = (): void => void this.clients.delete(c);
        req.on('close', drop);
        res.on('error', drop);
        this.send(c, this.frame(), this.o.wallUs() / 1000);
        return;
      }
      case '/api/state':
        if (!this.tokenOk(req.headers[TOKEN_HEADER] as string | undefined)) return refuse(403, `missing or wrong token (the ${TOKEN_HEADER} header)`);
        return json(res, 200, this.snapshot());
      case '/metrics':
        this.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
            res.end(text);
          },
          (e: unknown) => json(res, 500, { error: `metrics: ${(e as Error).message}` }),
        );
        return;
      case '/healthz':
        return json(res, 200, { ok: true, status: this.status() });
      case '/readyz': {
        const r = this.readiness();
        return json(res, r.ready ? 200 : 503, r);
      }
      default:
        return refuse(404, 'not found', false);
    }
  }

  /**
   * The SSE streams: connected, blocked now (socket not drained), and since start the frames written,
   * the snapshots that replaced an unsent one (a blocked client's), the clients cut for being slow,
   * and the streams refused (over `maxClients`); the broadcasts and the time they took on the event
   * loop (building the snapshot once and writing it to each client), ms; the last frame's size.
   * Bytes buffered per client stay at most the socket's buffer plus one frame: nothing else is queued.
   */
  sseStats(): { clients: number; blocked: number; framesWritten: number; framesCoalesced: number; slowCut: number; refused: number; broadcasts: number; broadcastMsTotal: number; broadcastMsMax: number; lastFrameBytes: number } {
    let blocked = 0;
    for (const c of this.clients) if (c.blocked) blocked++;
    return { clients: this.clients.size, blocked, ...this.sse };
  }

  /**
   * Ready: able to trade. Trading (not starting or stopping), the market stream up and every book
   * valid, the user-data stream up with its account snapshot taken in, and with ws-fapi order entry
   * its connection open (while it is down the core holds: nothing can be placed or cancelled).
   */
  readiness(): { ready: boolean; reasons: string[] } {
    const v = this.target?.view();
    const reasons: string[] = [];
    if (v === undefined) reasons.push('the session has not started trading');
    else {
      if (this.status() !== 'running') reasons.push(`the session is ${this.status()}`);
      if (!v.health.marketUp) reasons.push('the market stream is down');
      for (const s of v.symbols) if (!v.core.book(s).isValid()) reasons.push(`the ${s} book is not valid`);
      if (!v.health.userUp) reasons.push('the user-data stream is down');
      else if (!v.health.accountSynced) reasons.push('the user-data stream awaits its account snapshot');
      if (v.health.orderEntryUp === false) reasons.push(`order entry is down (${v.health.lastOrderEntryDown}): the trader holds until it is back`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  private async kill(url: URL, res: ServerResponse, from: string): Promise<void> {
    if (url.searchParams.get('confirm') !== 'yes') {
      json(res, 400, { error: 'the kill switch needs ?confirm=yes: it stops the session, cancels every open order (and flattens with live.shutdown.flatten)' });
      return;
    }
    const target = this.target;
    if (target === undefined) {
      json(res, 503, { error: 'no session attached yet' });
      return;
    }
    const reason = `dashboard kill switch (${from})`;
    this.o.log(`dashboard: kill switch pressed from ${from}`);
    if (this.state.kill === null) this.state.kill = { state: 'stopping', reason, result: null };
    this.state.control({ t: this.o.wallUs() / 1000, action: 'kill', symbol: null, from, outcome: 'stopping' });
    try {
      const s = await target.stop(reason);
      this.state.kill = { state: 'done', reason: this.state.kill.reason, result: s.shutdown };
      const outcome = s.shutdown.confirmed ? 'confirmed' : `NOT confirmed: ${s.shutdown.detail}`;
      this.state.control({ t: this.o.wallUs() / 1000, action: 'kill', symbol: null, from, outcome });
      this.o.log(`dashboard: kill switch ${outcome}`);
      json(res, 200, { confirmed: s.shutdown.confirmed, exitCode: s.exitCode, shutdown: s.shutdown });
    } catch (e) {
      json(res, 500, { error: `the shutdown failed: ${(e as Error).message}` });
    }
  }

  private pause(url: URL, res: ServerResponse, from: string): void {
    const symbol = url.searchParams.get('symbol') ?? '';
    const p = url.searchParams.get('paused');
    if (p !== 'true' && p !== 'false') return json(res, 400, { error: 'paused must be true or false' });
    const paused = p === 'true';
    const target = this.target;
    if (target === undefined) return json(res, 503, { error: 'no session attached yet' });
    let done: boolean;
    try {
      done = target.pause(symbol, paused, `dashboard ${from}`);
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
    const outcome = done ? (paused ? 'paused' : 'resumed') : 'refused: the session is not trading';
    this.state.control({ t: this.o.wallUs() / 1000, action: paused ? 'pause' : 'resume', symbol, from, outcome });
    if (!done) this.o.log(`dashboard: ${paused ? 'pause' : 'resume'} ${symbol} from ${from} refused: the session is not trading`);
    json(res, done ? 200 : 409, { symbol, paused: done ? paused : null, outcome });
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}
