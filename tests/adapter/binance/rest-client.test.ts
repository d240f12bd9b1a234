// The signed REST client (src/adapter/binance/rest.ts) with an injected fetch, clock and timers (no
// network, no wall time): the exact request written (signature over the exact query, timestamp and
// recvWindow added at the moment of sending, after any time sync, the API key as a header), the
// outcome of every status × code that matters for money (accepted / definitive refusal / unknown /
// not sent), the single -1021 re-sign, the time sync interval, the timeout and close() paths
// (unknown, never re-sent), the network error causes without the URL, and the weight headers.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BinanceRest, Signer, UNKNOWN_OUTCOME_CODES, type RequestSpec, type RestClientOptions, type RestOutcome, type Throttle, type Timers } from '../../../src/adapter/binance/index.ts';

const SECRET = 'unitSecretQQ1w2e3r4t5y6u7i8o9p';
const signer = new Signer({ apiKey: 'unitKeyAAAA', keyType: 'HMAC', secret: SECRET });
const hmac = (q: string) => createHmac('sha256', SECRET).update(q).digest('hex');

/** Timers fired by hand. */
class ManualTimers implements Timers {
  private next = 0;
  readonly pending = new Map<number, { ms: number; f: () => void }>();
  after(ms: number, f: () => void): unknown {
    this.pending.set(++this.next, { ms, f });
    return this.next;
  }
  cancel(h: unknown): void {
    this.pending.delete(h as number);
  }
  fireAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.f();
  }
}

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The clock when fetch was called, µs. */
  atUs: number;
  signal: AbortSignal;
}

type Reply = { status: number; body: string; headers?: Record<string, string> } | 'hang' | Error | ((s: Sent) => Reply);

/** A client on a scripted fetch: each request takes the next reply. */
function setup(script: Reply[], o: Partial<RestClientOptions> = {}, startUs = 1_700_000_000_000_000) {
  const clock = { us: startUs, nowUs: () => clock.us };
  const timers = new ManualTimers();
  const sent: Sent[] = [];
  const throttles: Throttle[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    const s: Sent = { url: String(url), method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) }, atUs: clock.us, signal: init!.signal! };
    sent.push(s);
    let r: Reply | undefined = script.shift();
    while (typeof r === 'function') r = r(s);
    if (r === undefined) throw new Error('script ran out');
    if (r === 'hang')
      return new Promise<Response>((_, reject) => {
        s.signal.addEventListener('abort', () => reject(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })));
      });
    if (r instanceof Error) throw r;
    return new Response(r.body, { status: r.status, headers: { 'content-type': 'application/json', ...r.headers } });
  }) as typeof fetch;
  const rest = new BinanceRest({ baseUrl: 'http://venue.test', signer, clock, timers, fetch: fetchFn, onThrottle: (t) => throttles.push(t), ...o });
  return { rest, clock, timers, sent, throttles };
}

const json = (status: number, body: unknown, headers?: Record<string, string>) => ({ status, body: JSON.stringify(body), headers });
const order: RequestSpec = { method: 'POST', path: '/fapi/v1/order', params: { symbol: 'BTCUSDT', side: 'BUY', newClientOrderId: 'mk-1' }, signed: true, weight: 0, order: true };
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('what a signed request writes', () => {
  it('the parameters, recvWindow and the server timestamp, then the HMAC of exactly that query; the API key as a header only', async () => {
    const { rest, sent } = setup([json(200, { orderId: 1 })], { serverOffsetMs: 1234 }, 1_700_000_000_000_999);
    expect(await rest.request(order)).toEqual({ kind: 'ok', status: 200, body: { orderId: 1 } });
    expect(sent).toHaveLength(1);
    const q = 'symbol=BTCUSDT&side=BUY&newClientOrderId=mk-1&recvWindow=5000&timestamp=1700000001234';
    expect(sent[0].url).toBe(`http://venue.test/fapi/v1/order?${q}&signature=${hmac(q)}`);
    expect(sent[0].method).toBe('POST');
    expect(sent[0].headers).toEqual({ 'x-mbx-apikey': 'unitKeyAAAA' });
    expect(rest.stats.requests).toBe(1);
  });

  it('recvWindow as configured', async () => {
    const { rest, sent } = setup([json(200, {})], { serverOffsetMs: 0, recvWindowMs: 2500 });
    await rest.request(order);
    expect(new URL(sent[0].url).searchParams.get('recvWindow')).toBe('2500');
  });

  it('signed at the moment of sending: after the time sync the first signed request needs, with the new offset and the clock then', async () => {
    let t0 = 0;
    const { rest, clock, sent } = setup([
      (s) => {
        // GET /fapi/v1/time answers after 2 s; the server is 30 s ahead of the midpoint.
        t0 = s.atUs;
        clock.us += 2_000_000;
        return json(200, { serverTime: Math.floor(t0 / 1000) + 1000 + 30_000 });
      },
      json(200, { orderId: 2 }),
    ]);
    const r = await rest.request(order);
    expect(r.kind).toBe('ok');
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(['/fapi/v1/time', '/fapi/v1/order']);
    expect(sent[0].url).toBe('http://venue.test/fapi/v1/time');
    expect(sent[0].method).toBe('GET');
    expect(rest.serverOffsetMs).toBe(30_000);
    expect(rest.stats.timeSyncs).toBe(1);
    const p = new URL(sent[1].url).searchParams;
    expect(Number(p.get('timestamp'))).toBe(Math.floor(t0 / 1000) + 2000 + 30_000);
    const q = sent[1].url.split('?')[1].replace(/&signature=.*$/, '');
    expect(p.get('signature')).toBe(hmac(q));
  });

  it('an unsigned request carries nothing of the key; apiKey alone sends the header without a signature', async () => {
    const { rest, sent } = setup([json(200, {}), json(200, { listenKey: 'x' }), json(200, {})]);
    await rest.request({ method: 'GET', path: '/fapi/v1/ping' });
    await rest.request({ method: 'POST', path: '/fapi/v1/listenKey', apiKey: true });
    await rest.request({ method: 'GET', path: '/fapi/v1/depth', params: { symbol: 'BTCUSDT', limit: 5 } });
    expect(sent.map((s) => [s.url, s.method, s.headers])).toEqual([
      ['http://venue.test/fapi/v1/ping', 'GET', {}],
      ['http://venue.test/fapi/v1/listenKey', 'POST', { 'x-mbx-apikey': 'unitKeyAAAA' }],
      ['http://venue.test/fapi/v1/depth?symbol=BTCUSDT&limit=5', 'GET', {}],
    ]);
    // No time sync for unsigned requests.
    expect(rest.stats.timeSyncs).toBe(0);
  });

  it('no API key configured: a signed or keyed request is refused (-2015) without being sent', async () => {
    const { rest, sent } = setup([], { signer: undefined, serverOffsetMs: 0 });
    expect(await rest.request(order)).toEqual({ kind: 'rejected', status: 0, code: -2015, msg: 'POST /fapi/v1/order: no API key configured' });
    expect(await rest.request({ method: 'POST', path: '/fapi/v1/listenKey', apiKey: true })).toMatchObject({ kind: 'rejected', code: -2015 });
    expect(sent).toEqual([]);
  });
});

describe('the time offset', () => {
  it('re-measured when older than the interval, and only then', async () => {
    const serverTime = (s: Sent) => json(200, { serverTime: Math.floor(s.atUs / 1000) + 500 });
    const { rest, clock, sent } = setup([json(200, {}), json(200, {}), serverTime, json(200, {})], { serverOffsetMs: 0, timeSyncIntervalMs: 60_000 });
    await rest.request(order);
    clock.us += 60_000_000; // exactly the interval: not older
    await rest.request(order);
    clock.us += 1;
    await rest.request(order);
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(['/fapi/v1/order', '/fapi/v1/order', '/fapi/v1/time', '/fapi/v1/order']);
    expect(rest.serverOffsetMs).toBe(500);
  });

  it('default interval 10 min', async () => {
    const { rest, clock, sent } = setup([json(200, {}), json(200, {}), json(200, { serverTime: 1 }), json(200, {})], { serverOffsetMs: 0 });
    await rest.request(order);
    clock.us += 600_000_000;
    await rest.request(order);
    clock.us += 1;
    await rest.request(order);
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(['/fapi/v1/order', '/fapi/v1/order', '/fapi/v1/time', '/fapi/v1/order']);
  });

  it('syncTime: serverTime minus the midpoint of send and receive, rounded; a reply without a usable serverTime keeps the old offset', async () => {
    const { rest, clock } = setup(
      [
        () => {
          clock.us += 3_000; // 3 ms round trip: midpoint 1.5 ms after sending
          return json(200, { serverTime: 1_700_000_000_100 });
        },
        json(200, { serverTime: 'soon' }),
        { status: 200, body: '{"serverTime":1e999}' }, // JSON.parse gives Infinity
        json(500, { code: -1000, msg: 'x' }),
      ],
      {},
      1_700_000_000_000_000,
    );
    expect((await rest.syncTime()).kind).toBe('ok');
    expect(rest.serverOffsetMs).toBe(Math.round(1_700_000_000_100 - 1_700_000_000_001.5)); // 98.5 → 99
    expect(rest.serverOffsetMs).toBe(99);
    for (let i = 0; i < 3; i++) await rest.syncTime();
    expect(rest.serverOffsetMs).toBe(99);
    expect(rest.stats.timeSyncs).toBe(1);
    expect(rest.serverNowMs()).toBe(Math.floor(clock.us / 1000) + 99);
  });

  it('a failed sync before a signed request: sent anyway with the old offset', async () => {
    const { rest, sent } = setup([json(500, { code: -1000, msg: 'busy' }), json(200, { orderId: 3 })]);
    expect(await rest.request(order)).toMatchObject({ kind: 'ok', body: { orderId: 3 } });
    expect(sent).toHaveLength(2);
  });

  it('the time endpoint itself never waits for a sync', async () => {
    const { rest, sent } = setup([json(200, { serverTime: 5 })]);
    await rest.request({ method: 'GET', path: '/fapi/v1/time', signed: true });
    expect(sent).toHaveLength(1);
  });
});

describe('-1021: re-measured and re-signed once', () => {
  it('a second request with a fresh timestamp and signature; its outcome is the answer', async () => {
    const { rest, clock, sent } = setup(
      [
        json(400, { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." }),
        (s) => json(200, { serverTime: Math.floor(s.atUs / 1000) + 7_000 }),
        (s) => {
          clock.us += 1_000;
          return json(200, { orderId: 4, at: s.atUs });
        },
      ],
      { serverOffsetMs: 0 },
    );
    const r = await rest.request(order);
    expect(r).toMatchObject({ kind: 'ok', body: { orderId: 4 } });
    expect(rest.stats.resigned).toBe(1);
    const [first, , second] = sent.map((s) => new URL(s.url).searchParams);
    expect(Number(second.get('timestamp')) - Number(first.get('timestamp'))).toBe(7_000);
    expect(second.get('signature')).not.toBe(first.get('signature'));
    expect(sent.filter((s) => s.url.includes('/fapi/v1/order'))).toHaveLength(2);
  });

  it('-1021 again: the refusal, no third request', async () => {
    const r1021 = json(400, { code: -1021, msg: 'outside recvWindow' });
    const { rest, sent } = setup([r1021, json(200, { serverTime: 1 }), r1021], { serverOffsetMs: 0 });
    expect(await rest.request(order)).toEqual({ kind: 'rejected', status: 400, code: -1021, msg: 'outside recvWindow' });
    expect(sent).toHaveLength(3);
    expect(rest.stats.resigned).toBe(1);
  });

  it('a 429 carrying -1021 is a wait, not a re-sign: nothing more is sent', async () => {
    const { rest, sent } = setup([json(429, { code: -1021, msg: 'x' }, { 'retry-after': '1' }), json(200, { serverTime: 1 }), json(200, {})], { serverOffsetMs: 0 });
    expect(await rest.request(order)).toMatchObject({ kind: 'throttled', code: -1021 });
    expect(sent).toHaveLength(1);
    expect(rest.stats.resigned).toBe(0);
  });

  it('an unsigned request answered -1021 is not re-sent; another refusal is not re-sent either', async () => {
    const { rest, sent } = setup([json(400, { code: -1021, msg: 'x' }), json(400, { code: -2011, msg: 'Unknown order sent.' })], { serverOffsetMs: 0 });
    expect(await rest.request({ method: 'GET', path: '/fapi/v1/ping' })).toMatchObject({ kind: 'rejected', code: -1021 });
    expect(await rest.request(order)).toMatchObject({ kind: 'rejected', code: -2011 });
    expect(sent).toHaveLength(2);
    expect(rest.stats.resigned).toBe(0);
  });
});

describe('outcomes: accepted, refused, unknown', () => {
  const cases: [string, Reply, RestOutcome][] = [
    ['200 JSON', json(200, { a: 1 }), { kind: 'ok', status: 200, body: { a: 1 } }],
    ['299 JSON', json(299, { a: 1 }), { kind: 'ok', status: 299, body: { a: 1 } }],
    ['200 not JSON', { status: 200, body: 'ok!' }, { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 200 with a reply that is not JSON' }],
    ['200 JSON null', { status: 200, body: 'null' }, { kind: 'ok', status: 200, body: null }],
    ['400 -2011', json(400, { code: -2011, msg: 'Unknown order sent.' }), { kind: 'rejected', status: 400, code: -2011, msg: 'Unknown order sent.' }],
    ['499 -4164', json(499, { code: -4164, msg: 'min notional' }), { kind: 'rejected', status: 499, code: -4164, msg: 'min notional' }],
    ['400 -2013', json(400, { code: -2013, msg: 'Order does not exist.' }), { kind: 'rejected', status: 400, code: -2013, msg: 'Order does not exist.' }],
    ['400 code without msg', json(400, { code: -1102 }), { kind: 'rejected', status: 400, code: -1102, msg: '{"code":-1102}' }],
    ['400 -1000', json(400, { code: -1000, msg: 'An unknown error occured while processing the request.' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 400 code -1000: An unknown error occured while processing the request.' }],
    ['400 -1001', json(400, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 400 code -1001: Internal error; unable to process your request. Please try again.' }],
    ['400 -1006', json(400, { code: -1006, msg: 'An unexpected response was received from the message bus. Execution status unknown.' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 400 code -1006: An unexpected response was received from the message bus. Execution status unknown.' }],
    ['408 -1007', json(408, { code: -1007, msg: 'Timeout waiting for response from backend server.' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 408 code -1007: Timeout waiting for response from backend server.' }],
    ['400 not JSON', { status: 400, body: 'Bad Request' }, { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 400: Bad Request' }],
    ['400 code a string', json(400, { code: '-2011', msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 400: {"code":"-2011","msg":"x"}' }],
    ['399 JSON code', json(399, { code: -2011, msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 399 code -2011: x' }],
    ['500 -2011', json(500, { code: -2011, msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 500 code -2011: x' }],
    ['300 JSON', json(300, { a: 1 }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 300: {"a":1}' }],
    ['503 -2011 (only -1008 is a refusal on 503)', json(503, { code: -2011, msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 503 code -2011: x' }],
    ['503 -1008', json(503, { code: -1008, msg: 'Request throttled by system-level protection.' }), { kind: 'rejected', status: 503, code: -1008, msg: 'Request throttled by system-level protection.' }],
    ['500 -1008', json(500, { code: -1008, msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 500 code -1008: x' }],
    ['502 -1008', json(502, { code: -1008, msg: 'x' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 502 code -1008: x' }],
    ['503 -1000', json(503, { code: -1000, msg: 'Unknown error' }), { kind: 'unknown', cause: 'POST /fapi/v1/order: HTTP 503 code -1000: Unknown error' }],
    ['503 text', { status: 503, body: 'x'.repeat(300) }, { kind: 'unknown', cause: `POST /fapi/v1/order: HTTP 503: ${'x'.repeat(200)}` }],
  ];
  for (const [name, reply, want] of cases) {
    it(name, async () => {
      const { rest, sent } = setup([reply], { serverOffsetMs: 0 });
      expect(await rest.request(order)).toEqual(want);
      expect(sent).toHaveLength(1);
    });
  }

  it('the unknown-outcome codes are exactly -1000, -1001, -1006, -1007', () => {
    expect([...UNKNOWN_OUTCOME_CODES].sort((a, b) => a - b)).toEqual([-1007, -1006, -1001, -1000]);
  });
});

describe('429 / 418: not applied, nothing sent until Binance says', () => {
  it('429 with Retry-After: throttled with the code, the block surfaced; the next request is refused locally', async () => {
    const { rest, clock, sent, throttles } = setup([json(429, { code: -1015, msg: 'Too many new orders.' }, { 'retry-after': '3' })], { serverOffsetMs: 0 });
    const t = clock.us;
    expect(await rest.request(order)).toEqual({ kind: 'throttled', untilUs: t + 3_000_000, code: -1015, cause: 'POST /fapi/v1/order: HTTP 429: Too many new orders.' });
    expect(throttles).toEqual([{ tsUs: t, untilUs: t + 3_000_000, httpStatus: 429, code: -1015, reason: 'POST /fapi/v1/order: HTTP 429: Too many new orders.' }]);
    expect(rest.blockedUntil).toBe(t + 3_000_000);
    expect(await rest.request(order)).toMatchObject({ kind: 'throttled', untilUs: t + 3_000_000, code: -1003 });
    expect(sent).toHaveLength(1);
  });

  it('418 without a JSON code: -1003, blocked until the ban time in the message', async () => {
    const { rest, sent } = setup([{ status: 418, body: 'IP banned until 1700000123000.' }], { serverOffsetMs: 0 });
    expect(await rest.request(order)).toEqual({ kind: 'throttled', untilUs: 1_700_000_123_000_000, code: -1003, cause: 'POST /fapi/v1/order: HTTP 418: IP banned until 1700000123000.' });
    expect(sent).toHaveLength(1);
  });
});

describe('a request without a reply', () => {
  it('times out after timeoutMs: unknown, the timer gone, the request not sent again', async () => {
    const { rest, timers, sent } = setup(['hang'], { serverOffsetMs: 0, timeoutMs: 750 });
    const p = rest.request(order);
    await flush();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([750]);
    timers.fireAll();
    expect(await p).toEqual({ kind: 'unknown', cause: 'POST /fapi/v1/order: no reply within 750 ms' });
    expect(sent).toHaveLength(1);
    expect(timers.pending.size).toBe(0);
  });

  it('default timeout 5000 ms; a reply cancels the timer', async () => {
    const { rest, timers } = setup(['hang', json(200, {})], { serverOffsetMs: 0 });
    const p = rest.request(order);
    await flush();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([5000]);
    timers.fireAll();
    expect(await p).toMatchObject({ kind: 'unknown', cause: 'POST /fapi/v1/order: no reply within 5000 ms' });
    await rest.request(order);
    expect(timers.pending.size).toBe(0);
  });

  it('close(): what is in flight becomes unknown at once; later requests are refused without being sent', async () => {
    const { rest, sent } = setup(['hang', 'hang'], { serverOffsetMs: 0 });
    const a = rest.request(order);
    const b = rest.request({ method: 'DELETE', path: '/fapi/v1/order', params: { symbol: 'BTCUSDT', origClientOrderId: 'mk-2' }, signed: true });
    await flush();
    rest.close();
    expect(await a).toEqual({ kind: 'unknown', cause: 'POST /fapi/v1/order: client closed with the request in flight' });
    expect(await b).toEqual({ kind: 'unknown', cause: 'DELETE /fapi/v1/order: client closed with the request in flight' });
    expect(await rest.request(order)).toEqual({ kind: 'throttled', untilUs: Number.POSITIVE_INFINITY, code: 0, cause: 'client closed' });
    expect(sent).toHaveLength(2);
  });

  it('network failures: the error code, never the URL (it carries the signature)', async () => {
    const withCode = Object.assign(new TypeError('fetch failed http://venue.test/fapi/v1/order?signature=abc'), { cause: { code: 'ECONNRESET', message: 'read ECONNRESET' } });
    const noCode = Object.assign(new TypeError('fetch failed http://venue.test/fapi/v1/order?signature=abc'), { cause: { code: 42 } });
    const aborted = Object.assign(new Error('aborted http://venue.test/?signature=abc'), { name: 'AbortError' });
    const { rest } = setup([withCode, noCode, new TypeError('fetch failed'), aborted], { serverOffsetMs: 0 });
    const causes = [];
    for (let i = 0; i < 4; i++) causes.push(await rest.request(order));
    expect(causes).toEqual([
      { kind: 'unknown', cause: 'POST /fapi/v1/order: connection failed (ECONNRESET)' },
      { kind: 'unknown', cause: 'POST /fapi/v1/order: connection failed' },
      { kind: 'unknown', cause: 'POST /fapi/v1/order: connection failed' },
      { kind: 'unknown', cause: 'POST /fapi/v1/order: aborted' },
    ]);
  });
});

describe('the weight and order budget', () => {
  it("Binance's headers raise the counts; a request's weight (default 1) and order count are taken", async () => {
    const { rest } = setup([json(200, {}, { 'x-mbx-used-weight-1m': '37', 'x-mbx-order-count-10s': '4', 'x-mbx-order-count-1m': '9' }), json(200, {})], { serverOffsetMs: 0 });
    await rest.request(order);
    expect(rest.stats).toMatchObject({ usedWeight1m: 37, orderCount10s: 4, orderCount1m: 9 });
    await rest.request({ method: 'GET', path: '/fapi/v1/ping' });
    expect(rest.stats).toMatchObject({ usedWeight1m: 38, orderCount10s: 4, orderCount1m: 9 });
  });

  it('orders are counted only for order requests; a spent budget refuses before sending', async () => {
    const { rest, sent } = setup([json(200, {}), json(200, {})], { serverOffsetMs: 0, orderBudget10s: 1 });
    await rest.request(order);
    await rest.request({ ...order, order: false });
    expect(rest.stats.orderCount10s).toBe(1);
    expect(await rest.request(order)).toMatchObject({ kind: 'throttled' });
    expect(sent).toHaveLength(2);
  });

  it('the budget is per server minute: the offset decides the window', async () => {
    // 59.85 s into a minute by our clock is 0.05 s into the next by the server's (200 ms ahead): a fresh window.
    const { rest, clock } = setup([json(200, {}, { 'x-mbx-used-weight-1m': '1700' }), json(200, {})], { serverOffsetMs: 200, weightBudget1m: 1800 }, 59_700_000);
    await rest.request({ method: 'GET', path: '/fapi/v1/ping', weight: 1 });
    expect(rest.stats.usedWeight1m).toBe(1700);
    clock.us += 150_000;
    expect(await rest.request({ method: 'GET', path: '/fapi/v1/depth', weight: 150 })).toMatchObject({ kind: 'ok' });
  });

  it('a budget handed in is shared: its counts are the stats', async () => {
    const a = setup([json(200, {}, { 'x-mbx-used-weight-1m': '11' })], { serverOffsetMs: 0 });
    await a.rest.request(order);
    const b = setup([], { serverOffsetMs: 0, budget: a.rest.budget });
    expect(b.rest.budget).toBe(a.rest.budget);
    expect(b.rest.stats.usedWeight1m).toBe(11);
    expect(b.rest.stats.requests).toBe(0);
  });
});
