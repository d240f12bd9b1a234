// `maker exchange` with a real third-party client, unmodified except for its base URLs: ccxt's
// binanceusdm loads the markets, reads the book, places, queries and cancels orders, and gets
// Binance's errors as ccxt's typed exceptions.
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccxtRest, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;
let c: InstanceType<typeof ccxt.binanceusdm>;
const SYM = 'BTC/USDT:USDT';

beforeAll(async () => {
  h = await startExchange();
  c = await ccxtRest(h.base);
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('ccxt binanceusdm against maker exchange', () => {
  it('loads the market with its filters from exchangeInfo', () => {
    const m = c.market(SYM);
    expect(m.id).toBe('BTCUSDT');
    expect(m.precision.price).toBe(0.1);
    expect(m.limits.amount?.min).toBe(0.001);
  });

  it('reads the order book the exchange holds', async () => {
    const ob = await c.fetchOrderBook(SYM, 5);
    expect(ob.bids.length).toBe(5);
    expect(ob.asks.length).toBe(5);
    expect(ob.bids[0][0]!).toBeLessThan(ob.asks[0][0]!);
    expect(ob.nonce).toBeGreaterThan(0);
  });

  it('places a post-only bid, finds it open, queries and cancels it', async () => {
    const ob = await c.fetchOrderBook(SYM, 5);
    const px = ob.bids[0][0]! - 100;
    const o = await c.createOrder(SYM, 'limit', 'buy', 0.01, px, { postOnly: true });
    expect(o.status).toBe('open');
    expect(o.price).toBe(px);
    expect(o.amount).toBe(0.01);
    expect(o.clientOrderId).toMatch(/^x-/); // ccxt's broker-prefixed id is accepted
    const open = await c.fetchOpenOrders(SYM);
    expect(open.map((x) => x.id)).toContain(o.id);
    const q = await c.fetchOrder(o.id!, SYM);
    expect(q.status).toBe('open');
    const cx = await c.cancelOrder(o.id!, SYM);
    expect(cx.status).toBe('canceled');
    expect((await c.fetchOpenOrders(SYM)).map((x) => x.id)).not.toContain(o.id);
  });

  it("a crossing post-only order is refused with Binance's -5022, a second cancel with -2011", async () => {
    const ob = await c.fetchOrderBook(SYM, 5);
    await expect(c.createOrder(SYM, 'limit', 'buy', 0.01, ob.asks[0][0]! + 50, { postOnly: true })).rejects.toThrow(/-5022/);
    const o = await c.createOrder(SYM, 'limit', 'sell', 0.01, ob.asks[0][0]! + 500, { postOnly: true });
    await c.cancelOrder(o.id!, SYM);
    await expect(c.cancelOrder(o.id!, SYM)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('a market order fills against the book at once, with an average price inside it', async () => {
    const ob = await c.fetchOrderBook(SYM, 20);
    const o = await c.createOrder(SYM, 'market', 'buy', 0.002, undefined, { newOrderRespType: 'RESULT' });
    expect(o.status).toBe('closed');
    expect(o.filled).toBe(0.002);
    expect(o.average).toBeGreaterThanOrEqual(ob.asks[0][0]! - 100);
    expect(o.average).toBeLessThanOrEqual(ob.asks[19][0]! + 100);
  });
});
