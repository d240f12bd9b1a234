// Leverage, margin type, position mode and commission rates of an account, as Binance serves them,
// and what leverage does to margin: the exchange-side initial-margin check (-2019) of the simulated
// exchange (the backtest's), the -2027 / -2028 refusals, and ACCOUNT_CONFIG_UPDATE on the user stream.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { ACCOUNT, ccxtRest, signed } from './helpers.ts';
import { startWith } from './account-helpers.ts';

const SMALL = { name: 'small', apiKey: 'smallKeyCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', secret: 'smallSecret', balances: { USDT: '1000' }, leverage: 1 };
const small = { apiKey: SMALL.apiKey, secret: SMALL.secret };
const SYM = 'BTC/USDT:USDT';

let h: Awaited<ReturnType<typeof startWith>>;

beforeAll(async () => {
  h = await startWith([ACCOUNT, SMALL], { symbols: ['BTCUSDT', 'ETHUSDT'], execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' }, symbols: { ETHUSDT: { makerRate: '-0.00005', takerRate: '0.0004' } } } } });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

async function mid(symbol = 'BTCUSDT'): Promise<number> {
  const t = (await (await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=${symbol}`)).json()) as { bidPrice: string; askPrice: string };
  return (Number(t.bidPrice) + Number(t.askPrice)) / 2;
}

describe('POST /fapi/v1/leverage', () => {
  it('sets the leverage of one symbol: reply, positionRisk, account, and ACCOUNT_CONFIG_UPDATE on the user stream', async () => {
    const lk = (await signed(h.base, 'POST', '/fapi/v1/listenKey', {})).json.listenKey as string;
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws/${lk}`);
    const events: Record<string, unknown>[] = [];
    ws.on('message', (d) => events.push(JSON.parse(String(d))));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const r = await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 50 });
    expect(r.status).toBe(200);
    // BTCUSDT's brackets: 50x is allowed up to the 12,000,000 notional tier.
    expect(r.json).toEqual({ leverage: 50, maxNotionalValue: '12000000', symbol: 'BTCUSDT' });
    const pos = (await signed(h.base, 'GET', '/fapi/v2/positionRisk', {})).json as unknown as { symbol: string; leverage: string; maxNotionalValue: string }[];
    expect(pos.map((p) => [p.symbol, p.leverage, p.maxNotionalValue])).toEqual([['BTCUSDT', '50', '12000000'], ['ETHUSDT', '20', '50000000']]);
    const end = Date.now() + 5_000;
    while (!events.some((e) => e.e === 'ACCOUNT_CONFIG_UPDATE') && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
    const cfg = events.find((e) => e.e === 'ACCOUNT_CONFIG_UPDATE') as { E: number; T: number; ac: unknown };
    expect(cfg.ac).toEqual({ s: 'BTCUSDT', l: 50 });
    expect(Math.abs(cfg.E - Date.now())).toBeLessThan(5_000);
    ws.close();
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 20 })).json.leverage).toBe(20);
  });

  it('refuses leverage outside 1..the symbol\'s highest (-4028), malformed (-1130), missing (-1102), unknown symbol (-1121)', async () => {
    for (const v of [0, 126]) expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: v })).json).toEqual({ code: -4028, msg: `Leverage ${v} is not valid` });
    // ETHUSDT's highest is 100.
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'ETHUSDT', leverage: 101 })).json.code).toBe(-4028);
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'ETHUSDT', leverage: 100 })).json.maxNotionalValue).toBe('50000');
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: '2.5' })).json.code).toBe(-1130);
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT' })).json.code).toBe(-1102);
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'NOPEUSDT', leverage: 5 })).json.code).toBe(-1121);
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'ETHUSDT', leverage: 20 })).status).toBe(200);
  });

  it('leverage sets the initial margin an order needs: -2019 beyond it, accepted after raising it; lowering it under open orders -2028', async () => {
    const p = await mid();
    // ~1,500 USDT of notional on a 1,000 USDT wallet.
    const qty = (Math.ceil((1500 / p) * 1000) / 1000).toFixed(3);
    const price = (Math.floor(p) - 300).toFixed(1);
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: qty, price, newClientOrderId: 'margin-1' };
    const at1 = await signed(h.base, 'POST', '/fapi/v1/order', order, small);
    expect(at1.json).toEqual({ code: -2019, msg: 'Margin is insufficient.' });
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 2 }, small)).json.leverage).toBe(2);
    const at2 = await signed(h.base, 'POST', '/fapi/v1/order', order, small);
    expect(at2.json.status).toBe('NEW');
    // The open order needs ~750 at 2x; at 1x it would need ~1,500 of a 1,000 wallet.
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 1 }, small)).json).toEqual({ code: -2028, msg: 'Leverage is smaller than permitted: insufficient margin balance.' });
    const pos = (await signed(h.base, 'GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSDT' }, small)).json as unknown as { leverage: string }[];
    expect(pos[0].leverage).toBe('2');
    await signed(h.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'margin-1' }, small);
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 1 }, small)).json.leverage).toBe(1);
    // A MARKET order is checked at the reference price (the replayed mid) the same way.
    expect((await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: qty }, small)).json.code).toBe(-2019);
  });

  it('refuses a leverage whose largest notional is below the position (-2027)', async () => {
    const qty = (Math.ceil((55_000 / (await mid())) * 1000) / 1000).toFixed(3);
    const buy = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: qty, newOrderRespType: 'RESULT' });
    expect(buy.json.status).toBe('FILLED');
    // 125x allows 50,000 of BTCUSDT notional; the position is ~55,000.
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 125 })).json).toEqual({ code: -2027, msg: 'Exceeded the maximum allowable position at current leverage.' });
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 100 })).json.leverage).toBe(100);
    const pos = (await signed(h.base, 'GET', '/fapi/v3/positionRisk', {})).json as unknown as { leverage: string; initialMargin: string; notional: string }[];
    // Initial margin = notional / leverage (the ledger's, at the mid).
    expect(Number(pos[0].initialMargin)).toBeCloseTo(Number(pos[0].notional) / 100, 6);
    await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: qty, reduceOnly: 'true' });
    expect((await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: 20 })).json.leverage).toBe(20);
  });
});

describe('marginType, positionSide/dual, commissionRate', () => {
  it('cross margin and one-way mode are the defaults: no change is -4046 / -4059, a bad value -1130 (switching: margin-modes.test.ts)', async () => {
    expect((await signed(h.base, 'POST', '/fapi/v1/marginType', { symbol: 'BTCUSDT', marginType: 'CROSSED' })).json).toEqual({ code: -4046, msg: 'No need to change margin type.' });
    expect((await signed(h.base, 'POST', '/fapi/v1/marginType', { symbol: 'BTCUSDT', marginType: 'SIDEWAYS' })).json.code).toBe(-1130);
    expect((await signed(h.base, 'GET', '/fapi/v1/positionSide/dual', {})).json).toEqual({ dualSidePosition: false });
    expect((await signed(h.base, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' })).json).toEqual({ code: -4059, msg: 'No need to change position side.' });
    expect((await signed(h.base, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'maybe' })).json.code).toBe(-1130);
  });

  it('commissionRate: the simulated exchange\'s fee schedule per symbol, 8 decimals', async () => {
    expect((await signed(h.base, 'GET', '/fapi/v1/commissionRate', { symbol: 'BTCUSDT' })).json).toEqual({ symbol: 'BTCUSDT', makerCommissionRate: '0.00020000', takerCommissionRate: '0.00050000', rpiCommissionRate: '0.00000000' });
    expect((await signed(h.base, 'GET', '/fapi/v1/commissionRate', { symbol: 'ETHUSDT' })).json).toMatchObject({ makerCommissionRate: '-0.00005000', takerCommissionRate: '0.00040000' });
    expect((await signed(h.base, 'GET', '/fapi/v1/commissionRate', {})).json.code).toBe(-1102);
  });

  it('symbolConfig and accountConfig show the leverage, cross margin and one-way mode', async () => {
    await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'ETHUSDT', leverage: 7 });
    expect((await signed(h.base, 'GET', '/fapi/v1/symbolConfig', { symbol: 'ETHUSDT' })).json).toEqual([{ symbol: 'ETHUSDT', marginType: 'CROSSED', isAutoAddMargin: false, leverage: 7, maxNotionalValue: '65000000' }]);
    expect(((await signed(h.base, 'GET', '/fapi/v1/symbolConfig', {})).json as unknown as unknown[]).length).toBe(2);
    expect((await signed(h.base, 'GET', '/fapi/v1/accountConfig', {})).json).toMatchObject({ dualSidePosition: false, multiAssetsMargin: false, canTrade: true });
    await signed(h.base, 'POST', '/fapi/v1/leverage', { symbol: 'ETHUSDT', leverage: 20 });
  });

  it('ccxt: setLeverage, setMarginMode (already cross), fetchPositionMode, fetchTradingFee, fetchLeverage', async () => {
    const c = await ccxtRest(h.base);
    const lev = await c.setLeverage(10, SYM);
    expect(lev).toMatchObject({ leverage: 10, symbol: 'BTCUSDT' });
    // ccxt maps -4046 to MarginModeAlreadySet (and throws it by default), as against Binance.
    await expect(c.setMarginMode('cross', SYM)).rejects.toMatchObject({ name: 'MarginModeAlreadySet' });
    expect((await c.fetchPositionMode(SYM)).hedged).toBe(false);
    const fee = await c.fetchTradingFee(SYM);
    expect([fee.maker, fee.taker]).toEqual([0.0002, 0.0005]);
    const lv = await c.fetchLeverage(SYM);
    expect([lv.longLeverage, lv.shortLeverage]).toEqual([10, 10]);
    await c.setLeverage(20, SYM);
  }, 30_000);
});
