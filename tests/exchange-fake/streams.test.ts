// The local exchange's WebSocket market streams: path styles, the SUBSCRIBE protocol, and a book
// that a real client (ccxt pro's watchOrderBook: REST snapshot + diff stream with Binance's
// algorithm) builds identical to the replayed book.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, ccxtPro, closePro, signed, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;
/** Top 10 levels of the replayed book after each depth diff, by its final update id. */
const seen = new Map<number, string>();

function top(side: 'bid' | 'ask'): [number, number][] {
  const inst = h.ex.instruments.get('BTCUSDT')!;
  return h.ex.book('BTCUSDT')!.topLevels(side, 10).map((l) => [Number(inst.ticksToPrice(l.priceTicks)), Number(inst.lotsToQty(l.qtyLots))]);
}

beforeAll(async () => {
  h = await startExchange();
  h.ex.onMarket((e) => {
    if (e.type === 'depth') seen.set(e.finalUpdateId, JSON.stringify({ bids: top('bid'), asks: top('ask') }));
  });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

const wsUrl = (path: string) => `${h.base.replace('http', 'ws')}${path}`;

function client(path: string): Promise<{ ws: WebSocket; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(path));
    const messages: unknown[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('market streams', () => {
  it('combined /stream?streams= frames carry {stream, data}; raw /ws/<stream> frames the bare payload', async () => {
    const a = await client('/public/stream?streams=btcusdt@bookTicker/btcusdt@trade');
    const b = await client('/ws/btcusdt@bookTicker');
    await until(() => a.messages.length > 5 && b.messages.length > 5);
    const f = a.messages[0] as { stream: string; data: { e: string; s: string } };
    expect(['btcusdt@bookTicker', 'btcusdt@trade']).toContain(f.stream);
    expect(f.data.s).toBe('BTCUSDT');
    const r = b.messages[0] as { e: string; u: number; b: string; a: string; E: number };
    expect(r.e).toBe('bookTicker');
    expect(Number(r.b)).toBeLessThan(Number(r.a));
    expect(Math.abs(r.E - Date.now())).toBeLessThan(5_000); // server time, not the data's
    a.ws.close();
    b.ws.close();
  });

  it('answers SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS with the id as given; refuses unknown streams; closes on invalid JSON', async () => {
    const c = await client('/market/ws');
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@depth'], id: 'a1' }));
    await until(() => c.messages.some((m) => (m as { id?: unknown }).id === 'a1'));
    expect(c.messages.find((m) => (m as { id?: unknown }).id === 'a1')).toEqual({ result: null, id: 'a1' });
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 7 }));
    await until(() => c.messages.some((m) => (m as { id?: unknown }).id === 7));
    expect(c.messages.find((m) => (m as { id?: unknown }).id === 7)).toEqual({ result: ['btcusdt@aggTrade', 'btcusdt@depth'], id: 7 });
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['dogeusdt@trade'], id: 8 }));
    await until(() => c.messages.some((m) => (m as { id?: unknown }).id === 8));
    expect((c.messages.find((m) => (m as { id?: unknown }).id === 8) as { error: { code: number; msg: string } }).error.code).toBe(2);
    await until(() => c.messages.some((m) => (m as { e?: string }).e === 'depthUpdate'));
    const d = c.messages.find((m) => (m as { e?: string }).e === 'depthUpdate') as { U: number; u: number; pu: number };
    expect(d.U).toBeLessThanOrEqual(d.u);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send('{not json');
    expect(await closed).toBe(1003);
    await until(() => c.messages.some((m) => (m as { error?: { code: number } }).error?.code === 3));
  });

  it('chains each depth stream: every message has pu = the previous u', async () => {
    const c = await client('/public/stream?streams=btcusdt@depth@100ms/btcusdt@depth@0ms/btcusdt@depth');
    await until(() => c.messages.filter((m) => (m as { stream: string }).stream === 'btcusdt@depth').length >= 4, 8_000);
    c.ws.close();
    for (const s of ['btcusdt@depth@100ms', 'btcusdt@depth@0ms', 'btcusdt@depth']) {
      const msgs = c.messages.filter((m) => (m as { stream: string }).stream === s).map((m) => (m as { data: { U: number; u: number; pu: number } }).data);
      expect(msgs.length).toBeGreaterThan(2);
      for (let i = 1; i < msgs.length; i++) expect(msgs[i].pu).toBe(msgs[i - 1].u);
    }
  });

  it("ccxt pro's watchOrderBook builds the replayed book exactly", async () => {
    const c = await ccxtPro(h.base);
    try {
      let checked = 0;
      for (let i = 0; i < 40 && checked < 5; i++) {
        const ob = await c.watchOrderBook('BTC/USDT:USDT');
        const ours = seen.get(ob.nonce!);
        if (ours === undefined) continue;
        expect(JSON.stringify({ bids: ob.bids.slice(0, 10), asks: ob.asks.slice(0, 10) })).toBe(ours);
        checked++;
      }
      expect(checked).toBe(5);
    } finally {
      await closePro(c);
    }
  }, 30_000);
});

describe('user data stream', () => {
  it('listenKey POST / PUT / DELETE with the API key only; -1125 for a key that is gone; -2015 without a key', async () => {
    const post = async (method: string, key: string | null = ACCOUNT.apiKey) => {
      const r = await fetch(`${h.base}/fapi/v1/listenKey`, { method, headers: key === null ? {} : { 'x-mbx-apikey': key } });
      return { status: r.status, json: (await r.json()) as { listenKey?: string; code?: number } };
    };
    const a = await post('POST');
    expect(a.json.listenKey).toMatch(/^[A-Za-z0-9]{64}$/);
    expect((await post('POST')).json.listenKey).toBe(a.json.listenKey); // the live key, extended
    expect((await post('PUT')).json).toEqual({ listenKey: a.json.listenKey });
    expect((await post('DELETE')).json).toEqual({});
    expect((await post('PUT')).json.code).toBe(-1125);
    expect((await post('POST', null)).json.code).toBe(-2015);
  });

  it("ccxt pro's watchOrders sees our order's NEW and CANCELED from ORDER_TRADE_UPDATE", async () => {
    const c = await ccxtPro(h.base);
    try {
      const first = c.watchOrders('BTC/USDT:USDT');
      await new Promise((r) => setTimeout(r, 500)); // the user stream is connected
      const ob = await c.fetchOrderBook('BTC/USDT:USDT', 5);
      const o = await c.createOrder('BTC/USDT:USDT', 'limit', 'sell', 0.01, ob.asks[0][0]! + 300, { postOnly: true });
      const seenNew = await first;
      expect(seenNew.map((x) => [x.id, x.status])).toContainEqual([o.id, 'open']);
      const next = c.watchOrders('BTC/USDT:USDT');
      await c.cancelOrder(o.id!, 'BTC/USDT:USDT');
      const seenCancel = await next;
      expect(seenCancel.find((x) => x.id === o.id)?.status).toBe('canceled');
    } finally {
      await closePro(c);
    }
  }, 30_000);

  it('pushes ORDER_TRADE_UPDATE and TRADE_LITE for a fill, and listenKeyExpired when the key expires', async () => {
    const lk = ((await (await fetch(`${h.base}/fapi/v1/listenKey`, { method: 'POST', headers: { 'x-mbx-apikey': ACCOUNT.apiKey } })).json()) as { listenKey: string }).listenKey;
    const u = await client(`/private/ws?listenKey=${lk}`);
    const r = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002', newClientOrderId: 'mkt1' });
    expect(r.status).toBe(200);
    await until(() => u.messages.some((m) => (m as { e: string; o?: { x: string } }).e === 'ORDER_TRADE_UPDATE' && (m as { o: { X: string } }).o.X === 'FILLED'));
    const kinds = u.messages.map((m) => (m as { e: string }).e);
    expect(kinds).toContain('TRADE_LITE');
    const fill = u.messages.find((m) => (m as { o?: { X: string } }).o?.X === 'FILLED') as { o: { c: string; x: string; z: string; N: string; n: string; m: boolean; ap: string } };
    expect(fill.o).toMatchObject({ c: 'mkt1', x: 'TRADE', z: '0.002', N: 'USDT', m: false });
    expect(Number(fill.o.n)).toBeGreaterThan(0);
    expect(Number(fill.o.ap)).toBeGreaterThan(0);
    // Expire it now: the stream says so, then carries nothing more of this account.
    h.server.listenKeys.get(lk)!.expiresUs = 0;
    h.ex.pump();
    await until(() => u.messages.some((m) => (m as { e: string }).e === 'listenKeyExpired'));
    const n = u.messages.length;
    await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.002' });
    await new Promise((res) => setTimeout(res, 300));
    expect(u.messages.length).toBe(n);
    u.ws.close();
  });
});
