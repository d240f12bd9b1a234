// `maker exchange` with Binance's own connector, @binance/derivatives-trading-usds-futures,
// unmodified: only its three base URLs point at the local exchange (REST `basePath`, WebSocket
// streams `wsURL`, WebSocket API `wsURL`). REST orders and account, a book synced from its diff
// depth stream with Binance's documented algorithm (equal to the exchange's book at every checked
// update), the user data stream, and orders over the WebSocket API.
import { BadRequestError, DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;
let client: DerivativesTradingUsdsFutures;
/** Top 10 levels of the replayed book after each depth diff, by its final update id. */
const seen = new Map<number, string>();

function top(side: 'bid' | 'ask'): [string, string][] {
  const inst = h.ex.instruments.get('BTCUSDT')!;
  return h.ex.book('BTCUSDT')!.topLevels(side, 10).map((l) => [inst.ticksToPrice(l.priceTicks), inst.lotsToQty(l.qtyLots)]);
}

beforeAll(async () => {
  vi.stubEnv('LOG_LEVEL', 'error'); // the connector logs every connection at "info"
  h = await startExchange();
  h.ex.onMarket((e) => {
    if (e.type === 'depth') seen.set(e.finalUpdateId, JSON.stringify({ bids: top('bid'), asks: top('ask') }));
  });
  const ws = h.base.replace('http', 'ws');
  client = new DerivativesTradingUsdsFutures({
    configurationRestAPI: { apiKey: ACCOUNT.apiKey, apiSecret: ACCOUNT.secret, basePath: h.base, timeout: 5_000, retries: 0 },
    configurationWebsocketStreams: { wsURL: ws, reconnectDelay: 100 },
    configurationWebsocketAPI: { apiKey: ACCOUNT.apiKey, apiSecret: ACCOUNT.secret, wsURL: `${ws}/ws-fapi/v1`, timeout: 5_000, reconnectDelay: 100 },
  });
}, 30_000);

afterAll(async () => {
  await h?.close();
  vi.unstubAllEnvs();
});

const until = async (cond: () => boolean, ms = 8_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function best(): Promise<{ bid: number; ask: number }> {
  const t = await (await client.restAPI.symbolOrderBookTicker({ symbol: 'BTCUSDT' })).data();
  const x = (Array.isArray(t) ? t[0] : t) as { bidPrice: string; askPrice: string };
  return { bid: Number(x.bidPrice), ask: Number(x.askPrice) };
}

describe('REST', () => {
  it('places, queries, modifies and cancels an order; refusals are BadRequestError with Binance’s code', async () => {
    const { bid, ask } = await best();
    const placed = await (await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.01, price: bid - 100, newClientOrderId: 'oc1' })).data();
    expect(placed).toMatchObject({ clientOrderId: 'oc1', status: 'NEW', price: (bid - 100).toFixed(1), origQty: '0.010' });
    const q = await (await client.restAPI.queryOrder({ symbol: 'BTCUSDT', orderId: placed.orderId })).data();
    expect(q).toMatchObject({ clientOrderId: 'oc1', status: 'NEW' });
    const m = await (await client.restAPI.modifyOrder({ symbol: 'BTCUSDT', orderId: placed.orderId, side: 'BUY' as never, quantity: 0.02, price: bid - 110 })).data();
    expect(m).toMatchObject({ orderId: placed.orderId, price: (bid - 110).toFixed(1), origQty: '0.020' });
    const open = await (await client.restAPI.currentAllOpenOrders({ symbol: 'BTCUSDT' })).data();
    expect(open.map((o) => o.clientOrderId)).toEqual(['oc1']);
    const one = await (await client.restAPI.queryCurrentOpenOrder({ symbol: 'BTCUSDT', origClientOrderId: 'oc1' })).data();
    expect(one.orderId).toBe(placed.orderId);
    const cx = await (await client.restAPI.cancelOrder({ symbol: 'BTCUSDT', origClientOrderId: 'oc1' })).data();
    expect(cx.status).toBe('CANCELED');

    const err = await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.01, price: ask + 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).code).toBe(-5022);
    const gone = await client.restAPI.cancelOrder({ symbol: 'BTCUSDT', origClientOrderId: 'oc1' }).catch((e: unknown) => e);
    expect((gone as BadRequestError).code).toBe(-2011);
  });

  it('batch place / cancel, allOrders, the countdown and the order rate limits', async () => {
    const { bid } = await best();
    const batch = await (await client.restAPI.placeMultipleOrders({
      batchOrders: [
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price: (bid - 100).toFixed(1), newClientOrderId: 'ocb1' },
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price: (bid - 101).toFixed(1), newClientOrderId: 'ocb2' },
      ] as never,
    })).data();
    expect(batch.map((o) => o.clientOrderId)).toEqual(['ocb1', 'ocb2']);
    const cx = await (await client.restAPI.cancelMultipleOrders({ symbol: 'BTCUSDT', orderIdList: batch.map((o) => Number(o.orderId)) })).data();
    expect(cx.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
    const all = await (await client.restAPI.allOrders({ symbol: 'BTCUSDT', limit: 2 })).data();
    expect(all.map((o) => o.clientOrderId)).toEqual(['ocb1', 'ocb2']);
    const cd = await (await client.restAPI.autoCancelAllOpenOrders({ symbol: 'BTCUSDT', countdownTime: 0 })).data();
    expect(cd).toEqual({ symbol: 'BTCUSDT', countdownTime: '0' });
    const rl = await (await client.restAPI.queryUserRateLimit()).data();
    expect(rl.map((l) => l.rateLimitType)).toEqual(['ORDERS', 'ORDERS']);
  });

  it('a market buy opens a position that positionRisk v3, account v3 and balance v3 show from the ledger', async () => {
    const o = await (await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'MARKET' as never, quantity: 0.004, newOrderRespType: 'RESULT' as never })).data();
    expect(o.status).toBe('FILLED');
    const fills = await (await client.restAPI.accountTradeList({ symbol: 'BTCUSDT', orderId: o.orderId })).data();
    const fee = fills.reduce((s, f) => s.add(f.commission!), new Decimal(0));
    expect(fills.reduce((s, f) => s.add(f.qty!), new Decimal(0)).toString()).toBe('0.004');
    const pos = await (await client.restAPI.positionInformationV3({ symbol: 'BTCUSDT' })).data();
    expect(pos).toHaveLength(1);
    expect(pos[0]).toMatchObject({ symbol: 'BTCUSDT', positionSide: 'BOTH' });
    expect(Number(pos[0].positionAmt)).toBe(0.004);
    const acc = await (await client.restAPI.accountInformationV3()).data();
    expect(new Decimal(acc.totalWalletBalance!).eq(new Decimal('10000').sub(fee))).toBe(true);
    const bal = await (await client.restAPI.futuresAccountBalanceV3()).data();
    const usdt = bal.find((b) => b.asset === 'USDT')!;
    expect(new Decimal(usdt.balance!).eq(new Decimal('10000').sub(fee))).toBe(true);
    // Close it again.
    await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'SELL' as never, type: 'MARKET' as never, quantity: 0.004, reduceOnly: 'true' as never });
    const after = await (await client.restAPI.positionInformationV3({ symbol: 'BTCUSDT' })).data();
    expect(after).toEqual([]);
  });
});

describe('WebSocket streams', () => {
  it('a book synced from @depth@100ms and REST depth with Binance’s algorithm equals the exchange’s at every checked update', async () => {
    const conn = await client.websocketStreams.connect();
    try {
      const buffered: { U: number; u: number; pu: number; b: [string, string][]; a: [string, string][] }[] = [];
      const stream = conn.diffBookDepthStreams({ symbol: 'btcusdt', updateSpeed: '100ms' as never });
      stream.on('message', (d) => {
        buffered.push(d as never);
      });
      await until(() => buffered.length >= 3);
      const snap = await (await client.restAPI.orderBook({ symbol: 'BTCUSDT', limit: 1000 })).data();
      const bids = new Map<string, string>(snap.bids as [string, string][]);
      const asks = new Map<string, string>(snap.asks as [string, string][]);
      const last = snap.lastUpdateId!;
      let prevU = -1;
      let checked = 0;
      const apply = (ev: (typeof buffered)[number]): void => {
        if (ev.u < last) return; // (3) older than the snapshot
        if (prevU < 0) expect(ev.U <= last && ev.u >= last).toBe(true); // (4) the first event bridges it
        else expect(ev.pu).toBe(prevU); // (5) chained
        prevU = ev.u;
        for (const [p, q] of ev.b) (Number(q) === 0 ? bids.delete(p) : bids.set(p, q));
        for (const [p, q] of ev.a) (Number(q) === 0 ? asks.delete(p) : asks.set(p, q));
        const want = seen.get(ev.u);
        if (want === undefined) return;
        const side = (m: Map<string, string>, desc: boolean) => [...m].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]))).slice(0, 10);
        expect(JSON.stringify({ bids: side(bids, true), asks: side(asks, false) })).toBe(want);
        checked++;
      };
      let i = 0;
      await until(() => {
        while (i < buffered.length) apply(buffered[i++]);
        return checked >= 15;
      }, 15_000);
      expect(prevU).toBeGreaterThan(last);
    } finally {
      await conn.disconnect();
    }
  });

  it('mark prices and the user data stream (listenKey from REST) arrive through the connector', async () => {
    const conn = await client.websocketStreams.connect();
    try {
      const key = (await (await client.restAPI.startUserDataStream()).data()).listenKey!;
      const events: { e: string; o?: { c: string; X: string } }[] = [];
      conn.userData(key).on('message', (d) => {
        events.push(d as never);
      });
      const marks: { e: string; p: string }[] = [];
      conn.markPriceStream({ symbol: 'btcusdt', updateSpeed: '1s' as never }).on('message', (d) => {
        marks.push(d as never);
      });
      await new Promise((r) => setTimeout(r, 300)); // SUBSCRIBE frames answered
      const { bid } = await best();
      await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.01, price: bid - 100, newClientOrderId: 'ud1' });
      await client.restAPI.cancelOrder({ symbol: 'BTCUSDT', origClientOrderId: 'ud1' });
      await until(() => events.filter((e) => e.o?.c === 'ud1').length >= 2 && marks.length > 0);
      expect(events.filter((e) => e.o?.c === 'ud1').map((e) => `${e.e}/${e.o!.X}`)).toEqual(['ORDER_TRADE_UPDATE/NEW', 'ORDER_TRADE_UPDATE/CANCELED']);
      expect(marks[0].e).toBe('markPriceUpdate');
      await client.restAPI.closeUserDataStream();
    } finally {
      await conn.disconnect();
    }
  });
});

describe('WebSocket API', () => {
  it('places, queries, modifies and cancels an order over ws-fapi; a refusal rejects with Binance’s code', async () => {
    const api = await client.websocketAPI.connect();
    try {
      const { bid, ask } = await best();
      const r = await api.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.01, price: bid - 100, newClientOrderId: 'wsc1' });
      expect(r.data).toMatchObject({ clientOrderId: 'wsc1', status: 'NEW', price: (bid - 100).toFixed(1) });
      expect(r.rateLimits?.[0]).toMatchObject({ rateLimitType: 'REQUEST_WEIGHT' });
      const q = await api.queryOrder({ symbol: 'BTCUSDT', origClientOrderId: 'wsc1' });
      expect(q.data).toMatchObject({ status: 'NEW' });
      const m = await api.modifyOrder({ symbol: 'BTCUSDT', origClientOrderId: 'wsc1', side: 'BUY' as never, quantity: 0.02, price: bid - 105 });
      expect(m.data).toMatchObject({ origQty: '0.020', price: (bid - 105).toFixed(1) });
      const open = await (await client.restAPI.currentAllOpenOrders({ symbol: 'BTCUSDT' })).data();
      expect(open.map((o) => o.clientOrderId)).toEqual(['wsc1']);
      const x = await api.cancelOrder({ symbol: 'BTCUSDT', origClientOrderId: 'wsc1' });
      expect(x.data).toMatchObject({ status: 'CANCELED' });
      const refused = await api.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.01, price: ask + 50 }).catch((e: unknown) => e);
      expect(JSON.stringify(refused)).toContain('-5022');
    } finally {
      await api.disconnect();
    }
  });
});
