// The ws-fapi client (src/adapter/binance/ws-api-client.ts) against a scripted stub WebSocket
// server on loopback (no exchange): the outcome of every status × code that matters for money
// (accepted / definitive refusal / unknown / not sent: the same table as REST), the HMAC signature
// over exactly the sorted parameters with the timestamp of the moment of writing, the single -1021
// re-send with a new id, the timeout (unknown; the late reply counted unmatched, never a second
// outcome), frames without a request, the budget taken before writing, 429 retryAfter. Every
// server and client is closed at the end.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateBudget, Signer, WsApiClient, wsPayload, type RestOutcome, type Throttle, type WsApiClientOptions, type WsRequestSpec } from '../../../src/adapter/binance/index.ts';
import { WallClock, wallTimers } from '../../../src/live/index.ts';

const SECRET = 'wsUnitSecretZZ0p9o8i7u6y5t4r3e2w1q';
const signer = new Signer({ apiKey: 'wsUnitKeyAAAA', keyType: 'HMAC', secret: SECRET });

interface Frame {
  id: number;
  method: string;
  params: Record<string, string | number>;
}
let stub: WebSocketServer;
let url = '';
const frames: Frame[] = [];
const sockets: ServerSocket[] = [];
/** What the stub answers to a frame: an object sent with its id, a raw string, or nothing. */
let answer: (f: Frame, s: ServerSocket) => object | string | undefined = () => undefined;
const clients: WsApiClient[] = [];

beforeAll(async () => {
  stub = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  stub.on('connection', (s) => {
    sockets.push(s);
    s.on('message', (d) => {
      const f = JSON.parse(String(d)) as Frame;
      frames.push(f);
      const a = answer(f, s);
      if (typeof a === 'string') s.send(a);
      else if (a !== undefined) s.send(JSON.stringify({ id: f.id, ...a }));
    });
  });
  await new Promise<void>((r) => stub.once('listening', () => r()));
  url = `ws://127.0.0.1:${(stub.address() as AddressInfo).port}/ws-fapi/v1`;
});
afterEach(async () => {
  answer = () => undefined;
  frames.length = 0;
  for (const c of clients.splice(0)) await c.close();
});
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await new Promise<void>((r) => stub.close(() => r()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (let t = 0; !cond(); t += 10) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function client(o: Partial<WsApiClientOptions> = {}) {
  const c = new WsApiClient({ url, signer, time: { serverNowMs: () => Date.now(), serverOffsetMs: 0 }, clock: new WallClock(), timers: wallTimers, ...o });
  clients.push(c);
  await c.start();
  expect(c.state).toBe('open');
  return c;
}

const place: WsRequestSpec = { method: 'order.place', params: { symbol: 'BTCUSDT', side: 'BUY', newClientOrderId: 'mk-1' }, signed: true, weight: 0, order: true };
const status: WsRequestSpec = { method: 'order.status', params: { symbol: 'BTCUSDT', origClientOrderId: 'mk-1' }, signed: true, weight: 1 };

describe('outcomes, as REST classifies them', () => {
  const cases: [string, object | string, RestOutcome][] = [
    ['200 with a result', { status: 200, result: { orderId: 1 } }, { kind: 'ok', status: 200, body: { orderId: 1 } }],
    ['299 with a result', { status: 299, result: null }, { kind: 'ok', status: 299, body: null }],
    ['200 without a result', { status: 200 }, { kind: 'unknown', cause: 'order.place: status 200 without a result' }],
    ['no status', { result: { orderId: 1 } }, { kind: 'unknown', cause: 'order.place: status 0' }],
    ['400 -2013', { status: 400, error: { code: -2013, msg: 'Order does not exist.' } }, { kind: 'rejected', status: 400, code: -2013, msg: 'Order does not exist.' }],
    ['499 -5022', { status: 499, error: { code: -5022, msg: 'Post Only' } }, { kind: 'rejected', status: 499, code: -5022, msg: 'Post Only' }],
    ['400 without msg', { status: 400, error: { code: -1102 } }, { kind: 'rejected', status: 400, code: -1102, msg: '' }],
    ['400 -1000', { status: 400, error: { code: -1000, msg: 'unknown error' } }, { kind: 'unknown', cause: 'order.place: status 400 code -1000: unknown error' }],
    ['400 -1001', { status: 400, error: { code: -1001, msg: 'internal' } }, { kind: 'unknown', cause: 'order.place: status 400 code -1001: internal' }],
    ['400 -1006', { status: 400, error: { code: -1006, msg: 'bus' } }, { kind: 'unknown', cause: 'order.place: status 400 code -1006: bus' }],
    ['408 -1007', { status: 408, error: { code: -1007, msg: 'Timeout waiting for response from backend server.' } }, { kind: 'unknown', cause: 'order.place: status 408 code -1007: Timeout waiting for response from backend server.' }],
    ['400 code a string', { status: 400, error: { code: '-2013', msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 400' }],
    ['400 error null', { status: 400, error: null }, { kind: 'unknown', cause: 'order.place: status 400' }],
    ['399', { status: 399, error: { code: -2013, msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 399 code -2013: x' }],
    ['500 -2013', { status: 500, error: { code: -2013, msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 500 code -2013: x' }],
    ['300 with a result', { status: 300, result: {} }, { kind: 'unknown', cause: 'order.place: status 300' }],
    ['503 -2011 (only -1008 is a refusal on 503)', { status: 503, error: { code: -2011, msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 503 code -2011: x' }],
    ['503 -1008', { status: 503, error: { code: -1008, msg: 'overload' } }, { kind: 'rejected', status: 503, code: -1008, msg: 'overload' }],
    ['500 -1008', { status: 500, error: { code: -1008, msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 500 code -1008: x' }],
    ['503 -1000', { status: 503, error: { code: -1000, msg: 'x' } }, { kind: 'unknown', cause: 'order.place: status 503 code -1000: x' }],
  ];
  for (const [name, reply, want] of cases) {
    it(name, async () => {
      answer = () => reply;
      const c = await client();
      expect(await c.request(place)).toEqual(want);
      expect(frames).toHaveLength(1);
      expect(c.stats).toMatchObject({ requests: 1, replies: 1, timeouts: 0, unmatched: 0 });
    });
  }
});

describe('what a request writes', () => {
  it('HMAC: apiKey, recvWindow and the timestamp of the moment of writing, signed over exactly the sorted parameters', async () => {
    let now = 1_700_000_000_000;
    answer = () => ({ status: 200, result: {} });
    const c = await client({ time: { serverNowMs: () => now, serverOffsetMs: 0 }, recvWindowMs: 3000 });
    now = 1_700_000_000_777;
    await c.request(place);
    const [f] = frames;
    expect(f.method).toBe('order.place');
    const { signature, ...rest } = f.params;
    expect(rest).toEqual({ symbol: 'BTCUSDT', side: 'BUY', newClientOrderId: 'mk-1', apiKey: 'wsUnitKeyAAAA', recvWindow: 3000, timestamp: 1_700_000_000_777 });
    expect(wsPayload(f.params)).toBe('apiKey=wsUnitKeyAAAA&newClientOrderId=mk-1&recvWindow=3000&side=BUY&symbol=BTCUSDT&timestamp=1700000000777');
    expect(signature).toBe(createHmac('sha256', SECRET).update(wsPayload(f.params)).digest('hex'));
  });

  it('default recvWindow 5000; an unsigned request carries nothing of the key', async () => {
    answer = () => ({ status: 200, result: {} });
    const c = await client();
    await c.request(status);
    await c.request({ method: 'time', params: {}, signed: false, weight: 1 });
    expect(frames[0].params.recvWindow).toBe(5000);
    expect(frames[1]).toEqual({ id: frames[0].id + 1, method: 'time', params: {} });
  });

  it('wsPayload: every parameter but the signature, sorted by name', () => {
    expect(wsPayload({ b: '2', signature: 'zz', a: 1, c: 'x=y' })).toBe('a=1&b=2&c=x=y');
  });
});

describe('-1021: re-measured and re-sent once, with a new id', () => {
  it('the second answer is the outcome', async () => {
    let syncs = 0;
    let offset = 0;
    answer = (f) => (frames.length === 1 ? { status: 400, error: { code: -1021, msg: 'Timestamp outside recvWindow' } } : { status: 200, result: { orderId: 3, ts: f.params.timestamp } });
    const c = await client({
      time: {
        serverNowMs: () => 1_700_000_000_000 + offset,
        get serverOffsetMs() {
          return offset;
        },
        syncTime: async () => {
          syncs++;
          offset = 9_000;
        },
      },
    });
    expect(await c.request(place)).toEqual({ kind: 'ok', status: 200, body: { orderId: 3, ts: 1_700_000_009_000 } });
    expect(syncs).toBe(1);
    expect(c.stats.resigned).toBe(1);
    expect(frames).toHaveLength(2);
    expect(frames[1].id).not.toBe(frames[0].id);
    expect(frames[1].params.timestamp).toBe(1_700_000_009_000);
    // The re-send takes nothing more from the budget: one order counted.
    expect(c.budget.counts.orderCount10s).toBe(1);
  });

  it('-1021 again is the refusal; without syncTime, or unsigned, -1021 is not re-sent', async () => {
    answer = () => ({ status: 400, error: { code: -1021, msg: 'Timestamp outside recvWindow' } });
    const withSync = await client({ time: { serverNowMs: () => Date.now(), serverOffsetMs: 0, syncTime: async () => undefined } });
    expect(await withSync.request(place)).toEqual({ kind: 'rejected', status: 400, code: -1021, msg: 'Timestamp outside recvWindow' });
    expect(frames).toHaveLength(2);
    frames.length = 0;
    const noSync = await client();
    expect(await noSync.request(place)).toMatchObject({ kind: 'rejected', code: -1021 });
    expect(await withSync.request({ ...place, signed: false })).toMatchObject({ kind: 'rejected', code: -1021 });
    expect(frames).toHaveLength(2);
    expect(noSync.stats.resigned).toBe(0);
    expect(withSync.stats.resigned).toBe(1);
  });

  it('another refusal is never re-sent', async () => {
    answer = () => ({ status: 400, error: { code: -2011, msg: 'Unknown order sent.' } });
    const c = await client({ time: { serverNowMs: () => Date.now(), serverOffsetMs: 0, syncTime: async () => undefined } });
    expect(await c.request(place)).toMatchObject({ kind: 'rejected', code: -2011 });
    expect(frames).toHaveLength(1);
  });
});

describe('no reply', () => {
  it('after timeoutMs: unknown; the late reply is unmatched and changes nothing; never re-sent', async () => {
    let late: (() => void) | undefined;
    answer = (f, s) => {
      late = () => s.send(JSON.stringify({ id: f.id, status: 200, result: { orderId: 9 } }));
      return undefined;
    };
    const c = await client({ timeoutMs: 150 });
    expect(await c.request(place)).toEqual({ kind: 'unknown', cause: 'order.place: no reply within 150 ms' });
    expect(c.stats).toMatchObject({ timeouts: 1, replies: 0 });
    late!();
    await until('the late reply', () => c.stats.unmatched === 1);
    expect(c.stats.replies).toBe(0);
    expect(frames).toHaveLength(1);
    expect(c.state).toBe('open');
  });

  it('frames without a request: not JSON, not an object, id null with an error (named in lastError)', async () => {
    const c = await client();
    const s = sockets.at(-1)!;
    s.send('not json');
    s.send('null');
    s.send('42');
    s.send(JSON.stringify({ id: null, status: 401, error: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } }));
    await until('four unmatched frames', () => c.stats.unmatched === 4);
    expect(c.stats.lastError).toBe('frame without a request: -2015 Invalid API-key, IP, or permissions for action.');
    s.send(JSON.stringify({ id: 12345, status: 200, result: {} }));
    await until('five', () => c.stats.unmatched === 5);
    expect(c.stats.lastError).toBe('frame without a request: -2015 Invalid API-key, IP, or permissions for action.');
    expect(c.state).toBe('open');
  });
});

describe('budget and 429', () => {
  it('a spent budget refuses before writing (throttled, not sent)', async () => {
    answer = () => ({ status: 200, result: {} });
    const budget = new RateBudget({ clock: new WallClock(), orderBudget10s: 1 });
    const c = await client({ budget });
    expect(c.budget).toBe(budget);
    expect((await c.request(place)).kind).toBe('ok');
    expect(await c.request(place)).toMatchObject({ kind: 'throttled', code: -1015 });
    expect((await c.request(status)).kind).toBe('ok');
    expect(frames.map((f) => f.method)).toEqual(['order.place', 'order.status']);
  });

  it('429 with retryAfter (server ms): blocked until then on our clock; 418 without: -1003 and a wait', async () => {
    const throttles: Throttle[] = [];
    const retryAt = Date.now() + 60_000;
    answer = (f) => (f.method === 'order.place' ? { status: 429, error: { code: -1015, msg: 'Too many new orders.', data: { retryAfter: retryAt + 2_000 } } } : { status: 418, error: { msg: 'banned' } });
    const c = await client({ time: { serverNowMs: () => Date.now() + 2_000, serverOffsetMs: 2_000 }, onThrottle: (t) => throttles.push(t) });
    expect(await c.request(place)).toEqual({ kind: 'throttled', untilUs: retryAt * 1000, code: -1015, cause: 'order.place: status 429: Too many new orders.' });
    expect(throttles).toEqual([expect.objectContaining({ httpStatus: 429, code: -1015, untilUs: retryAt * 1000 })]);
    expect(await c.request(status)).toMatchObject({ kind: 'throttled', code: -1003, cause: 'Binance asked us to wait (429/418)' });
    expect(frames).toHaveLength(1);
  });

  it('418 without a code nor retryAfter: -1003, blocked until the ban time its message names', async () => {
    const throttles: Throttle[] = [];
    const banUntil = Date.now() + 300_000;
    answer = () => ({ status: 418, error: { msg: `Way too many requests; IP banned until ${banUntil}.` } });
    const c = await client({ onThrottle: (t) => throttles.push(t) });
    expect(await c.request(status)).toEqual({ kind: 'throttled', untilUs: banUntil * 1000, code: -1003, cause: `order.status: status 418: Way too many requests; IP banned until ${banUntil}.` });
    expect(throttles).toEqual([expect.objectContaining({ httpStatus: 418, code: -1003, untilUs: banUntil * 1000 })]);
  });
});

describe('not connected', () => {
  it('before start: refused as not sent (code 0) with the state, nothing written', async () => {
    const c = new WsApiClient({ url, signer, time: { serverNowMs: () => Date.now(), serverOffsetMs: 0 }, clock: new WallClock(), timers: wallTimers });
    clients.push(c);
    expect(await c.request(place)).toEqual({ kind: 'throttled', untilUs: expect.any(Number), code: 0, cause: 'ws-fapi not connected (idle)' });
    await c.close();
    expect(await c.request(place)).toEqual({ kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: 'client closed' });
    expect(frames).toEqual([]);
    expect(c.stats.requests).toBe(0);
  });

  it('a URL that is not a URL fails at construction, naming it', () => {
    expect(() => new WsApiClient({ url: 'nope', signer, time: { serverNowMs: () => 0, serverOffsetMs: 0 }, clock: new WallClock(), timers: wallTimers })).toThrow('ws-fapi url "nope": not a URL (want ws://host:port/ws-fapi/v1 or wss://…)');
  });
});

describe('the connection', () => {
  it('a drop with requests outstanding: each unknown at once, none re-sent; refused while reconnecting; open again after the backoff', async () => {
    const states: string[] = [];
    const c = await client({ backoffMs: 300, timeoutMs: 10_000, onState: (s) => states.push(s) });
    const a = c.request(place);
    const b = c.request(status);
    await until('two frames', () => frames.length === 2);
    sockets.at(-1)!.terminate();
    expect(await a).toEqual({ kind: 'unknown', cause: 'order.place: connection closed (1006) with the request in flight' });
    expect(await b).toEqual({ kind: 'unknown', cause: 'order.status: connection closed (1006) with the request in flight' });
    expect(c.state).toBe('reconnecting');
    expect(await c.request(place)).toEqual({ kind: 'throttled', untilUs: expect.any(Number), code: 0, cause: 'ws-fapi not connected (reconnecting)' });
    await until('reconnected', () => c.state === 'open');
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(c.stats).toMatchObject({ connects: 2, drops: 1, aborted: 2, requests: 2, replies: 0, timeouts: 0 });
    expect(frames).toHaveLength(2);
  });

  it('close(): outstanding requests unknown, a close frame (1000), later requests refused', async () => {
    const c = await client({ timeoutMs: 10_000 });
    const server = sockets.at(-1)!;
    const closeCode = new Promise<number>((r) => server.once('close', (code) => r(code)));
    const a = c.request(place);
    await until('the frame', () => frames.length === 1);
    await c.close();
    expect(await a).toEqual({ kind: 'unknown', cause: 'order.place: client closed with the request in flight' });
    expect(await closeCode).toBe(1000);
    expect(c.state).toBe('closed');
    expect(c.stats).toMatchObject({ aborted: 1, drops: 0 });
    expect(await c.request(status)).toEqual({ kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: 'client closed' });
  });
});

describe('more frames', () => {
  it("rateLimits raise the budget's counts to Binance's; malformed entries are skipped", async () => {
    answer = () => ({
      status: 200,
      result: {},
      rateLimits: [
        null,
        7,
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, count: 321 },
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 1, count: 5000 },
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 5, count: 5000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, count: 33 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 1, count: 5000 },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, count: 444 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, count: 5000 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 1, count: 5000 },
        // After the real ones (a later entry would overwrite): a count that is not a number, and
        // entries that match two of the three keys of a counted limit.
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, count: '999' },
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, count: 5000 },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 10, count: 5000 },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 5, count: 5000 },
      ],
    });
    const c = await client();
    await c.request(status);
    expect(c.budget.counts).toMatchObject({ usedWeight1m: 321, orderCount10s: 33, orderCount1m: 444 });
  });

  it('a 429 without an error object, a 429 carrying -1021 (a wait, never a re-send), a retryAfter of 1e999', async () => {
    const c = await client({ time: { serverNowMs: () => Date.now(), serverOffsetMs: 0, syncTime: async () => undefined } });
    answer = () => ({ status: 429 });
    expect(await c.request(status)).toMatchObject({ kind: 'throttled', code: -1003, cause: 'order.status: status 429: ' });
    const c2 = await client({ time: { serverNowMs: () => Date.now(), serverOffsetMs: 0, syncTime: async () => undefined } });
    frames.length = 0;
    answer = () => ({ status: 429, error: { code: -1021, msg: 'x', data: { retryAfter: Date.now() + 1_000 } } });
    expect(await c2.request(place)).toMatchObject({ kind: 'throttled', code: -1021 });
    expect(frames).toHaveLength(1);
    expect(c2.stats.resigned).toBe(0);
    const c3 = await client();
    answer = (f) => `{"id":${f.id},"status":429,"error":{"code":-1003,"msg":"x","data":{"retryAfter":1e999}}}`;
    const r = await c3.request(status);
    expect(r.kind === 'throttled' && Number.isFinite(r.untilUs)).toBe(true);
  });

  it('refused while connecting; an id:null frame with error null, and a long message cut to 200 characters', async () => {
    const c = new WsApiClient({ url, signer, time: { serverNowMs: () => Date.now(), serverOffsetMs: 0 }, clock: new WallClock(), timers: wallTimers });
    clients.push(c);
    const started = c.start();
    expect(c.state).toBe('connecting');
    expect(await c.request(place)).toMatchObject({ kind: 'throttled', code: 0, cause: 'ws-fapi not connected (connecting)' });
    await started;
    const s = sockets.at(-1)!;
    s.send(JSON.stringify({ id: null, status: 400, error: null }));
    s.send(JSON.stringify({ id: null, status: 400, error: { code: -1, msg: 'y'.repeat(300) } }));
    await until('two unmatched', () => c.stats.unmatched === 2);
    expect(c.stats.lastError).toBe(`frame without a request: -1 ${'y'.repeat(200)}`);
    expect(frames).toEqual([]);
  });
});
