// Order endpoints of the local exchange beyond the single order: batchOrders (place, modify,
// cancel; per-item results in the order sent), openOrder, allOrders, userTrades (commission,
// realized PnL, buyer, maker from the account's ledger), order/test, countdownCancelAll and
// rateLimit/order; and ccxt's createOrders / cancelOrders / fetchMyTrades against them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED } from '../support/shared-data.ts';
import { ccxtRest, signed, startExchange } from './helpers.ts';

const USER_TRADE = join(SHARED, 'data', 'binance-fixtures', 'http_json', 'user_trade.json');

let h: Awaited<ReturnType<typeof startExchange>>;

beforeAll(async () => {
  h = await startExchange();
}, 30_000);

afterAll(async () => {
  await h?.close();
});

type Order = { orderId: number; clientOrderId: string; status: string; price: string; origQty: string; side: string; code?: number; msg?: string };

async function book(): Promise<{ bid: number; ask: number }> {
  const r = (await (await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string; askPrice: string };
  return { bid: Number(r.bidPrice), ask: Number(r.askPrice) };
}

const limit = (side: string, price: number, cid: string, tif = 'GTX') => ({ symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: tif, quantity: '0.010', price: price.toFixed(1), newClientOrderId: cid });

async function openIds(): Promise<string[]> {
  const r = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
  return (r.json as unknown as Order[]).map((o) => o.clientOrderId).sort();
}

async function cancelAll(): Promise<void> {
  await signed(h.base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
}

describe('batchOrders', () => {
  it('POST places each item on its own: orders and refusals in the order sent (form body and query)', async () => {
    const { bid, ask } = await book();
    const items = [limit('BUY', bid - 100, 'bA'), limit('BUY', ask + 50, 'bCross'), { ...limit('SELL', ask + 100, 'bTick'), price: (ask + 100).toFixed(1) + '5' }, limit('SELL', ask + 100, 'bB')];
    const r = await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify(items) }, { inBody: true });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-mbx-order-count-10s')).toMatch(/^\d+$/);
    const out = r.json as unknown as Order[];
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({ clientOrderId: 'bA', status: 'NEW', side: 'BUY', price: (bid - 100).toFixed(1) });
    expect(out[1]).toEqual({ code: -5022, msg: expect.stringContaining('Post Only') });
    expect(out[2]).toEqual({ code: -1111, msg: 'Precision is over the maximum defined for this asset.' });
    expect(out[3]).toMatchObject({ clientOrderId: 'bB', status: 'NEW', side: 'SELL' });
    expect(await openIds()).toEqual(['bA', 'bB']);

    const q = await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify([limit('BUY', bid - 120, 'bQ')]) });
    expect((q.json as unknown as Order[])[0]).toMatchObject({ clientOrderId: 'bQ', status: 'NEW' });
    await cancelAll();
  });

  it('POST refuses more than 5 items (-4082), a missing list (-1102) and a list that is not JSON (-1130)', async () => {
    const { bid } = await book();
    const six = Array.from({ length: 6 }, (_, i) => limit('BUY', bid - 100 - i, `six${i}`));
    const r = await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify(six) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: -4082, msg: 'Invalid number of batch place orders.' });
    expect(await openIds()).toEqual([]);
    expect((await signed(h.base, 'POST', '/fapi/v1/batchOrders', {})).json.code).toBe(-1102);
    expect((await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: '[{' })).json.code).toBe(-1130);
  });

  it('PUT modifies each item; an unknown order is that item’s -2013', async () => {
    const { bid, ask } = await book();
    await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify([limit('BUY', bid - 100, 'mA'), limit('SELL', ask + 100, 'mB')]) });
    const mods = [
      { symbol: 'BTCUSDT', origClientOrderId: 'mA', side: 'BUY', quantity: '0.020', price: (bid - 110).toFixed(1) },
      { symbol: 'BTCUSDT', origClientOrderId: 'nope', side: 'BUY', quantity: '0.020', price: (bid - 110).toFixed(1) },
      { symbol: 'BTCUSDT', origClientOrderId: 'mB', side: 'SELL', quantity: '0.010', price: (ask + 120).toFixed(1) },
    ];
    const r = await signed(h.base, 'PUT', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify(mods) });
    const out = r.json as unknown as Order[];
    expect(out[0]).toMatchObject({ clientOrderId: 'mA', price: (bid - 110).toFixed(1), origQty: '0.020' });
    expect(out[1]).toEqual({ code: -2013, msg: 'Order does not exist.' });
    expect(out[2]).toMatchObject({ clientOrderId: 'mB', price: (ask + 120).toFixed(1) });
    await cancelAll();
  });

  it('DELETE cancels by orderIdList or origClientOrderIdList; unknown ids are -2011 items', async () => {
    const { bid } = await book();
    const placed = (await signed(h.base, 'POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify([limit('BUY', bid - 100, 'dA'), limit('BUY', bid - 101, 'dB'), limit('BUY', bid - 102, 'dC')]) })).json as unknown as Order[];
    const r = await signed(h.base, 'DELETE', '/fapi/v1/batchOrders', { symbol: 'BTCUSDT', orderIdList: JSON.stringify([placed[0].orderId, 42, placed[1].orderId]) });
    const out = r.json as unknown as Order[];
    expect(out.map((o) => o.status ?? o.code)).toEqual(['CANCELED', -2011, 'CANCELED']);
    expect(out[1]).toEqual({ code: -2011, msg: 'Unknown order sent.' });
    expect(await openIds()).toEqual(['dC']);
    const byCid = await signed(h.base, 'DELETE', '/fapi/v1/batchOrders', { symbol: 'BTCUSDT', origClientOrderIdList: JSON.stringify(['dC', 'dA']) }, { inBody: true });
    expect((byCid.json as unknown as Order[]).map((o) => o.status ?? o.code)).toEqual(['CANCELED', -2011]);
    expect(await openIds()).toEqual([]);
    expect((await signed(h.base, 'DELETE', '/fapi/v1/batchOrders', { symbol: 'BTCUSDT' })).json.code).toBe(-1102);
    expect((await signed(h.base, 'DELETE', '/fapi/v1/batchOrders', { symbol: 'BTCUSDT', orderIdList: JSON.stringify(Array.from({ length: 11 }, (_, i) => i)) })).json.code).toBe(-1130);
  });
});

describe('queries', () => {
  it('openOrder finds an open order and says -2013 once it is closed; allOrders keeps closed ones in id order', async () => {
    const { bid } = await book();
    const a = (await signed(h.base, 'POST', '/fapi/v1/order', limit('BUY', bid - 100, 'qA'))).json as unknown as Order;
    const b = (await signed(h.base, 'POST', '/fapi/v1/order', limit('BUY', bid - 101, 'qB'))).json as unknown as Order;
    const open = await signed(h.base, 'GET', '/fapi/v1/openOrder', { symbol: 'BTCUSDT', orderId: a.orderId });
    expect(open.json).toMatchObject({ clientOrderId: 'qA', status: 'NEW' });
    expect((await signed(h.base, 'GET', '/fapi/v1/openOrder', { symbol: 'BTCUSDT', origClientOrderId: 'qB' })).json).toMatchObject({ orderId: b.orderId });
    await signed(h.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', orderId: a.orderId });
    const gone = await signed(h.base, 'GET', '/fapi/v1/openOrder', { symbol: 'BTCUSDT', orderId: a.orderId });
    expect(gone.status).toBe(400);
    expect(gone.json).toEqual({ code: -2013, msg: 'Order does not exist.' });
    expect((await signed(h.base, 'GET', '/fapi/v1/openOrder', { symbol: 'BTCUSDT' })).json.code).toBe(-1102);

    const all = (await signed(h.base, 'GET', '/fapi/v1/allOrders', { symbol: 'BTCUSDT' })).json as unknown as Order[];
    const ids = all.map((o) => o.orderId);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(all.find((o) => o.orderId === a.orderId)?.status).toBe('CANCELED');
    expect(all.find((o) => o.orderId === b.orderId)?.status).toBe('NEW');
    const fromA = (await signed(h.base, 'GET', '/fapi/v1/allOrders', { symbol: 'BTCUSDT', orderId: a.orderId, limit: 2 })).json as unknown as Order[];
    expect(fromA.map((o) => o.orderId)).toEqual([a.orderId, b.orderId]);
    const last1 = (await signed(h.base, 'GET', '/fapi/v1/allOrders', { symbol: 'BTCUSDT', limit: 1 })).json as unknown as Order[];
    expect(last1.map((o) => o.orderId)).toEqual([ids[ids.length - 1]]);
    await cancelAll();
  });

  it('userTrades are the fills: price, qty, quoteQty, commission at the taker rate, realized PnL of the round trip, buyer, maker', async () => {
    const buy = (await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005', newOrderRespType: 'RESULT' })).json as unknown as Order;
    const sell = (await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.005', newOrderRespType: 'RESULT' })).json as unknown as Order;
    expect(buy.status).toBe('FILLED');
    expect(sell.status).toBe('FILLED');
    type T = { symbol: string; id: number; orderId: number; side: string; price: string; qty: string; quoteQty: string; realizedPnl: string; commission: string; commissionAsset: string; marginAsset: string; buyer: boolean; maker: boolean; positionSide: string; time: number };
    const all = (await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT' })).json as unknown as T[];
    const buys = all.filter((t) => t.orderId === buy.orderId);
    const sells = all.filter((t) => t.orderId === sell.orderId);
    expect(buys.length).toBeGreaterThan(0);
    expect(sells.length).toBeGreaterThan(0);
    const sum = (ts: T[], f: (t: T) => string) => ts.reduce((s, t) => s.add(f(t)), new Decimal(0));
    expect(sum(buys, (t) => t.qty).toString()).toBe('0.005');
    for (const t of [...buys, ...sells]) {
      expect(t).toMatchObject({ symbol: 'BTCUSDT', commissionAsset: 'USDT', marginAsset: 'USDT', positionSide: 'BOTH', maker: false });
      expect(new Decimal(t.quoteQty).eq(new Decimal(t.price).mul(t.qty))).toBe(true);
      expect(new Decimal(t.commission).eq(new Decimal(t.quoteQty).mul('0.0005').toDecimalPlaces(8))).toBe(true);
      expect(t.commission).toMatch(/^\d+\.\d{8}$/);
    }
    for (const t of buys) expect(t).toMatchObject({ side: 'BUY', buyer: true, realizedPnl: '0' });
    for (const t of sells) expect(t).toMatchObject({ side: 'SELL', buyer: false });
    // Flat again: the sells realize exactly proceeds − cost (fees apart).
    expect(sum(sells, (t) => t.realizedPnl).eq(sum(sells, (t) => t.quoteQty).sub(sum(buys, (t) => t.quoteQty)))).toBe(true);
    // The ledger agrees.
    const pos = (await signed(h.base, 'GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSDT' })).json as unknown as { positionAmt: string }[];
    expect(Number(pos[0].positionAmt)).toBe(0);

    if (existsSync(USER_TRADE)) {
      // Field names and JSON types of Binance's recorded userTrades item.
      const typesOf = (x: object) => Object.entries(x).map(([k, v]) => `${k}:${typeof v}`).sort();
      expect(typesOf(all[0])).toEqual(typesOf(JSON.parse(readFileSync(USER_TRADE, 'utf8')) as object));
    }
    const one = (await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', orderId: sell.orderId })).json as unknown as T[];
    expect(one).toEqual(sells);
    const fromId = (await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', fromId: sells[0].id, limit: 1 })).json as unknown as T[];
    expect(fromId).toEqual([sells[0]]);
    const lastOne = (await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', limit: 1 })).json as unknown as T[];
    expect(lastOne).toEqual([all[all.length - 1]]);
    const tooLong = await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', startTime: 0, endTime: 8 * 86_400_000 });
    expect(tooLong.json.code).toBe(-1127);
  });
});

describe('order/test, countdownCancelAll, rateLimit/order', () => {
  it('order/test checks the order as POST order does, answers {} and places nothing', async () => {
    const { bid } = await book();
    const ok = await signed(h.base, 'POST', '/fapi/v1/order/test', limit('BUY', bid - 100, 'tst'));
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({});
    expect(await openIds()).toEqual([]);
    expect((await signed(h.base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'tst' })).json.code).toBe(-2013);
    const bad = await signed(h.base, 'POST', '/fapi/v1/order/test', { ...limit('BUY', bid - 100, 'tst2'), price: '1.05' });
    expect(bad.json).toEqual({ code: -1111, msg: 'Precision is over the maximum defined for this asset.' });
    expect((await signed(h.base, 'POST', '/fapi/v1/order/test', { ...limit('BUY', bid - 100, 'tst3'), side: 'UP' })).json.code).toBe(-1117);
  });

  it('countdownCancelAll cancels the symbol’s open orders when it runs out; 0 stops it', async () => {
    const { bid } = await book();
    await signed(h.base, 'POST', '/fapi/v1/order', limit('BUY', bid - 100, 'cd1'));
    const r = await signed(h.base, 'POST', '/fapi/v1/countdownCancelAll', { symbol: 'BTCUSDT', countdownTime: 400 });
    expect(r.json).toEqual({ symbol: 'BTCUSDT', countdownTime: '400' });
    expect(await openIds()).toEqual(['cd1']);
    await new Promise((res) => setTimeout(res, 800));
    expect(await openIds()).toEqual([]);
    expect((await signed(h.base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'cd1' })).json.status).toBe('CANCELED');

    await signed(h.base, 'POST', '/fapi/v1/order', limit('BUY', bid - 100, 'cd2'));
    // A heartbeat restarts it (wide margins: the machine may be loaded); 0 then stops it.
    await signed(h.base, 'POST', '/fapi/v1/countdownCancelAll', { symbol: 'BTCUSDT', countdownTime: 1500 });
    await new Promise((res) => setTimeout(res, 800));
    await signed(h.base, 'POST', '/fapi/v1/countdownCancelAll', { symbol: 'BTCUSDT', countdownTime: 1500 });
    await new Promise((res) => setTimeout(res, 800));
    expect(await openIds()).toEqual(['cd2']);
    expect((await signed(h.base, 'POST', '/fapi/v1/countdownCancelAll', { symbol: 'BTCUSDT', countdownTime: 0 })).json).toEqual({ symbol: 'BTCUSDT', countdownTime: '0' });
    await new Promise((res) => setTimeout(res, 1700));
    expect(await openIds()).toEqual(['cd2']);
    await cancelAll();
    expect((await signed(h.base, 'POST', '/fapi/v1/countdownCancelAll', { symbol: 'BTCUSDT' })).json.code).toBe(-1102);
  });

  it('rateLimit/order lists the account’s ORDERS limits, as exchangeInfo', async () => {
    const r = await signed(h.base, 'GET', '/fapi/v1/rateLimit/order', {});
    expect(r.json).toEqual([
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ]);
    expect((await signed(h.base, 'GET', '/fapi/v1/rateLimit/order', {}, { secret: 'wrong' })).json.code).toBe(-1022);
  });
});

describe('ccxt binanceusdm', () => {
  it('createOrders (batchOrders), cancelOrders (DELETE batchOrders) and fetchMyTrades (userTrades)', async () => {
    const c = await ccxtRest(h.base);
    const { bid } = await book();
    const placed = await c.createOrders([
      { symbol: 'BTC/USDT:USDT', type: 'limit', side: 'buy', amount: 0.01, price: bid - 100, params: { postOnly: true } },
      { symbol: 'BTC/USDT:USDT', type: 'limit', side: 'buy', amount: 0.01, price: bid - 101, params: { postOnly: true } },
    ]);
    expect(placed.map((o) => o.status)).toEqual(['open', 'open']);
    const canceled = await c.cancelOrders(placed.map((o) => o.id!), 'BTC/USDT:USDT');
    expect(canceled.map((o) => o.status)).toEqual(['canceled', 'canceled']);
    expect(await openIds()).toEqual([]);
    const mine = await c.fetchMyTrades('BTC/USDT:USDT');
    expect(mine.length).toBeGreaterThan(0);
    for (const t of mine) {
      expect(t.fee?.currency).toBe('USDT');
      expect(t.takerOrMaker).toBe('taker');
      expect(t.cost).toBeCloseTo(t.price! * t.amount!, 6);
    }
  });
});
