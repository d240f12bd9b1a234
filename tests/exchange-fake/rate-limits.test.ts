// Rate limits as Binance counts them: request weight per IP per minute (per-endpoint weights),
// orders per account per 10 s and 1 min, the X-MBX-* headers on every reply (this request
// included), 429 -1003 with Retry-After, 418 bans escalating for clients that keep sending, -1015
// for orders; REST and ws-fapi on the same counters. The limiter's clock is injected.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { hmacHex, parseRateLimitsFlag, type RateLimitOptions } from '../../src/exchange-fake/index.ts';
import { ACCOUNT, signed } from './helpers.ts';
import { startExchangeWith } from './start-with.ts';

let h: Awaited<ReturnType<typeof startExchangeWith>> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** 30 s into a minute of the limiter's clock. */
let now = 0;
async function start(o: RateLimitOptions = {}) {
  now = Date.UTC(2026, 0, 1, 0, 0, 30);
  h = await startExchangeWith({ rateLimits: { clockMs: () => now, ...o } });
  return h;
}

async function get(path: string) {
  const res = await fetch(`${h!.base}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}
const weight = (r: { headers: Headers }) => Number(r.headers.get('x-mbx-used-weight-1m'));

async function farBid(): Promise<string> {
  const t = await get('/fapi/v1/ticker/bookTicker?symbol=BTCUSDT');
  return (Math.floor(Number(t.json.bidPrice)) - 500).toFixed(1);
}
const order = (price: string, cid: string) => signed(h!.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price, newClientOrderId: cid });

describe('request weight', () => {
  it("every reply carries the IP's weight this minute, this request included, by Binance's endpoint weights", async () => {
    await start();
    expect(weight(await get('/fapi/v1/ping'))).toBe(1);
    expect(weight(await get('/fapi/v1/time'))).toBe(2);
    expect(weight(await get('/fapi/v1/depth?symbol=BTCUSDT&limit=5'))).toBe(4); // 2
    expect(weight(await get('/fapi/v1/depth?symbol=BTCUSDT&limit=100'))).toBe(9); // 5
    expect(weight(await get('/fapi/v1/depth?symbol=BTCUSDT'))).toBe(19); // 500: 10
    expect(weight(await get('/fapi/v1/depth?symbol=BTCUSDT&limit=1000'))).toBe(39); // 20
    expect(weight(await get('/fapi/v1/ticker/bookTicker?symbol=BTCUSDT'))).toBe(41); // 2
    expect(weight(await get('/fapi/v1/ticker/bookTicker'))).toBe(46); // 5 without a symbol
    const unknown = await get('/fapi/v1/nope');
    expect([unknown.status, weight(unknown)]).toEqual([404, 47]); // unknown routes weigh 1
    const bad = await get('/fapi/v1/depth?symbol=NOPE');
    expect([bad.json.code, weight(bad)]).toEqual([-1121, 57]); // refused requests cost their weight too
    const oo = await signed(h!.base, 'GET', '/fapi/v1/openOrders', {});
    expect(weight(oo)).toBe(97); // 40 without a symbol
    const acc = await signed(h!.base, 'GET', '/fapi/v2/account', {});
    expect(weight(acc)).toBe(102);
    const price = await farBid(); // 2
    const placed = await order(price, 'w1');
    expect(placed.status).toBe(200);
    // A new order weighs 0 on the IP and counts 1 on the account's order windows.
    expect([weight(placed), placed.headers.get('x-mbx-order-count-10s'), placed.headers.get('x-mbx-order-count-1m')]).toEqual([104, '1', '1']);
    const cancel = await signed(h!.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'w1' });
    expect([cancel.status, weight(cancel), cancel.headers.get('x-mbx-order-count-10s')]).toEqual([200, 105, null]);
    // The window is the clock's minute: it starts again at :00.
    now += 30_000;
    expect(weight(await get('/fapi/v1/ping'))).toBe(1);
  });

  it('exchangeInfo states the configured limits', async () => {
    await start({ requestWeight1m: 50, orders10s: 7, orders1m: 20 });
    const info = await get('/fapi/v1/exchangeInfo');
    expect(info.json.rateLimits).toEqual([
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 50 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 20 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 7 },
    ]);
  });

  it('over the limit: 429 -1003 with Retry-After to the next minute; keeping on: 418 bans of 2 min, then 4 min', async () => {
    await start({ requestWeight1m: 10, banAfter429s: 2 });
    for (let i = 1; i <= 10; i++) expect((await get('/fapi/v1/ping')).status).toBe(200);
    const r429 = await get('/fapi/v1/ping');
    expect(r429.status).toBe(429);
    expect(r429.json).toEqual({ code: -1003, msg: 'Too many requests; current limit of IP(127.0.0.1) request weight is 10 per minute. Please use WebSocket Streams for live updates to avoid polling the API.' });
    expect(r429.headers.get('retry-after')).toBe('30');
    expect(weight(r429)).toBe(11);
    now += 5_000;
    const again = await get('/fapi/v1/ping');
    expect([again.status, again.headers.get('retry-after')]).toEqual([429, '25']);
    // The third refused request in the window: banned for 2 minutes.
    const ban = await get('/fapi/v1/ping');
    expect(ban.status).toBe(418);
    const until = now + 120_000;
    expect(ban.json).toEqual({ code: -1003, msg: `Way too many requests; IP(127.0.0.1) banned until ${until}. Please use the websocket for live updates to avoid bans.` });
    expect(ban.headers.get('retry-after')).toBe('120');
    // The next minute does not lift the ban; its end does.
    now += 60_000;
    const still = await get('/fapi/v1/exchangeInfo');
    expect([still.status, still.json.code, still.headers.get('retry-after')]).toEqual([418, -1003, '60']);
    now = until;
    expect((await get('/fapi/v1/ping')).status).toBe(200);
    // A repeat offender is banned twice as long.
    for (let i = 0; i < 9; i++) await get('/fapi/v1/ping');
    expect((await get('/fapi/v1/ping')).status).toBe(429);
    expect((await get('/fapi/v1/ping')).status).toBe(429);
    const ban2 = await get('/fapi/v1/ping');
    expect([ban2.status, ban2.headers.get('retry-after')]).toEqual([418, '240']);
  });

  it('bans escalate up to the cap', async () => {
    await start({ requestWeight1m: 1, banAfter429s: 0, firstBanMs: 60_000, maxBanMs: 150_000 });
    const retries: string[] = [];
    for (let i = 0; i < 3; i++) {
      now += 60_000 * 10;
      expect((await get('/fapi/v1/ping')).status).toBe(200);
      const b = await get('/fapi/v1/ping');
      expect(b.status).toBe(418);
      retries.push(b.headers.get('retry-after')!);
    }
    expect(retries).toEqual(['60', '120', '150']);
  });

  it('--rate-limits off counts and reports without refusing; a multiplier scales the limits', async () => {
    await start({ enforce: false, requestWeight1m: 3 });
    let last = await get('/fapi/v1/ping');
    for (let i = 0; i < 9; i++) last = await get('/fapi/v1/ping');
    expect([last.status, weight(last)]).toEqual([200, 10]);
    expect(parseRateLimitsFlag('off')).toEqual({ enforce: false });
    expect(parseRateLimitsFlag('binance')).toEqual({});
    expect(parseRateLimitsFlag('10')).toEqual({ requestWeight1m: 24000, orders10s: 3000, orders1m: 12000 });
    expect(parseRateLimitsFlag('fast')).toMatch(/--rate-limits must be binance, off or a positive multiplier/);
  });
});

describe('order count', () => {
  it('per account per 10 s and per minute: -1015 (429) over either, refused orders not counted', async () => {
    await start({ orders10s: 3, orders1m: 5 });
    const price = await farBid();
    for (let i = 1; i <= 3; i++) {
      const r = await order(price, `o${i}`);
      expect([r.status, r.headers.get('x-mbx-order-count-10s'), r.headers.get('x-mbx-order-count-1m')]).toEqual([200, String(i), String(i)]);
    }
    const over = await order(price, 'o4');
    expect([over.status, over.json]).toEqual([429, { code: -1015, msg: 'Too many new orders; current limit is 3 orders per 10 SECOND.' }]);
    expect(over.headers.get('retry-after')).toBeNull();
    expect(over.headers.get('x-mbx-order-count-10s')).toBe('3');
    // Cancels are not orders: they still go through.
    expect((await signed(h!.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'o1' })).status).toBe(200);
    now += 10_000;
    const mod = await signed(h!.base, 'PUT', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'o2', side: 'BUY', quantity: '0.020', price });
    expect([mod.status, mod.headers.get('x-mbx-order-count-10s'), mod.headers.get('x-mbx-order-count-1m')]).toEqual([200, '1', '4']);
    expect((await order(price, 'o5')).status).toBe(200);
    const overMinute = await order(price, 'o6');
    expect([overMinute.status, overMinute.json]).toEqual([429, { code: -1015, msg: 'Too many new orders; current limit is 5 orders per MINUTE.' }]);
    expect(h!.ex.account(ACCOUNT.apiKey)!.orders.find(undefined, 'o6')).toBeUndefined();
    now += 30_000;
    expect((await order(price, 'o7')).status).toBe(200);
  });
});

describe('ws-fapi on the same counters', () => {
  async function api(query = '') {
    const ws = new WebSocket(`${h!.wsBase}/ws-fapi/v1${query}`);
    const replies: Record<string, unknown>[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const call = async (method: string, params: Record<string, unknown>, sign = false) => {
      const p: Record<string, unknown> = { ...params };
      if (sign) {
        p.apiKey = ACCOUNT.apiKey;
        p.timestamp = Date.now();
        p.signature = hmacHex(ACCOUNT.secret, Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&'));
      }
      const n = replies.length;
      ws.send(JSON.stringify({ id: n, method, params: p }));
      const end = Date.now() + 5_000;
      while (replies.length === n) {
        if (Date.now() > end) throw new Error(`no reply to ${method}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return replies[n] as { status: number; error?: { code: number; msg: string; data?: { retryAfter: number } }; rateLimits?: { rateLimitType: string; count: number; limit: number }[] };
    };
    return { ws, call };
  }

  it('the handshake weighs 5, requests count with REST, order.place counts orders; 429 carries retryAfter', async () => {
    await start({ requestWeight1m: 20, orders10s: 1 });
    await get('/fapi/v1/ping');
    const { ws, call } = await api();
    const price = await farBid(); // weight 1 + 5 + 2 = 8
    const placed = await call('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price, newClientOrderId: 'ws1' }, true);
    expect(placed.status).toBe(200);
    expect(placed.rateLimits).toEqual([
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 20, count: 8 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 1, count: 1 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200, count: 1 },
    ]);
    const second = await call('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price, newClientOrderId: 'ws2' }, true);
    expect([second.status, second.error?.code]).toEqual([429, -1015]);
    const status = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ws1' }, true);
    expect(status.rateLimits?.[0].count).toBe(9);
    expect(weight(await get('/fapi/v1/depth?symbol=BTCUSDT&limit=1000'))).toBe(29);
    const refused = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ws1' }, true);
    expect(refused.status).toBe(429);
    expect(refused.error?.code).toBe(-1003);
    expect(refused.error?.data?.retryAfter).toBe(now + 30_000);
    // A handshake over the limit is refused with the same error before the upgrade.
    const up = await new Promise<number>((resolve) => {
      const w = new WebSocket(`${h!.wsBase}/ws-fapi/v1`);
      w.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      w.on('error', () => {});
    });
    expect(up).toBe(429);
    ws.close();
  });
});
