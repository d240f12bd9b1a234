// The ws-fapi client's connection (src/adapter/binance/ws-api-client.ts, its header's state table)
// on a scripted WebSocket (fake-ws.ts, mocked in for `ws`) with simulated timers and clock: no
// socket, no wall time. Pinned: every state transition with its reason; the handshake's budget
// weight (5) and a handshake the budget or a 429 keeps back; the backoff (its default, doubling, cap,
// reset by an open socket) and `maxAttempts` → `failed` until `start()` again; ping / pong and the
// pong timeout; `close()` from every state (close frame 1000, the close timeout, nothing left
// running); the Ed25519 `session.logon` (then requests unsigned) and its fallback (each request
// signed); rotation (the second connection beside the first, the move once it is ready, the drain
// and its close, a failed new connection retried while the old serves, the old one cut meanwhile);
// request ids unique across connections.
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateBudget, Signer, WsApiClient, wsPayload, type Timers, type WsApiClientOptions, type WsApiState, type WsRequestSpec } from '../../../src/adapter/binance/index.ts';
import { FakeWs } from './fake-ws.ts';

vi.mock('ws', async (importOriginal) => {
  const { FakeWs: Fake } = await import('./fake-ws.ts');
  return { ...(await importOriginal<object>()), default: Fake, WebSocket: Fake };
});

const URL_ = 'wss://ws-fapi.example/ws-fapi/v1';
const T0 = 1_700_000_000_000; // ms; the next minute starts at T0 + 40 s
const hmac = new Signer({ apiKey: 'connKeyAAAA', keyType: 'HMAC', secret: 'connSecretZZ0p9o8i7u6y5t4r3e2w1q' });
const ed = generateKeyPairSync('ed25519');
const ed25519 = new Signer({ apiKey: 'connEdKeyBBBB', keyType: 'Ed25519', secret: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
const edPublic = createPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }));

const flush = () => new Promise<void>((r) => setImmediate(r));

/** Timers on a simulated clock: `advance` fires what falls due, in time order, letting promises settle after each. */
class SimTimers implements Timers {
  nowMs = T0;
  private seq = 0;
  readonly pending = new Map<number, { at: number; f: () => void }>();
  after(ms: number, f: () => void): unknown {
    this.pending.set(++this.seq, { at: this.nowMs + ms, f });
    return this.seq;
  }
  cancel(h: unknown): void {
    this.pending.delete(h as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      let next: [number, { at: number; f: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].at);
      next[1].f();
      await flush();
    }
    this.nowMs = end;
    await flush();
  }
  /** The pending timers' remaining ms, sorted. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.nowMs).sort((a, b) => a - b);
  }
}

const clients: WsApiClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) {
    for (const w of FakeWs.all) w.echoClose = true;
    await c.close();
  }
  FakeWs.all.length = 0;
});

function setup(o: Partial<WsApiClientOptions> = {}) {
  const timers = new SimTimers();
  const states: [WsApiState, string][] = [];
  const c = new WsApiClient({
    url: URL_,
    signer: hmac,
    time: { serverNowMs: () => timers.nowMs, serverOffsetMs: 0 },
    clock: { nowUs: () => timers.nowMs * 1000 },
    timers,
    onState: (s, r) => states.push([s, r]),
    // Most tests drop a connection at the simulated instant it opened; the early-drop rule (such a
    // drop is a failed connect) has its own test, which sets this.
    stableAfterMs: 0,
    ...o,
  });
  clients.push(c);
  const ws = (i = -1): FakeWs => FakeWs.all.at(i)!;
  /** start(), with a flag saying whether it has resolved. */
  const start = () => {
    const p = { done: false };
    void c.start().then(() => (p.done = true));
    return p;
  };
  /** Started, the socket opened (and, Ed25519, the logon answered ok). */
  const opened = async () => {
    const s = start();
    const w = ws();
    w.open();
    if (c.state === 'logon') w.reply({ status: 200, result: { apiKey: 'connEdKeyBBBB' } });
    await flush();
    expect(c.state).toBe('open');
    expect(s.done).toBe(true);
    return w;
  };
  return { c, timers, states, ws, start, opened };
}

const place: WsRequestSpec = { method: 'order.place', params: { symbol: 'BTCUSDT', side: 'BUY', newClientOrderId: 'mk-1' }, signed: true, weight: 0, order: true };
const status: WsRequestSpec = { method: 'order.status', params: { symbol: 'BTCUSDT', origClientOrderId: 'mk-1' }, signed: true, weight: 1 };
const ok = { status: 200, result: {} };

describe('construction', () => {
  it('ws: and wss: URLs; any other scheme fails naming the URL and the scheme', () => {
    for (const url of ['ws://127.0.0.1:8090/ws-fapi/v1', 'wss://ws-fapi.binance.com/ws-fapi/v1']) expect(() => setup({ url })).not.toThrow();
    expect(() => setup({ url: 'http://ws-fapi.binance.com/ws-fapi/v1' })).toThrow('ws-fapi url "http://ws-fapi.binance.com/ws-fapi/v1": scheme http: is not ws: or wss:');
    expect(() => setup({ url: 'https://x/ws-fapi/v1' })).toThrow('scheme https: is not ws: or wss:');
  });

  it('without a budget: one of its own from the budget options (limits and onThrottle)', async () => {
    const throttles: unknown[] = [];
    const { c, ws, start } = setup({ weightBudget1m: 4, onThrottle: (t) => throttles.push(t) });
    start();
    expect(c.state).toBe('reconnecting');
    expect(FakeWs.all).toHaveLength(0);
    expect(throttles).toEqual([expect.objectContaining({ httpStatus: 0, code: -1003 })]);
    expect(ws()).toBeUndefined();
  });
});

describe('connect and the states', () => {
  it('idle → connecting → open: the socket at the URL with the handshake timeout, 5 weight taken, start() resolves only when open', async () => {
    const { c, states, ws, start } = setup();
    expect(c.state).toBe('idle');
    const s = start();
    expect(c.state).toBe('connecting');
    expect(FakeWs.all).toHaveLength(1);
    expect(ws().url).toBe(URL_);
    expect(ws().opts.handshakeTimeout).toBe(10_000);
    expect(c.budget.counts.usedWeight1m).toBe(5);
    await flush();
    expect(s.done).toBe(false);
    // start() again while connecting: no second socket; resolves at the open too.
    const s2 = start();
    expect(FakeWs.all).toHaveLength(1);
    ws().open();
    await flush();
    expect(c.state).toBe('open');
    expect(s.done && s2.done).toBe(true);
    expect(states).toEqual([
      ['connecting', 'connecting'],
      ['open', 'connected'],
    ]);
    expect(c.stats).toMatchObject({ connects: 1, drops: 0, failedConnects: 0, logons: 0 });
    // start() while open: resolves at once, nothing new.
    const s3 = start();
    await flush();
    expect(s3.done).toBe(true);
    expect(FakeWs.all).toHaveLength(1);
    expect(states).toHaveLength(2);
  });

  it('connectTimeoutMs is the handshake timeout', () => {
    const { ws, start } = setup({ connectTimeoutMs: 1234 });
    start();
    expect(ws().opts.handshakeTimeout).toBe(1234);
  });

  it('a connect that fails: reconnecting with the socket error, again after the backoff (default 250 ms doubling to 30 s), reset once a socket opens', async () => {
    const { c, timers, states, ws, start } = setup();
    const s = start();
    ws().fail('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    expect(c.state).toBe('reconnecting');
    expect(states.at(-1)).toEqual(['reconnecting', 'connect failed: socket: ECONNREFUSED']);
    expect(c.stats).toMatchObject({ failedConnects: 1, drops: 0, lastError: 'socket: ECONNREFUSED' });
    expect(timers.delays()).toEqual([250]);
    await timers.advance(249);
    expect(FakeWs.all).toHaveLength(1);
    await timers.advance(1);
    expect(FakeWs.all).toHaveLength(2);
    expect(states.at(-1)).toEqual(['connecting', 'attempt 2']);
    // The waits double, and stop at 30 s.
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      ws().drop(1006);
      waits.push(timers.delays()[0]);
      await timers.advance(timers.delays()[0]);
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(states.at(-1)).toEqual(['connecting', 'attempt 11']);
    expect(c.stats.failedConnects).toBe(10);
    expect(s.done).toBe(false);
    ws().open();
    await flush();
    expect(s.done).toBe(true);
    expect(states.at(-1)).toEqual(['open', 'connected']);
    // Open resets the backoff: a drop reconnects after 250 ms, and a failed connect then waits 500.
    ws().drop(1001);
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1001)']);
    expect(timers.delays()).toEqual([250]);
    await timers.advance(250);
    expect(states.at(-1)).toEqual(['connecting', 'connecting']);
    ws().drop(1006);
    // lastError is the socket error of before (the close had none of its own).
    expect(states.at(-1)).toEqual(['reconnecting', 'connect failed: socket: ECONNREFUSED']);
    expect(timers.delays()).toEqual([250]);
    await timers.advance(250);
    expect(states.at(-1)).toEqual(['connecting', 'attempt 2']);
    ws().drop(1006);
    expect(timers.delays()).toEqual([500]);
  });

  it('backoffMs and maxBackoffMs; a close without an error names its code; an error without a code names its message', async () => {
    const { c, timers, states, ws, start } = setup({ backoffMs: 100, maxBackoffMs: 300 });
    start();
    ws().drop(1002);
    expect(states.at(-1)).toEqual(['reconnecting', 'connect failed: close 1002']);
    const waits: number[] = [timers.delays()[0]];
    for (let i = 0; i < 3; i++) {
      await timers.advance(timers.delays()[0]);
      ws().fail('Unexpected server response: 500');
      waits.push(timers.delays()[0]);
    }
    expect(waits).toEqual([100, 200, 300, 300]);
    expect(c.stats.lastError).toBe('socket: Unexpected server response: 500');
    expect(states.at(-1)).toEqual(['reconnecting', 'connect failed: socket: Unexpected server response: 500']);
    expect(c.budget.blockedUntil).toBe(0);
  });

  it('a handshake answered 429 or 418 without Retry-After blocks the budget until the next minute at least: the reconnect waits for it', async () => {
    for (const code of [429, 418]) {
      const throttles: { httpStatus: number; code: number; reason: string; untilUs: number }[] = [];
      const { c, timers, states, ws, start } = setup({ onThrottle: (t) => throttles.push(t) });
      start();
      ws().refuse(code);
      await Promise.resolve(); // the client's terminate() closes the socket on a microtask
      expect(throttles).toHaveLength(1);
      expect(throttles[0]).toMatchObject({ httpStatus: code, code: -1003, reason: `ws-fapi handshake: HTTP ${code}` });
      expect(throttles[0].untilUs).toBeGreaterThanOrEqual((T0 + 40_000) * 1000);
      expect(c.budget.blockedUntil).toBe(throttles[0].untilUs);
      const waitMs = throttles[0].untilUs / 1000 - T0;
      expect(timers.delays()).toEqual([waitMs]);
      // While blocked, the budget refuses requests; the state says why.
      expect(states.at(-1)).toEqual(['reconnecting', `connect failed: socket: handshake answered HTTP ${code} (no Retry-After: the next minute)`]);
      await timers.advance(waitMs - 1);
      expect(FakeWs.all.filter((w) => w.readyState === FakeWs.CONNECTING)).toHaveLength(0);
      await timers.advance(1);
      expect(ws().readyState).toBe(FakeWs.CONNECTING);
      expect(c.state).toBe('connecting');
      await c.close();
      FakeWs.all.length = 0;
    }
  });

  it('"Unexpected server response: 4290" is not a 429', () => {
    const { c, ws, start } = setup();
    start();
    ws().fail('Unexpected server response: 4290');
    expect(c.budget.blockedUntil).toBe(0);
  });

  it('the handshake kept back by the budget: reconnecting, no socket, tried again when the minute turns (not an attempt)', async () => {
    const { c, timers, states, ws, opened } = setup({ weightBudget1m: 7 });
    await opened();
    expect(c.budget.counts.usedWeight1m).toBe(5);
    ws().drop(1006);
    await timers.advance(250);
    expect(FakeWs.all).toHaveLength(1);
    expect(states.slice(-2)).toEqual([
      ['connecting', 'connecting'],
      ['reconnecting', 'handshake not sent: request weight budget 7/min spent'],
    ]);
    expect(c.stats.failedConnects).toBe(0);
    // T0 + 250 ms now; the minute turns at T0 + 40 s.
    expect(timers.delays()).toEqual([39_750]);
    await timers.advance(39_749);
    expect(FakeWs.all).toHaveLength(1);
    await timers.advance(1);
    expect(FakeWs.all).toHaveLength(2);
    expect(c.state).toBe('connecting');
    expect(states.at(-1)).toEqual(['connecting', 'connecting']);
    ws().open();
    expect(c.state).toBe('open');
  });

  it('maxAttempts failed connects in a row → failed (start() resolves, requests refused, nothing scheduled); start() again begins afresh', async () => {
    const { c, timers, states, ws, start } = setup({ maxAttempts: 3, backoffMs: 100 });
    const s = start();
    ws().drop(1006);
    await timers.advance(100);
    ws().drop(1006);
    await timers.advance(200);
    expect(s.done).toBe(false);
    ws().fail('connect ECONNREFUSED', 'ECONNREFUSED');
    await flush();
    expect(c.state).toBe('failed');
    expect(states.at(-1)).toEqual(['failed', 'gave up after 3 attempts: connect failed: socket: ECONNREFUSED']);
    expect(s.done).toBe(true);
    expect(timers.pending.size).toBe(0);
    expect(c.stats.failedConnects).toBe(3);
    expect(await c.request(place)).toMatchObject({ kind: 'throttled', code: 0, cause: 'ws-fapi not connected (failed)' });
    await timers.advance(60_000);
    expect(FakeWs.all).toHaveLength(3);
    // Again: attempts and backoff start over.
    const s2 = start();
    expect(FakeWs.all).toHaveLength(4);
    expect(states.at(-1)).toEqual(['connecting', 'connecting']);
    ws().drop(1006);
    expect(timers.delays()).toEqual([100]);
    await timers.advance(100);
    ws().drop(1006);
    await timers.advance(200);
    ws().open();
    await flush();
    expect(s2.done).toBe(true);
    expect(c.state).toBe('open');
  });

  it('the default maxAttempts is 100', async () => {
    const { c, timers, ws, start } = setup();
    start();
    for (let i = 0; i < 99; i++) {
      ws().drop(1006);
      expect(c.state).toBe('reconnecting');
      await timers.advance(30_000);
    }
    expect(FakeWs.all).toHaveLength(100);
    ws().drop(1006);
    expect(c.state).toBe('failed');
  });

  it('a failed connect does not reset the count; an open one does: maxAttempts counts failures in a row', async () => {
    const { c, timers, ws, start } = setup({ maxAttempts: 2, backoffMs: 10 });
    start();
    ws().drop(1006);
    await timers.advance(10);
    ws().open();
    ws().drop(1006);
    await timers.advance(10);
    ws().drop(1006);
    expect(c.state).toBe('reconnecting');
    await timers.advance(20);
    ws().drop(1006);
    expect(c.state).toBe('failed');
  });

  it('a drop of the open connection: every outstanding request unknown, reconnecting (refused meanwhile), open again after the backoff', async () => {
    const { c, timers, states, ws, opened } = setup({ backoffMs: 300 });
    const w = await opened();
    const a = c.request(place);
    const b = c.request(status);
    expect(w.sent.map((f) => f.method)).toEqual(['order.place', 'order.status']);
    w.drop(1008);
    expect(await a).toEqual({ kind: 'unknown', cause: 'order.place: connection closed (1008) with the request in flight' });
    expect(await b).toEqual({ kind: 'unknown', cause: 'order.status: connection closed (1008) with the request in flight' });
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1008)']);
    expect(await c.request(place)).toEqual({ kind: 'throttled', untilUs: timers.nowMs * 1000, code: 0, cause: 'ws-fapi not connected (reconnecting)' });
    expect(c.stats).toMatchObject({ drops: 1, aborted: 2, failedConnects: 0 });
    // The requests' timeout timers went with them: only the reconnect is pending.
    expect(timers.delays()).toEqual([300]);
    await timers.advance(300);
    ws().open();
    expect(c.state).toBe('open');
    expect(c.stats).toMatchObject({ connects: 2, drops: 1 });
    expect(c.budget.counts.usedWeight1m).toBe(11);
    // Frames from the dropped socket are not read.
    w.reply(ok, 1);
    expect(c.stats.unmatched).toBe(0);
  });

  it('a connection that drops within stableAfterMs of opening is a failed connect: the backoff doubles, maxAttempts ends it; one that lived longer reconnects after the base backoff', async () => {
    const { c, timers, states, ws, opened } = setup({ backoffMs: 100, maxBackoffMs: 400, maxAttempts: 4, stableAfterMs: 10_000 });
    await opened();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await timers.advance(5); // open for 5 ms, then closed by the server
      ws().drop(1000);
      expect(c.state).toBe('reconnecting');
      expect(states.at(-1)![1]).toBe('dropped (1000) 5 ms after opening');
      waits.push(timers.delays()[0]);
      await timers.advance(timers.delays()[0]);
      ws().open();
      expect(c.state).toBe('open');
    }
    // The old client reconnected after the base backoff every time (100, 100, 100), for ever.
    expect(waits).toEqual([100, 200, 400]);
    await timers.advance(5);
    ws().drop(1000);
    expect(c.state).toBe('failed');
    expect(states.at(-1)![1]).toBe('gave up after 4 attempts: dropped (1000) 5 ms after opening');
    expect(c.stats).toMatchObject({ drops: 4, failedConnects: 4, connects: 4 });
    // start() again: afresh; a connection that lived past stableAfterMs reconnects after the base backoff.
    void c.start();
    ws().open();
    await timers.advance(10_000);
    ws().drop(1006);
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1006)']);
    expect(timers.delays()).toContain(100);
  });

  it('a binary frame is unmatched, never parsed', async () => {
    const { c, ws, opened } = setup();
    await opened();
    const r = c.request(status);
    ws().raw(JSON.stringify({ id: ws().sent[0].id, status: 200, result: {} }), true);
    expect(c.stats).toMatchObject({ unmatched: 1, replies: 0 });
    ws().reply(ok);
    expect((await r).kind).toBe('ok');
  });
});

describe('ping and pong', () => {
  it('a ping every 60 s; no pong within 10 s: the socket is dropped (lastError "no pong") and reconnected', async () => {
    const { c, timers, states, ws, opened } = setup();
    const w = await opened();
    await timers.advance(59_999);
    expect(w.pings).toBe(0);
    await timers.advance(1);
    expect(w.pings).toBe(1);
    await timers.advance(9_999);
    w.pong();
    await timers.advance(50_001);
    expect(w.pings).toBe(2);
    expect(c.state).toBe('open');
    await timers.advance(9_999);
    expect(w.terminates).toBe(0);
    await timers.advance(1);
    expect(w.terminates).toBe(1);
    expect(c.stats.lastError).toBe('no pong');
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1006)']);
    expect(c.stats.drops).toBe(1);
    await timers.advance(250);
    expect(FakeWs.all).toHaveLength(2);
  });

  it('pingIntervalMs and pongTimeoutMs; a pong each time keeps it open', async () => {
    const { c, timers, opened } = setup({ pingIntervalMs: 1000, pongTimeoutMs: 300 });
    const w = await opened();
    await timers.advance(1000);
    for (let i = 1; i <= 5; i++) {
      expect(w.pings).toBe(i);
      await timers.advance(299);
      w.pong();
      await timers.advance(701);
    }
    expect(w.pings).toBe(6);
    await timers.advance(299);
    expect(c.state).toBe('open');
    expect(w.terminates).toBe(0);
    await timers.advance(1);
    expect(w.terminates).toBe(1);
    expect(c.state).toBe('reconnecting');
  });
});

describe('Ed25519: session.logon', () => {
  it('connecting → logon → open once logged on; the logon is signed (and weighs 2); later requests carry neither apiKey nor signature', async () => {
    const { c, timers, states, ws, start } = setup({ signer: ed25519, recvWindowMs: 3000 });
    const s = start();
    const w = ws();
    w.open();
    expect(c.state).toBe('logon');
    expect(w.sent).toHaveLength(1);
    const [logon] = w.sent;
    expect(logon.method).toBe('session.logon');
    const { signature, ...rest } = logon.params;
    expect(rest).toEqual({ apiKey: 'connEdKeyBBBB', recvWindow: 3000, timestamp: T0 });
    expect(verify(null, Buffer.from(wsPayload(logon.params)), edPublic, Buffer.from(String(signature), 'base64'))).toBe(true);
    expect(c.budget.counts).toMatchObject({ usedWeight1m: 7, orderCount10s: 0, orderCount1m: 0 });
    expect(await c.request(status)).toMatchObject({ kind: 'throttled', cause: 'ws-fapi not connected (logon)' });
    await flush();
    expect(s.done).toBe(false);
    w.reply({ status: 200, result: { apiKey: 'connEdKeyBBBB' } });
    await flush();
    expect(s.done).toBe(true);
    expect(states).toEqual([
      ['connecting', 'connecting'],
      ['logon', 'logging on'],
      ['open', 'connected, logged on'],
    ]);
    expect(c.stats.logons).toBe(1);
    timers.nowMs += 5;
    const r = c.request(place);
    expect(w.sent[1].params).toEqual({ symbol: 'BTCUSDT', side: 'BUY', newClientOrderId: 'mk-1', recvWindow: 3000, timestamp: T0 + 5 });
    w.reply(ok);
    expect((await r).kind).toBe('ok');
    // An unsigned request: nothing added.
    void c.request({ method: 'time', params: {}, signed: false, weight: 1 });
    expect(w.sent[2].params).toEqual({});
  });

  it('a refused logon: open all the same, each request signed with the key (and apiKey sent), lastError names the refusal', async () => {
    const { c, states, ws, start } = setup({ signer: ed25519 });
    const s = start();
    const w = ws();
    w.open();
    w.reply({ status: 401, error: { code: -4056, msg: 'HMAC_SHA256 API key is not supported.' } });
    await flush();
    expect(s.done).toBe(true);
    expect(states.at(-1)).toEqual(['open', 'connected; session.logon failed, each request signed']);
    expect(c.stats).toMatchObject({ logons: 0, lastError: 'session.logon: -4056 HMAC_SHA256 API key is not supported.' });
    void c.request(place);
    const { signature, ...rest } = w.sent[1].params;
    expect(rest).toMatchObject({ apiKey: 'connEdKeyBBBB', recvWindow: 5000 });
    expect(verify(null, Buffer.from(wsPayload(w.sent[1].params)), edPublic, Buffer.from(String(signature), 'base64'))).toBe(true);
  });

  it('a logon answered 429: the same fallback, and the budget blocked until the retryAfter', async () => {
    const { c, ws, start } = setup({ signer: ed25519 });
    const s = start();
    ws().open();
    ws().reply({ status: 429, error: { code: -1003, msg: 'Too many requests.', data: { retryAfter: T0 + 30_000 } } });
    await flush();
    expect(s.done).toBe(true);
    expect(c.state).toBe('open');
    expect(c.stats.lastError).toBe('session.logon: throttled: session.logon: status 429: Too many requests.');
    expect(c.budget.blockedUntil).toBe((T0 + 30_000) * 1000);
    expect(await c.request(status)).toMatchObject({ kind: 'throttled', code: -1003, untilUs: (T0 + 30_000) * 1000 });
  });

  it('a logon without a reply: unknown after the timeout, then the same fallback', async () => {
    const { c, timers, states, ws, start } = setup({ signer: ed25519, timeoutMs: 700 });
    const s = start();
    ws().open();
    await timers.advance(699);
    expect(c.state).toBe('logon');
    await timers.advance(1);
    expect(s.done).toBe(true);
    expect(states.at(-1)).toEqual(['open', 'connected; session.logon failed, each request signed']);
    expect(c.stats.lastError).toBe('session.logon: session.logon: no reply within 700 ms');
  });

  it('the logon is sent even when the budget is spent, and counted', async () => {
    const budget = new RateBudget({ clock: { nowUs: () => T0 * 1000 }, weightBudget1m: 6 });
    const { c, ws, start } = setup({ signer: ed25519, budget });
    start();
    ws().open();
    expect(ws().sent.map((f) => f.method)).toEqual(['session.logon']);
    expect(c.budget.counts.usedWeight1m).toBe(7);
    // Sent, so not reported as throttled.
    expect(c.budget.counts.throttled).toBe(0);
  });

  it("the logon's weight counts in the minute it is sent (a socket that opens after the minute turned)", async () => {
    const { c, timers, ws, start } = setup({ signer: ed25519 });
    await timers.advance(39_900);
    start();
    expect(c.budget.counts.usedWeight1m).toBe(5);
    await timers.advance(200);
    ws().open();
    expect(c.budget.counts.usedWeight1m).toBe(2);
  });

  it('a drop while logging on: reconnecting, never open on the dead connection', async () => {
    const { c, timers, states, ws, start } = setup({ signer: ed25519 });
    const s = start();
    ws().open();
    ws().drop(1006);
    await flush();
    expect(c.state).toBe('reconnecting');
    expect(s.done).toBe(false);
    expect(states.map((x) => x[0])).toEqual(['connecting', 'logon', 'reconnecting']);
    expect(c.stats.drops).toBe(1);
    await timers.advance(250);
    ws().open();
    ws().reply({ status: 200, result: {} });
    await flush();
    expect(s.done).toBe(true);
    expect(c.stats.logons).toBe(1);
  });
});

describe('close()', () => {
  it('from idle: closed, no socket; start() and close() again change nothing', async () => {
    const { c, timers, states, start } = setup();
    await c.close();
    expect(c.state).toBe('closed');
    expect(states).toEqual([['closed', 'closed by the client']]);
    const s = start();
    await flush();
    expect(s.done).toBe(true);
    await c.close();
    expect(FakeWs.all).toHaveLength(0);
    expect(states).toHaveLength(1);
    expect(timers.pending.size).toBe(0);
  });

  it('from connecting: the socket is dropped (no close frame), start() resolves, nothing left', async () => {
    const { c, timers, ws, start } = setup();
    const s = start();
    await c.close();
    expect(s.done).toBe(true);
    expect(c.state).toBe('closed');
    expect(ws().terminates).toBe(1);
    expect(ws().closes).toEqual([]);
    expect(timers.pending.size).toBe(0);
    await timers.advance(60_000);
    expect(FakeWs.all).toHaveLength(1);
  });

  it('from open: requests unknown, close frame 1000, resolves when the server closes; no timer left (pings, rotation, timeouts)', async () => {
    const { c, timers, states, ws, opened } = setup({ rotateAfterMs: 5000 });
    const w = await opened();
    const a = c.request(place);
    let closed = false;
    const p = c.close().then(() => (closed = true));
    expect(states.at(-1)).toEqual(['closed', 'closed by the client']);
    expect(await a).toEqual({ kind: 'unknown', cause: 'order.place: client closed with the request in flight' });
    expect(w.closes).toEqual([[1000, 'client closing']]);
    await p;
    expect(closed).toBe(true);
    expect(timers.pending.size).toBe(0);
    expect(c.stats).toMatchObject({ aborted: 1, drops: 0 });
    // The close event of the client's own close reconnects nothing.
    await timers.advance(120_000);
    expect(FakeWs.all).toHaveLength(1);
    expect(c.state).toBe('closed');
  });

  it('the server does not answer the close frame: dropped after closeTimeoutMs (default 2 s)', async () => {
    for (const [o, ms] of [[{}, 2000], [{ closeTimeoutMs: 300 }, 300]] as const) {
      const { c, timers, opened } = setup(o);
      const w = await opened();
      w.echoClose = false;
      let closed = false;
      void c.close().then(() => (closed = true));
      await flush();
      expect(timers.delays()).toEqual([ms]);
      await timers.advance(ms - 1);
      expect(w.terminates).toBe(0);
      expect(closed).toBe(false);
      await timers.advance(1);
      expect(w.terminates).toBe(1);
      expect(closed).toBe(true);
      FakeWs.all.length = 0;
    }
  });

  it('a socket already closed: close() resolves without waiting', async () => {
    const { c, timers, opened } = setup();
    const w = await opened();
    w.readyState = FakeWs.CLOSED;
    w.echoClose = false;
    await c.close();
    expect(w.closes).toEqual([]);
    expect(timers.pending.size).toBe(0);
  });

  it('from logon, reconnecting and failed: closed, nothing scheduled, no socket after', async () => {
    {
      const { c, timers, ws, start } = setup({ signer: ed25519 });
      const s = start();
      ws().open();
      await c.close();
      expect(s.done).toBe(true);
      expect(c.state).toBe('closed');
      expect(ws().closes).toEqual([[1000, 'client closing']]);
      expect(timers.pending.size).toBe(0);
      expect(c.stats.lastError).toBe('session.logon: session.logon: client closed with the request in flight');
    }
    FakeWs.all.length = 0;
    {
      const { c, timers, opened } = setup();
      const w = await opened();
      w.drop(1006);
      expect(c.state).toBe('reconnecting');
      await c.close();
      expect(c.state).toBe('closed');
      expect(timers.pending.size).toBe(0);
      await timers.advance(60_000);
      expect(FakeWs.all).toHaveLength(1);
    }
    FakeWs.all.length = 0;
    {
      const { c, timers, ws, start } = setup({ maxAttempts: 1 });
      start();
      ws().drop(1006);
      expect(c.state).toBe('failed');
      await c.close();
      expect(c.state).toBe('closed');
      expect(timers.pending.size).toBe(0);
    }
  });

  it('a start() waiting on a reconnect resolves at close()', async () => {
    const { c, ws, start } = setup();
    start();
    ws().drop(1006);
    const s = start();
    await flush();
    expect(s.done).toBe(false);
    await c.close();
    expect(s.done).toBe(true);
  });
});

describe('nothing left running', () => {
  it('close() after pings, pongs and rotations: every timer cancelled', async () => {
    const { c, timers, ws, opened } = setup({ rotateAfterMs: 30_000, pingIntervalMs: 1000, pongTimeoutMs: 500 });
    await opened();
    for (let i = 0; i < 3; i++) {
      await timers.advance(1000);
      ws().pong();
    }
    await timers.advance(27_000);
    ws().open();
    await timers.advance(1000);
    ws().pong();
    await timers.advance(200);
    expect(timers.pending.size).toBeGreaterThan(0);
    await c.close();
    expect(timers.pending.size).toBe(0);
  });

  it('a socket whose open comes after close() (or after it was discarded) is not used', async () => {
    {
      const { c, timers, states, ws, start } = setup();
      start();
      const w = ws();
      await c.close();
      w.open();
      expect(c.state).toBe('closed');
      expect(states.at(-1)).toEqual(['closed', 'closed by the client']);
      expect(timers.pending.size).toBe(0);
      expect(c.stats.connects).toBe(0);
    }
    FakeWs.all.length = 0;
    {
      const { c, timers, ws, opened } = setup({ rotateAfterMs: 1000 });
      const old = await opened();
      await timers.advance(1000);
      const neu = ws();
      old.drop(1006);
      neu.open();
      expect(c.stats).toMatchObject({ connects: 1, rotations: 0 });
      expect(c.state).toBe('reconnecting');
      await timers.advance(250);
      expect(FakeWs.all).toHaveLength(3);
    }
  });
});

describe('-1021 re-send', () => {
  it('takes nothing from the budget again: sent even when the budget has no order left', async () => {
    let offset = 0;
    const budget = new RateBudget({ clock: { nowUs: () => T0 * 1000 }, orderBudget10s: 1 });
    const { c, ws, opened } = setup({
      budget,
      time: {
        serverNowMs: () => T0 + offset,
        get serverOffsetMs() {
          return offset;
        },
        syncTime: async () => {
          offset = 2000;
        },
      },
    });
    const w = await opened();
    const r = c.request(place);
    w.reply({ status: 400, error: { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' } });
    await flush();
    expect(w.sent).toHaveLength(2);
    expect(w.sent[1].params.timestamp).toBe(T0 + 2000);
    w.reply({ status: 200, result: { orderId: 5 } });
    expect(await r).toEqual({ kind: 'ok', status: 200, body: { orderId: 5 } });
    expect(budget.counts).toMatchObject({ orderCount10s: 1, throttled: 0 });
  });
});

describe('request ids', () => {
  it('unique over the client life: they go on across reconnects (and count the logon)', async () => {
    const { c, timers, ws, opened } = setup({ signer: ed25519 });
    const w1 = await opened();
    void c.request(status);
    w1.drop(1006);
    await timers.advance(250);
    ws().open();
    ws().reply(ok);
    await flush();
    void c.request(status);
    const ids = [...w1.sent, ...ws().sent].map((f) => f.id);
    expect(ids).toEqual([1, 2, 3, 4]);
  });
});

describe('rotation', () => {
  it('a second connection after rotateAfterMs while the state stays open; requests move to it once ready; the old one drains and closes with 1000', async () => {
    const { c, timers, states, ws, opened } = setup({ rotateAfterMs: 1000, timeoutMs: 10_000 });
    const old = await opened();
    const before = c.request(place);
    await timers.advance(999);
    expect(FakeWs.all).toHaveLength(1);
    await timers.advance(1);
    expect(FakeWs.all).toHaveLength(2);
    const neu = ws();
    expect(neu.url).toBe(URL_);
    expect(c.budget.counts).toMatchObject({ usedWeight1m: 10, orderCount10s: 1, orderCount1m: 1 });
    expect(states).toHaveLength(2);
    // Not ready yet: requests still go to the old one.
    const during = c.request(status);
    expect(old.sent.map((f) => f.method)).toEqual(['order.place', 'order.status']);
    neu.open();
    expect(c.state).toBe('open');
    expect(states.at(-1)).toEqual(['open', 'rotated: new connection in use (connected); the old one closes once its 2 request(s) in flight are answered']);
    expect(c.stats).toMatchObject({ rotations: 1, connects: 2, drops: 0 });
    const after = c.request(status);
    expect(neu.sent.map((f) => f.method)).toEqual(['order.status']);
    // Ids stay unique across the two.
    expect(neu.sent[0].id).toBe(3);
    // The old one answers what it has; closed once nothing is left.
    old.reply({ status: 200, result: { orderId: 1 } }, 1);
    expect(await before).toEqual({ kind: 'ok', status: 200, body: { orderId: 1 } });
    expect(old.closes).toEqual([]);
    old.reply({ status: 200, result: { orderId: 2 } }, 2);
    expect(await during).toEqual({ kind: 'ok', status: 200, body: { orderId: 2 } });
    expect(old.closes).toEqual([[1000, 'rotated: replaced by a new connection']]);
    await flush();
    expect(c.state).toBe('open');
    expect(c.stats).toMatchObject({ drops: 0, aborted: 0, replies: 2 });
    neu.reply(ok);
    expect((await after).kind).toBe('ok');
    // The old one's ping stopped; the new one pings, and rotates in its turn 1000 ms after it opened.
    expect(timers.delays()).toEqual([1000, 60_000]);
    await timers.advance(1000);
    expect(FakeWs.all).toHaveLength(3);
    await timers.advance(59_000);
    expect(old.pings).toBe(0);
    expect(neu.pings).toBe(1);
  });

  it('nothing in flight: the old one is closed at once; a rotated-in connection that drops reconnects as usual', async () => {
    const { c, timers, states, ws, opened } = setup({ rotateAfterMs: 1000 });
    const old = await opened();
    await timers.advance(1000);
    ws().open();
    expect(states.at(-1)).toEqual(['open', 'rotated: new connection in use (connected); the old one closes once its 0 request(s) in flight are answered']);
    expect(old.closes).toEqual([[1000, 'rotated: replaced by a new connection']]);
    await flush();
    const r = c.request(status);
    ws().drop(1001);
    expect(await r).toMatchObject({ kind: 'unknown', cause: 'order.status: connection closed (1001) with the request in flight' });
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1001)']);
    expect(c.stats).toMatchObject({ drops: 1, failedRotations: 0, rotations: 1 });
    // Only the reconnect is pending (no rotation retry for the connection it replaced).
    expect(timers.delays()).toEqual([250]);
  });

  it('the draining one: a request that times out is unknown and then it closes; a drop makes what is left unknown, the state stays open', async () => {
    const { c, timers, ws, opened } = setup({ rotateAfterMs: 1000, timeoutMs: 1500 });
    const old = await opened();
    const a = c.request(place);
    await timers.advance(1000);
    ws().open();
    await timers.advance(499);
    expect(old.closes).toEqual([]);
    await timers.advance(1);
    expect(await a).toEqual({ kind: 'unknown', cause: 'order.place: no reply within 1500 ms' });
    expect(old.closes).toEqual([[1000, 'rotated: replaced by a new connection']]);
    // A second rotation; this time the old one is cut with a request in flight.
    const mid = ws();
    const b = c.request(status);
    await timers.advance(1000 - 500);
    ws().open();
    expect(ws()).not.toBe(mid);
    mid.drop(1006);
    expect(await b).toEqual({ kind: 'unknown', cause: 'order.status: rotated-out connection closed (1006) with the request in flight' });
    expect(c.state).toBe('open');
    expect(c.stats).toMatchObject({ drops: 0, rotations: 2, timeouts: 1, aborted: 1 });
    // Its late frames are not read.
    mid.reply(ok, 5);
    expect(c.stats.unmatched).toBe(0);
  });

  it('Ed25519: the new connection logs on before it takes over', async () => {
    const { c, timers, states, ws, opened } = setup({ signer: ed25519, rotateAfterMs: 1000 });
    const old = await opened();
    await timers.advance(1000);
    const neu = ws();
    neu.open();
    expect(neu.sent.map((f) => f.method)).toEqual(['session.logon']);
    void c.request(status);
    expect(old.sent.map((f) => f.method)).toEqual(['session.logon', 'order.status']);
    expect(c.budget.counts.usedWeight1m).toBe(5 + 2 + 5 + 2 + 1);
    neu.reply({ status: 200, result: {} });
    await flush();
    expect(states.at(-1)).toEqual(['open', 'rotated: new connection in use (connected, logged on); the old one closes once its 1 request(s) in flight are answered']);
    expect(c.stats.logons).toBe(2);
    void c.request(place);
    expect(neu.sent[1].params).not.toHaveProperty('signature');
    expect(neu.sent[1].params).not.toHaveProperty('apiKey');
  });

  it('Ed25519: a refused logon on the new connection takes over all the same, signing each request', async () => {
    const { c, timers, states, ws, opened } = setup({ signer: ed25519, rotateAfterMs: 1000 });
    await opened();
    await timers.advance(1000);
    const neu = ws();
    neu.open();
    neu.reply({ status: 400, error: { code: -1022, msg: 'Signature for this request is not valid.' } });
    await flush();
    expect(states.at(-1)).toEqual(['open', 'rotated: new connection in use (connected; session.logon failed, each request signed); the old one closes once its 0 request(s) in flight are answered']);
    void c.request(place);
    expect(neu.sent[1].params).toHaveProperty('signature');
    expect(neu.sent[1].params).toHaveProperty('apiKey');
  });

  it('a new connection that fails is retried after the backoff (doubling, capped, reset by a rotation) while the old one serves', async () => {
    const { c, timers, ws, opened } = setup({ rotateAfterMs: 1000, backoffMs: 100, maxBackoffMs: 300 });
    const old = await opened();
    await timers.advance(1000);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      ws().fail('connect ECONNREFUSED', 'ECONNREFUSED');
      expect(c.state).toBe('open');
      waits.push(timers.delays()[0]);
      await timers.advance(timers.delays()[0] - 1);
      const n = FakeWs.all.length;
      await timers.advance(1);
      expect(FakeWs.all).toHaveLength(n + 1);
    }
    expect(waits).toEqual([100, 200, 300, 300]);
    expect(c.stats).toMatchObject({ failedRotations: 4, rotations: 0, drops: 0, failedConnects: 0, lastError: 'rotation: closed (1006) before taking over: socket: ECONNREFUSED' });
    const r = c.request(status);
    expect(old.sent.map((f) => f.method)).toEqual(['order.status']);
    old.reply(ok);
    expect((await r).kind).toBe('ok');
    // Its outstanding logon is unknown; this one opens and takes over.
    ws().open();
    expect(c.stats.rotations).toBe(1);
    // The next rotation's first failure waits backoffMs again.
    await timers.advance(1000);
    ws().drop(1006);
    expect(timers.delays()[0]).toBe(100);
  });

  it('Ed25519: a new connection dropped while logging on is retried; its logon is unknown', async () => {
    const { c, timers, ws, opened } = setup({ signer: ed25519, rotateAfterMs: 1000 });
    await opened();
    await timers.advance(1000);
    const neu = ws();
    neu.open();
    neu.drop(1006);
    await flush();
    expect(c.stats).toMatchObject({ failedRotations: 1, rotations: 0, aborted: 1, lastError: 'session.logon: session.logon: rotation failed: closed (1006) before taking over: ' });
    expect(c.state).toBe('open');
    await timers.advance(250);
    expect(FakeWs.all).toHaveLength(3);
  });

  it('the old one cut while the new one connects: the new one is dropped and the ordinary reconnect takes over', async () => {
    const { c, timers, states, ws, opened } = setup({ rotateAfterMs: 1000 });
    const old = await opened();
    await timers.advance(1000);
    const neu = ws();
    old.drop(1006);
    expect(neu.terminates).toBe(1);
    await flush();
    expect(states.at(-1)).toEqual(['reconnecting', 'dropped (1006)']);
    expect(c.stats).toMatchObject({ drops: 1, failedRotations: 0 });
    expect(timers.delays()).toEqual([250]);
    await timers.advance(250);
    expect(FakeWs.all).toHaveLength(3);
    ws().open();
    expect(c.state).toBe('open');
    expect(c.stats.rotations).toBe(0);
  });

  it('Ed25519: the old one cut while the new one logs on: its logon unknown, no take-over, the ordinary reconnect', async () => {
    const { c, timers, ws, opened } = setup({ signer: ed25519, rotateAfterMs: 1000 });
    const old = await opened();
    await timers.advance(1000);
    const neu = ws();
    neu.open();
    old.drop(1006);
    await flush();
    expect(neu.terminates).toBe(1);
    expect(c.state).toBe('reconnecting');
    expect(c.stats).toMatchObject({ rotations: 0, aborted: 1 });
    expect(c.stats.lastError).toBe('session.logon: session.logon: the connection it was to replace dropped (1006)');
    neu.reply({ status: 200, result: {} });
    await flush();
    expect(c.state).toBe('reconnecting');
    expect(c.stats.logons).toBe(1);
  });

  it('the handshake kept back by the budget: the rotation waits for the minute to turn', async () => {
    const { c, timers, opened } = setup({ rotateAfterMs: 1000, weightBudget1m: 9 });
    await opened();
    await timers.advance(1000);
    expect(FakeWs.all).toHaveLength(1);
    expect(c.state).toBe('open');
    // T0 + 1 s: the minute turns at T0 + 40 s.
    expect(timers.delays()[0]).toBe(39_000);
    await timers.advance(38_999);
    expect(FakeWs.all).toHaveLength(1);
    await timers.advance(1);
    expect(FakeWs.all).toHaveLength(2);
  });

  it('rotateAfterMs 0 or absent: never', async () => {
    for (const rotateAfterMs of [0, undefined]) {
      const { timers, opened } = setup({ rotateAfterMs, pingIntervalMs: 1e9 });
      await opened();
      expect(timers.delays()).toEqual([1e9]);
      FakeWs.all.length = 0;
    }
  });

  it('close() with a draining and a new connection: both closed, their requests unknown, nothing left', async () => {
    const { c, timers, ws, opened } = setup({ rotateAfterMs: 1000, signer: ed25519 });
    const old = await opened();
    const a = c.request(status);
    await timers.advance(1000);
    const neu = ws();
    neu.open();
    neu.reply({ status: 200, result: {} });
    await flush();
    await timers.advance(1000);
    const third = ws();
    expect(FakeWs.all).toHaveLength(3);
    const b = c.request(status);
    await c.close();
    expect(await a).toMatchObject({ kind: 'unknown', cause: 'order.status: client closed with the request in flight' });
    expect(await b).toMatchObject({ kind: 'unknown', cause: 'order.status: client closed with the request in flight' });
    expect(old.closes).toEqual([[1000, 'client closing']]);
    expect(neu.closes).toEqual([[1000, 'client closing']]);
    expect(third.terminates).toBe(1);
    expect(timers.pending.size).toBe(0);
    expect(c.stats.drops).toBe(0);
  });
});
