// The local exchange's REST wire as Binance checks it: signatures over the exact bytes (query or
// form body), timestamps and recvWindow, API keys, parameter errors with Binance's codes, and a
// server that keeps serving after bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceError, splitSignature } from '../../src/exchange-fake/index.ts';
import { gridValue } from '../../src/exchange-fake/params.ts';
import { ACCOUNT, signed, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;

beforeAll(async () => {
  h = await startExchange();
}, 30_000);

afterAll(async () => {
  await h?.close();
});

async function bestBid(): Promise<number> {
  const r = await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`);
  return Number(((await r.json()) as { bidPrice: string }).bidPrice);
}

const order = (price: string, extra: Record<string, string> = {}) => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price, ...extra });

describe('signing', () => {
  it('accepts the signature with the parameters in the query or in a form body', async () => {
    const px = (Math.floor(await bestBid()) - 200).toFixed(1);
    const a = await signed(h.base, 'POST', '/fapi/v1/order', order(px, { newClientOrderId: 'q1' }));
    expect(a.status).toBe(200);
    expect(a.json.clientOrderId).toBe('q1');
    expect(a.json.status).toBe('NEW');
    expect(a.headers.get('x-mbx-used-weight-1m')).toMatch(/^\d+$/);
    expect(a.headers.get('x-mbx-order-count-10s')).toMatch(/^\d+$/);
    const b = await signed(h.base, 'POST', '/fapi/v1/order', order(px, { newClientOrderId: 'b1' }), { inBody: true });
    expect(b.status).toBe(200);
    expect(b.json.clientOrderId).toBe('b1');
    const open = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
    expect((open.json as unknown as { clientOrderId: string }[]).map((o) => o.clientOrderId).sort()).toEqual(['b1', 'q1']);
    const all = await signed(h.base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
    expect(all.json).toEqual({ code: 200, msg: 'The operation of cancel all open order is done.' });
    const after = await signed(h.base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'q1' });
    expect(after.json.status).toBe('CANCELED');
  });

  it('ignores a JSON content type with an empty body (the official connector)', async () => {
    const p = new URLSearchParams({ symbol: 'BTCUSDT', timestamp: String(Date.now()) }).toString();
    const { hmacHex } = await import('../../src/exchange-fake/index.ts');
    const r = await fetch(`${h.base}/fapi/v1/openOrders?${p}&signature=${hmacHex(ACCOUNT.secret, p)}`, { headers: { 'x-mbx-apikey': ACCOUNT.apiKey, 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
  });

  it('refuses a wrong signature (-1022), a stale or future timestamp (-1021), a missing or unknown key (-2015), a malformed key (-2014)', async () => {
    const bad = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { secret: 'not-the-secret' });
    expect([bad.status, bad.json.code]).toEqual([400, -1022]);
    const old = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { timestamp: Date.now() - 10_000 });
    expect([old.status, old.json.code, old.json.msg]).toEqual([400, -1021, 'Timestamp for this request is outside of the recvWindow.']);
    const ahead = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { timestamp: Date.now() + 5_000 });
    expect(ahead.json.code).toBe(-1021);
    const wide = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT', recvWindow: 30_000 }, { timestamp: Date.now() - 10_000 });
    expect(wide.status).toBe(200);
    const none = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { apiKey: null });
    expect([none.status, none.json.code]).toEqual([401, -2015]);
    const unknown = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { apiKey: 'someOtherKey' });
    expect([unknown.status, unknown.json.code]).toEqual([401, -2015]);
    const malformed = await signed(h.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { apiKey: 'bad key!' });
    expect([malformed.status, malformed.json.code]).toEqual([401, -2014]);
    // Nothing secret in any reply.
    for (const r of [bad, old, none, unknown, malformed]) expect(JSON.stringify(r.json)).not.toContain(ACCOUNT.secret);
  });

  it('signs the exact bytes: the signature parameter is removed wherever it is', () => {
    expect(splitSignature('a=1&signature=ff&b=2', '')).toEqual({ payload: 'a=1&b=2', signature: 'ff' });
    expect(splitSignature('signature=ff&b=2', '')).toEqual({ payload: 'b=2', signature: 'ff' });
    expect(splitSignature('a=1', 'b=2&signature=ee')).toEqual({ payload: 'a=1b=2', signature: 'ee' });
    expect(() => splitSignature('signature=1', 'signature=2')).toThrow(/Duplicate/);
  });
});

describe("parameter errors carry Binance's codes", () => {
  const cases: [string, Record<string, string>, number][] = [
    ['unknown symbol', { symbol: 'NOPEUSDT' }, -1121],
    ['missing quantity', { quantity: '' }, -1102],
    ['too many decimals', { price: '100.123' }, -1111],
    ['price off the tick', { price: '100.15' }, -1111],
    ['quantity off the step', { quantity: '0.0105' }, -1111],
    ['bad side', { side: 'UP' }, -1117],
    ['bad order type', { type: 'ICEBERG' }, -1116],
    ['bad time in force', { timeInForce: 'DAY' }, -1115],
    ['conditional order', { type: 'STOP_MARKET' }, -1014],
    ['illegal client id', { newClientOrderId: 'has space' }, -1100],
    ['non-positive quantity', { quantity: '0' }, -4003],
    ['below MIN_NOTIONAL', { quantity: '0.001', price: '100.0' }, -4164],
  ];
  for (const [name, patch, code] of cases) {
    it(name, async () => {
      const r = await signed(h.base, 'POST', '/fapi/v1/order', { ...order('100.0'), ...patch });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe(code);
      expect(typeof r.json.msg).toBe('string');
    });
  }

  it('a price between ticks within the precision is -4014, a quantity between steps -4023 (tick 0.10 written with 2 decimals, as BTCUSDT)', () => {
    const offTick = new BinanceError(-4014, 'Price not increased by tick size.');
    const offStep = new BinanceError(-4023, 'Quantity not increased by step size.');
    const neg = new BinanceError(-4001, 'Price less than 0.');
    expect(() => gridValue('100.15', 'price', 2, 10, offTick, neg)).toThrow(offTick);
    expect(gridValue('100.20', 'price', 2, 10, offTick, neg)).toBe(1002);
    expect(gridValue('100.2000', 'price', 2, 10, offTick, neg)).toBe(1002); // trailing zeros are not precision
    expect(() => gridValue('100.201', 'price', 2, 10, offTick, neg)).toThrow(/Precision/);
    expect(() => gridValue('0.0015', 'quantity', 4, 10, offStep, neg)).toThrow(offStep);
    expect(() => gridValue('-1', 'price', 2, 10, offTick, neg)).toThrow(neg);
    expect(() => gridValue('1e3', 'price', 2, 10, offTick, neg)).toThrow(/not valid/);
  });

  it('duplicate parameters are refused (-1101); unknown paths are 404; a huge body is 413; the server keeps serving', async () => {
    const p = `symbol=BTCUSDT&symbol=ETHUSDT&timestamp=${Date.now()}`;
    const r = await fetch(`${h.base}/fapi/v1/openOrders?${p}&signature=00`, { headers: { 'x-mbx-apikey': ACCOUNT.apiKey } });
    expect(((await r.json()) as { code: number }).code).toBe(-1101);
    const nf = await fetch(`${h.base}/fapi/v9/nothing`);
    expect(nf.status).toBe(404);
    const big = await fetch(`${h.base}/fapi/v1/order`, { method: 'POST', body: 'x'.repeat(200_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(big.status).toBe(413);
    const ok = await fetch(`${h.base}/fapi/v1/time`);
    expect(ok.status).toBe(200);
    const t = ((await ok.json()) as { serverTime: number }).serverTime;
    expect(Math.abs(t - Date.now())).toBeLessThan(5_000);
  });
});

describe('market data', () => {
  it('serves a depth snapshot whose lastUpdateId and levels are the replayed book', async () => {
    const r = await fetch(`${h.base}/fapi/v1/depth?symbol=BTCUSDT&limit=5`);
    const d = (await r.json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    expect(d.lastUpdateId).toBeGreaterThan(0);
    expect(d.bids.length).toBe(5);
    expect(Number(d.bids[0][0])).toBeLessThan(Number(d.asks[0][0]));
    for (let i = 1; i < 5; i++) expect(Number(d.bids[i][0])).toBeLessThan(Number(d.bids[i - 1][0]));
    const bad = await fetch(`${h.base}/fapi/v1/depth?symbol=BTCUSDT&limit=7`);
    expect(((await bad.json()) as { code: number }).code).toBe(-1130);
  });

  it('the market moves with the wall clock', async () => {
    const a = await (await fetch(`${h.base}/fapi/v1/depth?symbol=BTCUSDT&limit=5`)).json();
    await new Promise((r) => setTimeout(r, 600));
    const b = await (await fetch(`${h.base}/fapi/v1/depth?symbol=BTCUSDT&limit=5`)).json();
    expect((b as { lastUpdateId: number }).lastUpdateId).toBeGreaterThan((a as { lastUpdateId: number }).lastUpdateId);
  });
});
