// The WebSocket API (/ws-fapi/v1): signed over the sorted params, ids echoed as sent, the same
// order logic and codes as REST, rate limits in each reply unless turned off; and ccxt pro's
// createOrderWs / cancelOrderWs unmodified.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacHex } from '../../src/exchange-fake/index.ts';
import { ACCOUNT, ccxtPro, closePro, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;

beforeAll(async () => {
  h = await startExchange();
}, 30_000);

afterAll(async () => {
  await h?.close();
});

async function api(query = '') {
  const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws-fapi/v1${query}`);
  const replies = new Map<string, Record<string, unknown>>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    replies.set(JSON.stringify(m.id), m);
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const call = async (id: unknown, method: string, params: Record<string, unknown>, sign = true, secret = ACCOUNT.secret) => {
    const p: Record<string, unknown> = { ...params };
    if (sign) {
      p.apiKey = ACCOUNT.apiKey;
      p.timestamp = Date.now();
      const payload = Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&');
      p.signature = hmacHex(secret, payload);
    }
    ws.send(JSON.stringify({ id, method, params: p }));
    const end = Date.now() + 5_000;
    while (!replies.has(JSON.stringify(id))) {
      if (Date.now() > end) throw new Error(`no reply to ${method}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return replies.get(JSON.stringify(id))! as { id: unknown; status: number; result?: Record<string, unknown>; error?: { code: number; msg: string }; rateLimits?: unknown[] };
  };
  return { ws, call };
}

describe('ws-fapi', () => {
  it('places, queries and cancels an order; ids of any type come back as sent', async () => {
    const { ws, call } = await api();
    const bid = Number(((await (await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string }).bidPrice);
    const place = await call('a-1', 'order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price: (Math.floor(bid) - 300).toFixed(1), newClientOrderId: 'ws1' });
    expect(place.status).toBe(200);
    expect(place.id).toBe('a-1');
    expect(place.result).toMatchObject({ clientOrderId: 'ws1', status: 'NEW', type: 'LIMIT', timeInForce: 'GTX' });
    expect(place.rateLimits).toEqual([
      expect.objectContaining({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE' }),
      expect.objectContaining({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10 }),
      expect.objectContaining({ rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1 }),
    ]);
    const st = await call(42, 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ws1' });
    expect([st.id, st.result?.status]).toEqual([42, 'NEW']);
    const cx = await call(null, 'order.cancel', { symbol: 'BTCUSDT', orderId: place.result!.orderId });
    expect([cx.id, cx.result?.status]).toEqual([null, 'CANCELED']);
    const again = await call(43, 'order.cancel', { symbol: 'BTCUSDT', orderId: place.result!.orderId });
    expect([again.status, again.error?.code]).toEqual([400, -2011]);
    ws.close();
  });

  it('refuses a bad signature (-1022), an HMAC session.logon (-4056), unknown methods; omits rate limits when asked', async () => {
    const { ws, call } = await api('?returnRateLimits=false');
    const bad = await call(1, 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'x' }, true, 'wrong');
    expect([bad.status, bad.error?.code]).toEqual([400, -1022]);
    expect(bad.rateLimits).toBeUndefined();
    const logon = await call(2, 'session.logon', { apiKey: ACCOUNT.apiKey }, false);
    expect(logon.error?.code).toBe(-4056);
    const unknown = await call(3, 'order.teleport', {}, false);
    expect(unknown.error?.msg).toMatch(/Unknown method/);
    const lk = await call(4, 'userDataStream.start', { apiKey: ACCOUNT.apiKey }, false);
    expect(lk.result?.listenKey).toMatch(/^[A-Za-z0-9]{64}$/);
    ws.close();
  });

  it("ccxt pro's createOrderWs and cancelOrderWs work unmodified", async () => {
    const c = await ccxtPro(h.base);
    try {
      const ob = await c.fetchOrderBook('BTC/USDT:USDT', 5);
      const o = await c.createOrderWs('BTC/USDT:USDT', 'limit', 'sell', 0.01, ob.asks[0][0]! + 300, { postOnly: true });
      expect(o.status).toBe('open');
      const cx = await c.cancelOrderWs(o.id!, 'BTC/USDT:USDT');
      expect(cx.status).toBe('canceled');
    } finally {
      await closePro(c);
    }
  }, 30_000);
});
