/**
 * The ws-fapi client of the live gateway (binance-usdm.md §8, docs/EXCHANGE_ADAPTER_SPEC.md
 * "WebSocket API"): one WebSocket to `/ws-fapi/v1`, `{"id", "method", "params"}` requests and
 * `{"id", "status", "result" | "error", "rateLimits"}` replies matched by `id`.
 *
 * Every request ends in exactly one outcome, never an exception, classified as REST's are
 * (rest.ts, so the gateways give the same events): `ok` (status 2xx with a `result`); `rejected` (a
 * definitive `{code, msg}`: 4xx, or 503 with -1008, and not an unknown-outcome code); `unknown` (no
 * reply within the timeout, the connection dropped with the request outstanding, -1000/-1001/
 * -1006/-1007, any other 5xx, a reply that is not JSON; the request may have been applied and is
 * never re-sent); `throttled` (not sent: the budget is spent, Binance asked us to wait (429/418),
 * the client is closed, or it is not connected).
 *
 * Not connected → refused, never queued: a command held back until a reconnect would reach Binance
 * late with a stale price (and could outlive the OMS's view of it), while a refusal is certainly
 * not applied and the OMS re-decides with fresh data. Commands are refused while connecting,
 * logging on or reconnecting.
 *
 * Signing: every signed request carries `timestamp` (server time from `time`: our clock plus the
 * measured offset) and `recvWindow`; with an HMAC key also `apiKey` and `signature` (HMAC hex over
 * every other parameter sorted by name), signed the moment before the frame is written. With an
 * Ed25519 key the connection logs on once (`session.logon`, signed) and later requests carry no
 * `apiKey` nor `signature`; a logon that fails falls back to signing each request. A `-1021`
 * (timestamp outside recvWindow, a definitive refusal) re-measures the offset (`time.syncTime`) and
 * re-sends once with a new id and timestamp, as REST does (and, as REST, not once the request's
 * `stopped` gate has closed meanwhile).
 *
 * Connection states, one table: `idle` → `connecting` → (`logon`, Ed25519) → `open`; a drop (close
 * with or without close frame, socket error, no pong within `pongTimeoutMs` of a client ping) →
 * `reconnecting` → `connecting` after a backoff (`backoffMs`, doubling per failed connect up to
 * `maxBackoffMs`, reset by an open socket); a connection that drops within `stableAfterMs` of opening
 * counts as a failed connect (its open undone: the backoff goes on doubling, so a server that
 * accepts and closes every socket is not handshaken 4 times a second, 5 weight each, out of the
 * budget REST shares); `maxAttempts` failed connects in a row → `failed`
 * until `start()` again; `close()` → `closed` from any state. A drop makes every outstanding
 * request `unknown`. Request ids are integers, unique over the client's life (so per connection).
 *
 * Rotation (before Binance's 24 h cut): with `rotateAfterMs`, that long after a connection opened
 * a second one is opened beside it (and logged on with an Ed25519 key) while the state stays
 * `open` and requests keep going to the first; once the new one is ready, new requests go to it
 * and the old one is *draining*: its outstanding requests still get their replies (or their
 * timeouts: `unknown`, settled by query, never re-sent), and it is closed with a close frame (1000)
 * as soon as none is left. A new connection that fails is retried after the backoff while the old
 * one serves; should the old one be cut meanwhile, the ordinary reconnect takes over.
 *
 * Rate limits: each request takes its weight (and one order for `order.place|modify`) from the
 * budget (rate-budget.ts; share REST's: Binance counts both on one limit); the connect handshake
 * takes 5; every reply's `rateLimits` raises the counts to Binance's; a 429/418 reply blocks every
 * request until `error.data.retryAfter` (server ms; else the next minute) and tells `onThrottle`; a
 * handshake answered 429/418 blocks requests and the reconnect for its `Retry-After` (at most
 * `HANDSHAKE_RETRY_AFTER_MAX_MS`, 1 h; without one, until the next minute).
 *
 * Time: the injected clock and timers only. Secrets: causes name the method, never a parameter;
 * the signer keeps the keys (sign.ts).
 *
 * Frames (parsed, classified, `rateLimits` read, the signature payload): ws-api-frames.ts, pure.
 */
import WebSocket from 'ws';
import type { Clock } from '../../core/clock.ts';
import { handshakeRetryAfterMs, RateBudget, retryAfterUs, type BudgetOptions } from './rate-budget.ts';
import { notSent, type RestOutcome, type Timers } from './rest.ts';
import type { Signer } from './sign.ts';
import { classify, describe, parseFrame, readRateLimits, wsPayload } from './ws-api-frames.ts';

export type WsApiState = 'idle' | 'connecting' | 'logon' | 'open' | 'reconnecting' | 'failed' | 'closed';

/** Where server time comes from: a `BinanceRest` (its measured offset), or anything alike. */
export interface ServerTime {
  /** Server time now, ms (our clock plus the measured offset). */
  serverNowMs(): number;
  /** Server time minus our clock, ms. */
  readonly serverOffsetMs: number;
  /** Measures the offset again (after a -1021); absent: a -1021 is the refusal. */
  syncTime?(): Promise<unknown>;
}

export interface WsApiClientOptions extends Partial<Omit<BudgetOptions, 'clock'>> {
  /** `ws://127.0.0.1:8090/ws-fapi/v1` or `wss://ws-fapi.binance.com/ws-fapi/v1`. */
  readonly url: string;
  readonly signer: Signer;
  readonly time: ServerTime;
  readonly clock: Clock;
  readonly timers: Timers;
  /** The weight and order budget; pass the REST client's (`rest.budget`). Absent: one of its own from the budget options. */
  readonly budget?: RateBudget;
  /** Per request, ms (default 5000). */
  readonly timeoutMs?: number;
  /** `recvWindow` sent with signed requests, ms (default 5000). */
  readonly recvWindowMs?: number;
  /** Socket open deadline, ms (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Client ping interval and pong deadline, ms (default 60 s, 10 s). */
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Reconnect backoff, ms (default 250 doubling to 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Consecutive failed connects before `failed` (default 100). */
  readonly maxAttempts?: number;
  /** A connection that drops sooner than this after opening counts as a failed connect, ms (default 10 000). */
  readonly stableAfterMs?: number;
  /** How long `close()` waits for the server's close frame before dropping the socket, ms (default 2000). */
  readonly closeTimeoutMs?: number;
  /** Replace each connection this long after it opened, before the venue's 24 h cut (see the header), ms; absent: never. */
  readonly rotateAfterMs?: number;
  /** Told of every state change, with the reason (a rotation is told as `open` with its reason). */
  readonly onState?: (state: WsApiState, reason: string) => void;
}

/** One ws-fapi request. `params` are strings (Binance's DECIMALs are JSON strings); `timestamp`, `recvWindow` are added as numbers. */
export interface WsRequestSpec {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  /** SIGNED (TRADE / USER_DATA): `timestamp`, `recvWindow`, and `apiKey` + `signature` unless logged on. */
  readonly signed: boolean;
  readonly weight: number;
  /** Counts against the ORDERS limits. */
  readonly order?: boolean;
  /** Asked before every write (the first, and the re-send after -1021): a reason means not sent (REST's `RequestSpec.stopped`). */
  readonly stopped?: () => string | null;
}

export interface WsApiStats {
  connects: number;
  /** Open connections that dropped (not counting `close()`). */
  drops: number;
  failedConnects: number;
  logons: number;
  requests: number;
  replies: number;
  timeouts: number;
  /** Requests outstanding when their connection dropped or the client closed. */
  aborted: number;
  /** Requests re-signed and re-sent after -1021. */
  resigned: number;
  /** Connections replaced by a rotation (the old one closed after its requests were answered). */
  rotations: number;
  /** New connections of a rotation that failed before taking over (retried). */
  failedRotations: number;
  /** Frames without an outstanding request (a reply after its timeout, `id: null` errors), or not JSON. */
  unmatched: number;
  lastError: string;
}

interface Pending {
  readonly method: string;
  readonly timer: unknown;
  readonly resolve: (r: RestOutcome) => void;
}

interface Conn {
  readonly ws: WebSocket;
  /** The generation it serves (a rotation's new connection gets its generation when it takes over). */
  gen: number;
  readonly pending: Map<number, Pending>;
  /** Logged on with `session.logon`: requests go unsigned. */
  session: boolean;
  opened: boolean;
  awaitingPong: boolean;
  /** When it opened (clock µs), and the failed-connect count and backoff its open reset. */
  openedAtUs?: number;
  attemptsBefore?: number;
  backoffBefore?: number;
}

const HANDSHAKE_WEIGHT = 5;

export class WsApiClient {
  readonly stats: WsApiStats = { connects: 0, drops: 0, failedConnects: 0, logons: 0, requests: 0, replies: 0, timeouts: 0, aborted: 0, resigned: 0, rotations: 0, failedRotations: 0, unmatched: 0, lastError: '' };
  readonly budget: RateBudget;
  private readonly o: WsApiClientOptions;
  private st: WsApiState = 'idle';
  private conn: Conn | undefined;
  /** A rotation's new connection, until it takes over. */
  private standby: Conn | undefined;
  /** A rotated-out connection whose requests are still outstanding. */
  private draining: Conn | undefined;
  private rotateBackoff = 0;
  /** Bumped at every new socket and at close: callbacks of an older one are ignored. */
  private generation = 0;
  private nextId = 0;
  private attempts = 0;
  private backoff: number;
  private timers: unknown[] = [];
  private waiters: (() => void)[] = [];

  constructor(o: WsApiClientOptions) {
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new TypeError(`ws-fapi url ${JSON.stringify(o.url)}: not a URL (want ws://host:port/ws-fapi/v1 or wss://…)`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`ws-fapi url ${JSON.stringify(o.url)}: scheme ${url.protocol} is not ws: or wss:`);
    this.o = o;
    this.budget = o.budget ?? new RateBudget({ ...o, clock: o.clock });
    this.backoff = o.backoffMs ?? 250;
  }

  get state(): WsApiState {
    return this.st;
  }

  /**
   * Connects (again, after `failed`). Resolves when the connection is open (and logged on), or when
   * the first attempts end in `failed` or `closed`: read `state`.
   */
  start(): Promise<void> {
    if (this.st === 'closed') return Promise.resolve();
    const done = new Promise<void>((r) => this.waiters.push(r));
    if (this.st === 'idle' || this.st === 'failed') {
      this.attempts = 0;
      this.backoff = this.o.backoffMs ?? 250;
      this.connect();
    } else if (this.st === 'open') this.wake();
    return done;
  }

  /**
   * Closes: every outstanding request is `unknown` ("client closed with the request in flight"),
   * later requests are refused, the socket is closed with a close frame (1000), dropped if the
   * server does not answer it within `closeTimeoutMs`. Resolves when the socket is closed.
   */
  async close(): Promise<void> {
    if (this.st === 'closed') return;
    this.generation++;
    this.clearTimers();
    const conns = [this.conn, this.draining, this.standby].filter((x): x is Conn => x !== undefined);
    this.conn = undefined;
    this.draining = undefined;
    this.standby = undefined;
    this.setState('closed', 'closed by the client');
    this.wake();
    for (const c of conns) this.abortAll(c, 'client closed with the request in flight');
    await Promise.all(conns.map((c) => this.closeSocket(c, 'client closing')));
  }

  /** Closes a socket with a close frame (1000), dropped if no close comes within `closeTimeoutMs`. */
  private closeSocket(c: Conn, reason: string): Promise<void> {
    if (c.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = this.o.timers.after(this.o.closeTimeoutMs ?? 2000, () => c.ws.terminate());
      c.ws.once('close', () => {
        this.o.timers.cancel(t);
        resolve();
      });
      if (c.ws.readyState === WebSocket.CONNECTING) c.ws.terminate();
      else c.ws.close(1000, reason);
    });
  }

  /** One request; with a signed one, the single -1021 re-sign. Never throws for the network. */
  async request(spec: WsRequestSpec): Promise<RestOutcome> {
    let r = notSent(spec) ?? (await this.send(spec, false));
    if (r.kind === 'rejected' && r.code === -1021 && spec.signed && this.o.time.syncTime !== undefined) {
      await this.o.time.syncTime();
      // Refused the first time (not applied): not re-sent once the caller has stopped meanwhile.
      const stop = notSent(spec);
      if (stop !== null) return stop;
      this.stats.resigned++;
      r = await this.send(spec, true);
    }
    return r;
  }

  private send(spec: WsRequestSpec, again: boolean): Promise<RestOutcome> {
    const now = this.o.clock.nowUs();
    if (this.st === 'closed') return Promise.resolve({ kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: 'client closed' });
    const c = this.conn;
    if (this.st !== 'open' || c === undefined) return Promise.resolve({ kind: 'throttled', untilUs: now, code: 0, cause: `ws-fapi not connected (${this.st})` });
    if (!again) {
      const refused = this.budget.take(spec.weight, spec.order === true, this.o.time.serverOffsetMs);
      if (refused !== null) return Promise.resolve({ kind: 'throttled', ...refused });
    }
    return this.write(c, spec);
  }

  /** Signs (now), writes and waits for the reply or the timeout. */
  private write(c: Conn, spec: WsRequestSpec): Promise<RestOutcome> {
    const id = ++this.nextId;
    const params: Record<string, string | number> = { ...spec.params };
    if (spec.signed) {
      if (!c.session) params.apiKey = this.o.signer.apiKeyHeader();
      params.recvWindow = this.o.recvWindowMs ?? 5000;
      params.timestamp = this.o.time.serverNowMs();
      if (!c.session) params.signature = this.o.signer.signRaw(wsPayload(params));
    }
    const timeoutMs = this.o.timeoutMs ?? 5000;
    return new Promise<RestOutcome>((resolve) => {
      const timer = this.o.timers.after(timeoutMs, () => {
        if (!c.pending.delete(id)) return;
        this.stats.timeouts++;
        resolve({ kind: 'unknown', cause: `${spec.method}: no reply within ${timeoutMs} ms` });
        this.drained(c);
      });
      c.pending.set(id, { method: spec.method, timer, resolve });
      this.stats.requests++;
      // A write that fails is a socket going down: its close makes the request unknown.
      c.ws.send(JSON.stringify({ id, method: spec.method, params }), () => {});
    });
  }

  private connect(): void {
    const gen = ++this.generation;
    this.clearTimers();
    this.discardStandby('the connection it was to replace dropped');
    this.setState('connecting', this.attempts === 0 ? 'connecting' : `attempt ${this.attempts + 1}`);
    const refused = this.budget.take(HANDSHAKE_WEIGHT, false, this.o.time.serverOffsetMs);
    if (refused !== null) {
      // Not an attempt: Binance would refuse it. Wait for the budget.
      this.setState('reconnecting', `handshake not sent: ${refused.cause}`);
      this.later(() => this.connect(), Math.max(1, Math.ceil((refused.untilUs - this.o.clock.nowUs()) / 1000)));
      return;
    }
    const c = this.socket(gen);
    this.conn = c;
    c.ws.on('open', () => {
      if (c.gen !== this.generation || this.conn !== c) return;
      c.opened = true;
      c.openedAtUs = this.o.clock.nowUs();
      c.attemptsBefore = this.attempts;
      c.backoffBefore = this.backoff;
      this.attempts = 0;
      this.backoff = this.o.backoffMs ?? 250;
      this.stats.connects++;
      this.schedulePing(c);
      if (this.o.signer.keyType === 'Ed25519') {
        this.setState('logon', 'logging on');
        void this.logon(c).then((ok) => {
          if (c.gen === this.generation && this.conn === c) this.opened(c, ok ? 'connected, logged on' : 'connected; session.logon failed, each request signed');
        });
      } else this.opened(c, 'connected');
    });
  }

  /**
   * A new socket with the handlers every role shares: frames of the current, a rotation's new or a
   * draining connection are read; a close ends a draining one's drain, or (the current one) makes
   * its requests unknown and reconnects; pongs; errors (a 429/418 handshake blocks the budget). What
   * an open means, and a rotation's failed new connection, are the caller's.
   */
  private socket(gen: number): Conn {
    const ws = new WebSocket(this.o.url, { handshakeTimeout: this.o.connectTimeoutMs ?? 10_000 });
    const c: Conn = { ws, gen, pending: new Map(), session: false, opened: false, awaitingPong: false };
    ws.on('message', (data, isBinary) => {
      if (c === this.conn || c === this.standby || c === this.draining) this.onFrame(c, isBinary ? '' : data.toString());
    });
    ws.on('pong', () => {
      c.awaitingPong = false;
    });
    ws.on('close', (code) => {
      if (c === this.draining) {
        this.draining = undefined;
        this.abortAll(c, `rotated-out connection closed (${code}) with the request in flight`);
        return;
      }
      // The current connection (first or rotated in) dropped: its requests are unknown; reconnect.
      if (this.conn !== c || c.gen !== this.generation) return;
      this.conn = undefined;
      this.clearTimers();
      this.discardStandby(`the connection it was to replace dropped (${code})`);
      this.abortAll(c, `connection closed (${code}) with the request in flight`);
      if (c.opened) {
        this.stats.drops++;
        const livedMs = (this.o.clock.nowUs() - (c.openedAtUs ?? 0)) / 1000;
        if (c.attemptsBefore !== undefined && livedMs < (this.o.stableAfterMs ?? 10_000)) {
          // Dropped at once: its open was not a success; back off as after a failed connect.
          this.attempts = c.attemptsBefore;
          this.backoff = c.backoffBefore ?? this.backoff;
          this.retry(`dropped (${code}) ${Math.round(livedMs)} ms after opening`);
          return;
        }
        this.setState('reconnecting', `dropped (${code})`);
        this.later(() => this.connect(), this.backoff);
      } else this.retry(`connect failed: ${this.stats.lastError || `close ${code}`}`);
    });
    // A handshake answered without the upgrade: a 429/418 blocks every request and the reconnect
    // for its Retry-After (bounded by HANDSHAKE_RETRY_AFTER_MAX_MS; without one, the next minute).
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      const status = res.statusCode ?? 0;
      res.resume();
      this.stats.lastError = `socket: handshake answered HTTP ${status}`;
      if (status === 429 || status === 418) {
        const now = this.o.clock.nowUs();
        const waitMs = handshakeRetryAfterMs(res.headers['retry-after']);
        const until = waitMs !== undefined ? now + waitMs * 1000 : retryAfterUs(now, status, null, '', this.o.time.serverOffsetMs);
        this.stats.lastError += ` (${waitMs !== undefined ? `Retry-After ${waitMs / 1000} s` : 'no Retry-After: the next minute'})`;
        this.budget.block(now, until, status, -1003, `ws-fapi handshake: HTTP ${status}`);
      }
      ws.terminate(); // 'error' and 'close' follow: the close decides
    });
    // 'error' is always followed by 'close'; the close decides.
    ws.on('error', (e) => {
      if (!refused) this.stats.lastError = `socket: ${(e as NodeJS.ErrnoException).code ?? e.message}`;
    });
    return c;
  }

  /** `session.logon` on `c`: true when logged on (later requests unsigned); else each is signed. */
  private async logon(c: Conn): Promise<boolean> {
    this.budget.charge(2, this.o.time.serverOffsetMs); // counted even when over: the connection needs it
    const r = await this.write(c, { method: 'session.logon', params: {}, signed: true, weight: 2 });
    if (r.kind === 'ok') {
      c.session = true;
      this.stats.logons++;
      return true;
    }
    this.stats.lastError = `session.logon: ${describe(r)}`;
    return false;
  }

  /** `c` (the current connection) is ready for requests: open, and its rotation armed. */
  private opened(c: Conn, reason: string): void {
    this.setState('open', reason);
    this.rotateBackoff = this.o.backoffMs ?? 250;
    const after = this.o.rotateAfterMs;
    if (after !== undefined && after > 0) this.later(() => this.rotate(c), after);
    this.wake();
  }

  /** Opens the connection that replaces `old` (see the header); `old` serves until it is ready. */
  private rotate(old: Conn): void {
    if (this.st !== 'open' || this.conn !== old || this.standby !== undefined) return;
    const refused = this.budget.take(HANDSHAKE_WEIGHT, false, this.o.time.serverOffsetMs);
    if (refused !== null) {
      this.later(() => this.rotate(old), Math.max(1, Math.ceil((refused.untilUs - this.o.clock.nowUs()) / 1000)));
      return;
    }
    const c = this.socket(-1);
    this.standby = c;
    const failed = (why: string): void => {
      if (this.standby !== c) return;
      this.standby = undefined;
      this.stats.failedRotations++;
      this.stats.lastError = `rotation: ${why}`;
      this.abortAll(c, `rotation failed: ${why}`);
      c.ws.terminate();
      // The old connection still serves: try again after the backoff (the venue's cut, if it comes first, reconnects).
      const wait = this.rotateBackoff;
      this.rotateBackoff = Math.min(this.rotateBackoff * 2, this.o.maxBackoffMs ?? 30_000);
      this.later(() => this.rotate(old), wait);
    };
    c.ws.on('open', () => {
      if (this.standby !== c) return;
      c.opened = true;
      this.stats.connects++;
      if (this.o.signer.keyType !== 'Ed25519') this.takeOver(c, old, 'connected');
      else
        void this.logon(c).then((ok) => {
          if (this.standby === c) this.takeOver(c, old, ok ? 'connected, logged on' : 'connected; session.logon failed, each request signed');
        });
    });
    c.ws.on('close', (code) => failed(`closed (${code}) before taking over: ${this.stats.lastError}`));
  }

  /** The rotation's new connection `c` takes over from `old`, which drains (see the header). */
  private takeOver(c: Conn, old: Conn, how: string): void {
    if (this.conn !== old || this.st !== 'open') {
      this.discardStandby('the connection it was to replace is gone');
      return;
    }
    const gen = ++this.generation; // the old connection's pings and rotation timer stop
    this.clearTimers();
    c.gen = gen;
    this.standby = undefined;
    this.conn = c;
    this.draining = old;
    this.stats.rotations++;
    this.schedulePing(c);
    this.opened(c, `rotated: new connection in use (${how}); the old one closes once its ${old.pending.size} request(s) in flight are answered`);
    this.drained(old);
  }

  /** Closes a draining connection once nothing is outstanding on it. */
  private drained(c: Conn): void {
    if (c !== this.draining || c.pending.size > 0) return;
    void this.closeSocket(c, 'rotated: replaced by a new connection');
  }

  /** Drops a rotation's new connection that has not taken over. */
  private discardStandby(why: string): void {
    const s = this.standby;
    if (s === undefined) return;
    this.standby = undefined;
    this.abortAll(s, why);
    s.ws.terminate();
  }

  /** A connect that did not get as far as an open socket: back off and try again (bounded). */
  private retry(why: string): void {
    this.stats.failedConnects++;
    this.attempts++;
    if (this.attempts >= (this.o.maxAttempts ?? 100)) {
      this.setState('failed', `gave up after ${this.attempts} attempts: ${why}`);
      this.wake();
      return;
    }
    this.setState('reconnecting', why);
    const wait = Math.max(this.backoff, Math.ceil((this.budget.blockedUntil - this.o.clock.nowUs()) / 1000));
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs ?? 30_000);
    this.later(() => this.connect(), wait);
  }

  private schedulePing(c: Conn): void {
    this.later(() => {
      c.awaitingPong = true;
      try {
        c.ws.ping();
      } catch {
        // closed meanwhile: the close handler takes over
      }
      this.later(() => {
        if (c.awaitingPong && c.gen === this.generation) {
          this.stats.lastError = 'no pong';
          c.ws.terminate(); // the close handler makes the outstanding requests unknown and reconnects
        }
      }, this.o.pongTimeoutMs ?? 10_000);
      this.schedulePing(c);
    }, this.o.pingIntervalMs ?? 60_000);
  }

  private onFrame(c: Conn, text: string): void {
    const msg = parseFrame(text);
    if (msg === null) {
      this.stats.unmatched++;
      return;
    }
    readRateLimits(msg.rateLimits, this.budget);
    const p = typeof msg.id === 'number' ? c.pending.get(msg.id) : undefined;
    if (p === undefined) {
      // A reply after its timeout, or a connection-level error (`id: null`, e.g. -2015 key revoked).
      this.stats.unmatched++;
      const err = msg.error as { code?: unknown; msg?: unknown } | undefined;
      if (err !== undefined && err !== null) this.stats.lastError = `frame without a request: ${String(err.code)} ${String(err.msg).slice(0, 200)}`;
      return;
    }
    c.pending.delete(msg.id as number);
    this.o.timers.cancel(p.timer);
    this.stats.replies++;
    p.resolve(classify(p.method, msg, this.o.clock, this.o.time, this.budget));
    this.drained(c);
  }

  private abortAll(c: Conn, why: string): void {
    for (const p of c.pending.values()) {
      this.o.timers.cancel(p.timer);
      this.stats.aborted++;
      p.resolve({ kind: 'unknown', cause: `${p.method}: ${why}` });
    }
    c.pending.clear();
  }

  private setState(s: WsApiState, reason: string): void {
    this.st = s;
    this.o.onState?.(s, reason);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
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
}
