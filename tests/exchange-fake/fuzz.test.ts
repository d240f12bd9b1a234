// Bad input never breaks the local exchange: random bytes, random methods, paths and params, broken
// JSON, oversized bodies and frames, thrown at REST, ws-fapi and the market streams. After each batch
// a well-formed client on its own connections still gets correct answers, in bounded time; every
// error reply is Binance's {code, msg} with a 4xx status (never a 500). MAKER_FUZZ_RUNS=N runs
// N batches per property instead of the default (e.g. MAKER_FUZZ_RUNS=500 for a long run).
import { connect } from 'node:net';
import WebSocket from 'ws';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacHex } from '../../src/exchange-fake/index.ts';
import { ACCOUNT } from './helpers.ts';
import { startExchangeWith } from './start-with.ts';

const RUNS = Number(process.env.MAKER_FUZZ_RUNS ?? 25);
const TIMEOUT = Math.max(60_000, RUNS * 4_000);

let h: Awaited<ReturnType<typeof startExchangeWith>>;
let port = 0;
/** A well-behaved stream subscriber and ws-fapi client, open through the whole test. */
let streamMessages = 0;
let streamWs: WebSocket;
let apiWs: WebSocket;
const apiReplies = new Map<number, Record<string, unknown>>();
let nextId = 1;

beforeAll(async () => {
  // Rate limits counted, not enforced: the fuzzing client would otherwise get itself (and the control client, same IP) banned.
  h = await startExchangeWith({ rateLimits: { enforce: false } });
  port = Number(new URL(h.base).port);
  streamWs = new WebSocket(`${h.wsBase}/ws/btcusdt@bookTicker`);
  streamWs.on('message', () => streamMessages++);
  apiWs = new WebSocket(`${h.wsBase}/ws-fapi/v1`);
  apiWs.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    apiReplies.set(m.id as number, m);
  });
  await Promise.all([streamWs, apiWs].map((w) => new Promise((r, j) => (w.once('open', r), w.once('error', j)))));
}, 30_000);

afterAll(async () => {
  streamWs?.close();
  apiWs?.close();
  await h?.close();
});

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, j) => setTimeout(() => j(new Error(`${what}: no answer within ${ms} ms`)), ms).unref())]);

/** The control client: REST, ws-fapi and the stream all still answer correctly. */
async function serverStillServes(): Promise<void> {
  const res = await within(fetch(`${h.base}/fapi/v1/time`), 3_000, 'REST time');
  expect(res.status).toBe(200);
  const t = (await res.json()) as { serverTime: number };
  expect(Math.abs(t.serverTime - Date.now())).toBeLessThan(5_000);
  const p: Record<string, unknown> = { symbol: 'BTCUSDT', origClientOrderId: 'never-placed', apiKey: ACCOUNT.apiKey, timestamp: Date.now() };
  p.signature = hmacHex(ACCOUNT.secret, Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&'));
  const id = nextId++;
  apiWs.send(JSON.stringify({ id, method: 'order.status', params: p }));
  await within(
    (async () => {
      while (!apiReplies.has(id)) await new Promise((r) => setTimeout(r, 5));
    })(),
    3_000,
    'ws-fapi order.status',
  );
  expect(apiReplies.get(id)).toMatchObject({ id, status: 400, error: { code: -2013, msg: 'Order does not exist.' } });
  const before = streamMessages;
  await within(
    (async () => {
      while (streamMessages === before) await new Promise((r) => setTimeout(r, 10));
    })(),
    5_000,
    'stream bookTicker',
  );
  expect(streamWs.readyState).toBe(WebSocket.OPEN);
}

/** Binance's error body with a client-error status (a 500 would mean a handler crashed on the input). */
function expectBinanceError(status: number, body: unknown, what: string): void {
  expect([400, 401, 404, 408, 413, 431], `${what}: status ${status} ${JSON.stringify(body)}`).toContain(status);
  expect(body, what).toEqual({ code: expect.any(Number), msg: expect.any(String) });
  expect((body as { code: number }).code, what).toBeLessThan(0);
}

interface RawReply {
  status: number;
  body: string;
}

/** Sends raw bytes as one HTTP request and reads until the server closes (or `ms`). */
function raw(bytes: Buffer, ms = 3_000): Promise<RawReply | null> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`raw request: connection still open after ${ms} ms: ${bytes.subarray(0, 120).toString('latin1')}`));
    }, ms);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m === null) return resolve(null);
      const [head, ...rest] = text.split('\r\n\r\n');
      let body = rest.join('\r\n\r\n');
      if (/transfer-encoding: chunked/i.test(head)) body = dechunk(body);
      resolve({ status: Number(m[1]), body });
    });
    s.end(bytes);
  });
}

function dechunk(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const eol = s.indexOf('\r\n', i);
    const n = parseInt(s.slice(i, eol), 16);
    if (!(n > 0)) break;
    out += s.slice(eol + 2, eol + 2 + n);
    i = eol + 2 + n + 2;
  }
  return out;
}

const PATHS = [
  '/fapi/v1/ping', '/fapi/v1/time', '/fapi/v1/exchangeInfo', '/fapi/v1/depth', '/fapi/v1/ticker/bookTicker', '/fapi/v1/order', '/fapi/v1/openOrders',
  '/fapi/v1/allOpenOrders', '/fapi/v2/account', '/fapi/v3/balance', '/fapi/v2/positionRisk', '/fapi/v1/listenKey', '/fapi/v1/leverageBracket', '/', '/fapi', '/ws-fapi/v1', '/ws',
];
const PARAMS = ['symbol', 'side', 'type', 'timeInForce', 'quantity', 'price', 'newClientOrderId', 'orderId', 'origClientOrderId', 'limit', 'recvWindow', 'timestamp', 'signature', 'reduceOnly', 'newOrderRespType', 'selfTradePreventionMode', 'positionSide'];
const VALUES = ['BTCUSDT', 'btcusdt', 'BUY', 'SELL', 'LIMIT', 'MARKET', 'GTC', 'GTX', 'IOC', 'FOK', '0.001', '0.010', '1e3', '-1', '0', 'NaN', 'Infinity', '100000000000000000000', '60000.1', '1.00000000001', 'true', 'false', '', ' ', '%00', '😀', 'ÿ', '5000', '60001', '9007199254740993'];

const token = fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 12 }));
const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer().map(String), fc.double().map(String));
const params = fc.array(fc.tuple(token, value), { maxLength: 10 });
const encode = (ps: [string, string][]) => ps.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/** Well-formed HTTP with random method, path, params, body and content type: must get a JSON reply. */
const wellFormed = fc.record({
  method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.stringMatching(/^[A-Z]{1,8}$/).filter((m) => m !== 'CONNECT')),
  path: fc.oneof(fc.constantFrom(...PATHS), fc.string({ maxLength: 30 }).map((s) => `/fapi/v1/${encodeURIComponent(s)}`)),
  query: params.map(encode),
  body: fc.oneof(params.map(encode), fc.string({ maxLength: 200 }), fc.constant('')),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
  apiKey: fc.oneof(fc.constant(undefined), fc.constant(ACCOUNT.apiKey), fc.string({ maxLength: 70 }).filter((s) => /^[\x21-\x7e]*$/.test(s))),
});

/** Random params signed with the right secret: they reach the order and account handlers. */
const signedCall = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: fc.constantFrom('/fapi/v1/order', '/fapi/v1/openOrders', '/fapi/v1/allOpenOrders', '/fapi/v2/account', '/fapi/v3/positionRisk', '/fapi/v1/leverageBracket', '/fapi/v1/depth', '/fapi/v1/ticker/bookTicker'),
  params,
  inBody: fc.boolean(),
}).map((c) => ({ ...c, inBody: c.inBody && c.method !== 'GET' }));

function httpRequest(r: { method: string; path: string; query: string; body: string; contentType: string; apiKey?: string }): Buffer {
  const body = Buffer.from(r.body, 'utf8');
  const head = [`${r.method} ${r.path}${r.query === '' ? '' : `?${r.query}`} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', `Content-Length: ${body.length}`];
  if (r.contentType !== '') head.push(`Content-Type: ${r.contentType}`);
  if (r.apiKey !== undefined) head.push(`X-MBX-APIKEY: ${r.apiKey}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

function checkReply(reply: RawReply | null, method: string, what: string): void {
  expect(reply, `${what}: no HTTP reply`).not.toBeNull();
  if (method === 'HEAD') return;
  const body = JSON.parse(reply!.body) as unknown;
  if (reply!.status !== 200) expectBinanceError(reply!.status, body, what);
}

describe('REST', () => {
  it('random methods, paths, params, bodies: a JSON reply to each, a Binance error for each refusal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wellFormed, { minLength: 1, maxLength: 12 }), async (batch) => {
        const replies = await Promise.all(batch.map((r) => raw(httpRequest(r))));
        replies.forEach((rep, i) => checkReply(rep, batch[i].method, JSON.stringify(batch[i])));
        await serverStillServes();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('random params, correctly signed, at the order and account endpoints: 200 or a Binance 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(signedCall, { minLength: 1, maxLength: 12 }), async (batch) => {
        await Promise.all(
          batch.map(async (c) => {
            const payload = `${encode(c.params)}${c.params.length ? '&' : ''}timestamp=${Date.now()}`;
            const sp = `${payload}&signature=${hmacHex(ACCOUNT.secret, payload)}`;
            const res = await within(
              fetch(`${h.base}${c.path}${c.inBody ? '' : `?${sp}`}`, { method: c.method, headers: { 'x-mbx-apikey': ACCOUNT.apiKey, 'content-type': 'application/x-www-form-urlencoded' }, body: c.inBody ? sp : undefined }),
              5_000,
              'signed call',
            );
            const body = (await res.json()) as unknown;
            if (res.status !== 200) expectBinanceError(res.status, body, `${c.method} ${c.path} ${sp}`);
          }),
        );
        await serverStillServes();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('random bytes and broken HTTP: answered or closed, never left hanging', async () => {
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 300 }).map((s) => Buffer.from(`${s}\r\n\r\n`)),
      fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map(([a, b]) => Buffer.from(`GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n${a}: ${b}\r\nConnection: close\r\n\r\n`)),
      fc.nat(1_000_000).map((n) => Buffer.from(`POST /fapi/v1/order HTTP/1.1\r\nHost: x\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\nabc`)),
      fc.constant(Buffer.from(`GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\nConnection: close\r\n\r\n`)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(garbage, { minLength: 1, maxLength: 8 }), async (batch) => {
        const replies = await Promise.all(batch.map((b) => raw(b, 15_000).catch((e: Error) => e)));
        for (const r of replies) {
          // A truncated body (Content-Length larger than sent) waits for the rest: the server's request timeout ends it; we close first.
          if (r instanceof Error) continue;
          if (r !== null && r.status !== 200) expectBinanceError(r.status, JSON.parse(r.body), 'garbage');
        }
        await serverStillServes();
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 3)) },
    );
  }, TIMEOUT);

  it('an oversized body gets 413 -1000 without the server reading it all', async () => {
    for (const size of [64 * 1024 + 1, 4 * 1024 * 1024]) {
      const res = await within(fetch(`${h.base}/fapi/v1/order`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a'.repeat(size) }), 10_000, 'oversized body');
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ code: -1000, msg: 'Request body over 65536 bytes.' });
    }
    await serverStillServes();
  }, 30_000);
});

function wsOpen(path: string): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.wsBase}${path}`);
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

const jsonish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.json({ maxDepth: 2 }).map((s) => s.slice(0, Math.max(1, s.length - 1))),
  fc.constant('['.repeat(20_000) + ']'.repeat(20_000)),
  fc.record({
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.constant(null), fc.constant(undefined), fc.object({ maxDepth: 1 })),
    method: fc.oneof(fc.constantFrom('order.place', 'order.modify', 'order.cancel', 'order.status', 'userDataStream.start', 'userDataStream.ping', 'userDataStream.stop', 'session.logon', 'v2/order.place', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS'), fc.string({ maxLength: 20 }), fc.integer()),
    params: fc.oneof(
      fc.dictionary(token, fc.oneof(value, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }))),
      fc.array(fc.oneof(fc.constantFrom('btcusdt@depth', 'btcusdt@trade', 'BTCUSDT@bookTicker', 'btcusdt@depth@100ms', 'ethusdt@trade'), fc.string({ maxLength: 30 }), fc.integer()), { maxLength: 6 }),
      fc.string({ maxLength: 10 }),
      fc.constant(null),
    ),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
);

describe('ws-fapi', () => {
  it('random frames, broken JSON: one reply each, every error Binance-shaped; the connection stays up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonish, { minLength: 1, maxLength: 15 }), async (frames) => {
        const c = await wsOpen('/ws-fapi/v1');
        for (const f of frames) c.ws.send(f);
        await within(
          (async () => {
            while (c.messages.length < frames.length) await new Promise((r) => setTimeout(r, 5));
          })(),
          5_000,
          `ws-fapi replies to ${frames.length} frames`,
        );
        for (const m of c.messages) {
          const reply = JSON.parse(m) as { status: number; error?: unknown; result?: unknown };
          if (reply.status !== 200) expectBinanceError(reply.status, reply.error, `ws-fapi ${m.slice(0, 300)}`);
        }
        expect(c.ws.readyState).toBe(WebSocket.OPEN);
        c.ws.close();
        await serverStillServes();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

describe('market streams', () => {
  it('random control frames: a {result|error, id} reply each; invalid JSON closes that connection only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonish, { minLength: 1, maxLength: 15 }), async (frames) => {
        const c = await wsOpen('/public/ws');
        let sent = 0;
        let broken = false;
        for (const f of frames) {
          c.ws.send(f);
          sent++;
          if (!isJson(f)) {
            broken = true;
            break;
          }
        }
        if (broken) expect(await within(c.closed, 5_000, 'stream close after invalid JSON')).toBe(1003);
        else
          await within(
            (async () => {
              while (c.messages.filter((m) => !m.includes('"e":')).length < sent) await new Promise((r) => setTimeout(r, 5));
            })(),
            5_000,
            `stream replies to ${sent} frames`,
          );
        for (const m of c.messages) {
          const r = JSON.parse(m) as Record<string, unknown>;
          if ('e' in r) continue; // market data of a stream subscribed by a random SUBSCRIBE
          if ('error' in r) expect(r.error).toEqual({ code: expect.any(Number), msg: expect.any(String) });
          else expect('result' in r).toBe(true);
        }
        c.ws.close();
        await serverStillServes();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

describe('oversized and binary frames', () => {
  it('a frame over 64 KiB closes that connection with 1009; binary frames get an error reply', async () => {
    for (const path of ['/ws-fapi/v1', '/ws']) {
      const c = await wsOpen(path);
      c.ws.send('x'.repeat(64 * 1024 + 1));
      expect(await within(c.closed, 5_000, `${path} oversized frame`)).toBe(1009);
    }
    const api = await wsOpen('/ws-fapi/v1');
    api.ws.send(Buffer.from([0, 1, 2, 255]));
    await within((async () => {
      while (api.messages.length === 0) await new Promise((r) => setTimeout(r, 5));
    })(), 5_000, 'binary frame reply');
    expect(JSON.parse(api.messages[0])).toMatchObject({ id: null, status: 400, error: { code: -1102 } });
    api.ws.close();
    await serverStillServes();
  }, 30_000);
});
