// Isolated margin and hedge mode in the local exchange, on a scripted market (each step of the
// market is released by the test, so prices are exact): an isolated position's wallet (initial
// margin moved in, positionMargin adding and removing), its liquidation at its own maintenance
// margin leaving the other symbol's cross position alone and losing exactly its wallet; hedge mode
// with a LONG and a SHORT position at once, each with its own entry and PnL; Binance's refusals
// when switching; the payloads against the recorded fixtures' shapes; ccxt unmodified.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepthSnapshot, MarketEvent, MarkPrice } from '../../src/model/events.ts';
import { ACCOUNT, ccxtRest, signed } from './helpers.ts';
import { startWith } from './account-helpers.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/data/binance-fixtures');
const HAVE_FIXTURES = existsSync(FIXTURES);
const fixture = (path: string): unknown => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));

const ISO = { name: 'iso', apiKey: 'isoKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'isoSecret', balances: { USDT: '10000' }, leverage: 10, symbolMarginType: { BTCUSDT: 'ISOLATED' as const } };
const HEDGE = { name: 'hedge', apiKey: 'hedgeKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'hedgeSecret', balances: { USDT: '10000' }, leverage: 10, dualSidePosition: true };
const iso = { apiKey: ISO.apiKey, secret: ISO.secret };
const hedge = { apiKey: HEDGE.apiKey, secret: HEDGE.secret };

/** A market the test moves step by step: each `step` is delivered at once (its data times are just after the previous step's). */
class ScriptedMarket implements AsyncIterable<MarketEvent[]> {
  private readonly queue: MarketEvent[][] = [];
  private wake: (() => void) | undefined;
  private tUs = Date.now() * 1000;
  private updateId = 1;
  /** Events handed out so far. */
  count = 0;

  step(...make: ((tUs: number, updateId: number) => MarketEvent)[]): number {
    this.tUs += 1000;
    this.queue.push(make.map((m) => m(this.tUs, this.updateId++)));
    this.count += make.length;
    this.wake?.();
    return this.count;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MarketEvent[]> {
    for (;;) {
      while (this.queue.length > 0) yield this.queue.shift()!;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

const ticks = (price: string): number => Math.round(Number(price) * 10);
/** A book of one level a side, 100 lots deep (the synthetic instruments: tick 0.1, step 0.001). */
const book = (symbol: string, bid: string, ask: string) => (tUs: number, updateId: number): DepthSnapshot => ({
  type: 'snapshot', symbol, tsExchangeUs: tUs, tsReceiveUs: tUs, tsTransactUs: tUs, lastUpdateId: updateId, bidTicks: [ticks(bid)], bidLots: [100_000], askTicks: [ticks(ask)], askLots: [100_000],
});
/** A mark price; with `fundingRate`, a settlement record (funding settled at once at this mark). */
const mark = (symbol: string, price: string, fundingRate?: string) => (tUs: number): MarkPrice => ({
  type: 'markPrice', symbol, tsExchangeUs: tUs, tsReceiveUs: tUs, markPrice: price, indexPrice: price, fundingRate: fundingRate ?? '0', nextFundingTimeUs: fundingRate === undefined ? -1 : tUs,
});

const market = new ScriptedMarket();
let h: Awaited<ReturnType<typeof startWith>>;

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Moves the market and waits until the exchange has delivered it. */
async function move(...make: Parameters<ScriptedMarket['step']>): Promise<void> {
  const n = market.step(...make);
  await until(() => h.ex.eventsDelivered >= n, 'the market step');
}

type Row = Record<string, string>;
const risk = async (key: { apiKey: string; secret: string }, v: 'v2' | 'v3', symbol?: string): Promise<Row[]> =>
  (await signed(h.base, 'GET', `/fapi/${v}/positionRisk`, symbol === undefined ? {} : { symbol }, key)).json as unknown as Row[];
const order = async (key: { apiKey: string; secret: string }, params: Record<string, string | number>) => (await signed(h.base, 'POST', '/fapi/v1/order', { type: 'MARKET', newOrderRespType: 'RESULT', ...params }, key)).json;

/** The user data stream of an account, collected. */
async function userStream(key: { apiKey: string; secret: string }): Promise<{ events: Record<string, any>[]; ws: WebSocket }> {
  const lk = (await signed(h.base, 'POST', '/fapi/v1/listenKey', {}, key)).json.listenKey as string;
  const ws = new WebSocket(`${h.wsBase}/ws/${lk}`);
  const events: Record<string, any>[] = [];
  ws.on('message', (d) => events.push(JSON.parse(String(d))));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return { events, ws };
}

beforeAll(async () => {
  market.step(book('BTCUSDT', '50000.0', '50000.1'), mark('BTCUSDT', '50000'), book('ETHUSDT', '3000.0', '3000.1'), mark('ETHUSDT', '3000'));
  h = await startWith([ACCOUNT, ISO, HEDGE], { symbols: ['BTCUSDT', 'ETHUSDT'], source: market, readAhead: 1 });
  await until(() => h.ex.eventsDelivered >= 4, 'the first book');
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('ISOLATED margin', () => {
  it('the initial margin moves into the isolated wallet; positionRisk, balance, ACCOUNT_UPDATE show it; positionMargin adds and removes', async () => {
    const { events, ws } = await userStream(iso);
    expect((await order(iso, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1' })).status).toBe('FILLED');
    expect((await order(iso, { symbol: 'ETHUSDT', side: 'BUY', quantity: '1' })).status).toBe('FILLED');
    // 0.1 × 50000.1 / 10 = 500.001 moved into the isolated wallet; the ledger marks at the mid 50000.05.
    const [btc] = await risk(iso, 'v2', 'BTCUSDT');
    expect(btc).toMatchObject({ positionAmt: '0.1', entryPrice: '50000.10000000', marginType: 'isolated', positionSide: 'BOTH', isolatedWallet: '500.00100000', isolatedMargin: '499.99600000', unRealizedProfit: '-0.00500000' });
    // Liquidation price: (cost − iw) / (q − |q| × 0.004) = 4500.009 / 0.0996.
    expect(btc.liquidationPrice).toBe('45180.81325301');
    const [eth] = await risk(iso, 'v2', 'ETHUSDT');
    expect(eth).toMatchObject({ positionAmt: '1', marginType: 'cross', isolatedWallet: '0', isolatedMargin: '0.00000000' });
    if (HAVE_FIXTURES) {
      const keys = Object.keys((fixture('http_json/position_risk.json') as Row[])[0]);
      for (const row of [btc, eth]) expect(Object.keys(row)).toEqual(expect.arrayContaining(keys));
    }
    // Wallet: 10000 less the two taker fees (2.500005 + 1.50005); the cross wallet less the isolated wallet too.
    const bal = ((await signed(h.base, 'GET', '/fapi/v2/balance', {}, iso)).json as unknown as Row[])[0];
    expect([bal.balance, bal.crossWalletBalance]).toEqual(['9995.99994500', '9495.99894500']);
    const acct = (await signed(h.base, 'GET', '/fapi/v3/account', {}, iso)).json as { totalCrossWalletBalance: string; positions: Record<string, unknown>[] };
    expect(acct.totalCrossWalletBalance).toBe('9495.99894500');
    expect(acct.positions.find((p) => p.symbol === 'BTCUSDT')).toMatchObject({ isolated: true, isolatedWallet: '500.00100000', positionSide: 'BOTH' });
    await until(() => events.filter((e) => e.e === 'ACCOUNT_UPDATE').length >= 2, 'two ACCOUNT_UPDATEs');
    const upd = events.find((e) => e.e === 'ACCOUNT_UPDATE' && e.a.P[0].s === 'BTCUSDT')!;
    expect(upd.a.P[0]).toMatchObject({ s: 'BTCUSDT', pa: '0.100', mt: 'isolated', iw: '500.00100000', ps: 'BOTH' });
    expect(upd.a.B[0]).toMatchObject({ a: 'USDT', wb: '9997.49999500', cw: '9497.49899500' });
    if (HAVE_FIXTURES) {
      const f = fixture('user_data_json/account_update.json') as { a: { B: object[]; P: object[] } };
      expect(Object.keys(upd.a.P[0]).sort()).toEqual(Object.keys(f.a.P[0]).sort());
      expect(Object.keys(upd.a.B[0]).sort()).toEqual(Object.keys(f.a.B[0]).sort());
    }
    ws.close();

    const pm = (params: Record<string, string | number>) => signed(h.base, 'POST', '/fapi/v1/positionMargin', { symbol: 'BTCUSDT', ...params }, iso);
    expect((await pm({ amount: '100', type: 1 })).json).toEqual({ amount: 100, code: 200, msg: 'Successfully modify position margin.', type: 1 });
    expect((await risk(iso, 'v3', 'BTCUSDT'))[0].isolatedWallet).toBe('600.00100000');
    expect((await pm({ amount: '50', type: 2 })).json.code).toBe(200);
    expect((await risk(iso, 'v3', 'BTCUSDT'))[0].isolatedWallet).toBe('550.00100000');
    // Removing more than leaves the initial margin (0.1 × 50000.05 / 10 = 500.005) is refused; so is adding more than the cross side has.
    expect((await pm({ amount: '60', type: 2 })).json).toEqual({ code: -4051, msg: 'Isolated balance insufficient.' });
    expect((await pm({ amount: '1000000', type: 1 })).json).toEqual({ code: -4050, msg: 'Cross balance insufficient.' });
    expect((await pm({ symbol: 'ETHUSDT', amount: '10', type: 1 })).json).toEqual({ code: -4049, msg: 'Add margin only support for isolated position.' });
    expect((await pm({ amount: '10', type: 1, positionSide: 'LONG' })).json.code).toBe(-4061);
    expect((await pm({ amount: '10', type: 3 })).json.code).toBe(-1130);
    expect((await pm({ amount: '-10', type: 1 })).json.code).toBe(-1130);
    expect((await pm({ type: 1 })).json.code).toBe(-1102);
    // The wallet itself did not move.
    expect(((await signed(h.base, 'GET', '/fapi/v2/balance', {}, iso)).json as unknown as Row[])[0].balance).toBe('9995.99994500');

    // Funding of the isolated position is paid out of its own wallet: 0.1 × 50000 × 0.0001 = 0.5;
    // ACCOUNT_UPDATE FUNDING_FEE carries the balance and that isolated position (Binance: "isolated: B + that isolated P").
    const stream = await userStream(iso);
    await move(mark('BTCUSDT', '50000', '0.0001'));
    expect((await risk(iso, 'v3', 'BTCUSDT'))[0].isolatedWallet).toBe('549.50100000');
    await until(() => stream.events.some((e) => e.e === 'ACCOUNT_UPDATE'), 'the FUNDING_FEE update');
    const fee = stream.events.find((e) => e.e === 'ACCOUNT_UPDATE')!;
    expect(fee.a.m).toBe('FUNDING_FEE');
    expect(fee.a.B).toEqual([{ a: 'USDT', wb: '9995.49994500', cw: '9445.99894500', bc: '0' }]);
    expect(fee.a.P).toMatchObject([{ s: 'BTCUSDT', pa: '0.100', mt: 'isolated', iw: '549.50100000', ps: 'BOTH' }]);
    stream.ws.close();
  });

  it('marginType cannot change with a position (-4048); the isolated position is liquidated alone at its own maintenance margin, losing exactly its wallet', async () => {
    const mt = (symbol: string, marginType: string) => signed(h.base, 'POST', '/fapi/v1/marginType', { symbol, marginType }, iso);
    expect((await mt('BTCUSDT', 'CROSSED')).json).toEqual({ code: -4048, msg: 'Margin type cannot be changed if there exists position.' });
    expect((await mt('ETHUSDT', 'ISOLATED')).json.code).toBe(-4048);
    expect((await mt('BTCUSDT', 'ISOLATED')).json.code).toBe(-4046);
    const { events, ws } = await userStream(iso);
    // At 45500 the position's own margin (549.501 + 0.1 × (45500 − 50000.1) = 99.5) is above its maintenance margin (18.2): nothing happens.
    await move(book('BTCUSDT', '45500.0', '45500.1'), mark('BTCUSDT', '45500'));
    expect((await risk(iso, 'v3', 'BTCUSDT'))[0].positionAmt).toBe('0.1');
    // A jump to 44000 is beyond it (and beyond the bankruptcy price): closed at the bankruptcy
    // price ceil((5000.01 − 549.501) / (0.1 × 0.9995)) = 44527.4, an autoclose order.
    await move(book('BTCUSDT', '44000.0', '44000.1'), mark('BTCUSDT', '44000'));
    expect(await risk(iso, 'v3', 'BTCUSDT')).toEqual([]);
    await until(() => events.some((e) => e.e === 'ORDER_TRADE_UPDATE' && e.o.x === 'CALCULATED'), 'the liquidation report');
    const liq = events.find((e) => e.e === 'ORDER_TRADE_UPDATE' && e.o.x === 'CALCULATED')!.o;
    expect(liq).toMatchObject({ s: 'BTCUSDT', S: 'SELL', X: 'FILLED', L: '44527.4', l: '0.100', ps: 'BOTH' });
    expect(liq.c).toMatch(/^autoclose-/);
    // The cross ETH position is untouched.
    expect((await risk(iso, 'v3', 'ETHUSDT'))[0]).toMatchObject({ positionAmt: '1', entryPrice: '3000.10000000', marginType: 'cross' });
    // The BTC loss is the isolated wallet exactly: 547.27 realized + 2.22637 fee + 0.00463 clearance = 549.501
    // (with the 0.5 of funding: the 550.001 it was given).
    const bal = ((await signed(h.base, 'GET', '/fapi/v2/balance', {}, iso)).json as unknown as Row[])[0];
    expect([bal.balance, bal.crossWalletBalance]).toEqual(['9445.99894500', '9445.99894500']);
    ws.close();
    // Flat isolated symbol: no margin to move (-4054); an open order blocks the switch (-4047), then it goes.
    expect((await signed(h.base, 'POST', '/fapi/v1/positionMargin', { symbol: 'BTCUSDT', amount: '1', type: 1 }, iso)).json.code).toBe(-4054);
    const rest = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '40000', quantity: '0.01' }, iso);
    expect(rest.json.status).toBe('NEW');
    expect((await mt('BTCUSDT', 'CROSSED')).json).toEqual({ code: -4047, msg: 'Margin type cannot be changed if there exists open orders.' });
    await signed(h.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', orderId: rest.json.orderId as number }, iso);
    expect((await mt('BTCUSDT', 'CROSSED')).json).toEqual({ code: 200, msg: 'success' });
    expect((await signed(h.base, 'GET', '/fapi/v1/symbolConfig', { symbol: 'BTCUSDT' }, iso)).json).toMatchObject([{ marginType: 'CROSSED' }]);
  });
});

describe('hedge mode', () => {
  it('a LONG and a SHORT position at once, each with its own entry and PnL; ps in ORDER_TRADE_UPDATE and ACCOUNT_UPDATE', async () => {
    await move(book('BTCUSDT', '50000.0', '50000.1'), mark('BTCUSDT', '50000'));
    expect((await signed(h.base, 'GET', '/fapi/v1/positionSide/dual', {}, hedge)).json).toEqual({ dualSidePosition: true });
    expect((await signed(h.base, 'GET', '/fapi/v1/accountConfig', {}, hedge)).json.dualSidePosition).toBe(true);
    // Orders must say which side: none or BOTH is -4061, reduceOnly is not a hedge-mode parameter (-1106).
    expect(await order(hedge, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1' })).toEqual({ code: -4061, msg: "Order's position side does not match user's setting." });
    expect((await order(hedge, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1', positionSide: 'BOTH' })).code).toBe(-4061);
    expect((await order(hedge, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1', positionSide: 'UP' })).code).toBe(-4060);
    expect((await order(hedge, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.1', positionSide: 'LONG', reduceOnly: 'true' })).code).toBe(-1106);
    // Closing a side that is flat: -2022 (a hedge-mode close is reduce-only by nature).
    expect((await order(hedge, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.1', positionSide: 'LONG' })).code).toBe(-2022);
    // And in one-way mode LONG is refused.
    expect((await order(iso, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1', positionSide: 'LONG' })).code).toBe(-4061);

    const { events, ws } = await userStream(hedge);
    expect(await order(hedge, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1', positionSide: 'LONG' })).toMatchObject({ status: 'FILLED', positionSide: 'LONG' });
    expect(await order(hedge, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.05', positionSide: 'SHORT' })).toMatchObject({ status: 'FILLED', positionSide: 'SHORT' });
    const rows = await risk(hedge, 'v2', 'BTCUSDT');
    expect(rows.map((r) => [r.positionSide, r.positionAmt, r.entryPrice, r.marginType])).toEqual([
      ['LONG', '0.1', '50000.10000000', 'cross'],
      ['SHORT', '-0.05', '50000.00000000', 'cross'],
    ]);
    if (HAVE_FIXTURES) {
      const f = fixture('http_json/position_risk_hedge.json') as Row[];
      expect(f.map((r) => r.positionSide)).toEqual(['LONG', 'SHORT']);
      for (const row of rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(Object.keys(f[0])));
      expect(Number(rows[1].notional)).toBeLessThan(0); // signed like the fixture's SHORT row
    }
    await move(book('BTCUSDT', '51000.0', '51000.1'), mark('BTCUSDT', '51000'));
    // The LONG closes with its own realized PnL: 0.1 × (51000.0 − 50000.1) = 99.99; the SHORT keeps its loss open.
    expect(await order(hedge, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.1', positionSide: 'LONG' })).toMatchObject({ status: 'FILLED', positionSide: 'LONG' });
    const open = await risk(hedge, 'v3');
    expect(open.map((r) => [r.positionSide, r.positionAmt, r.unRealizedProfit])).toEqual([['SHORT', '-0.05', '-50.00250000']]);
    const trades = (await signed(h.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT' }, hedge)).json as unknown as Row[];
    expect(trades.map((t) => [t.side, t.positionSide, t.realizedPnl])).toEqual([['BUY', 'LONG', '0'], ['SELL', 'SHORT', '0'], ['SELL', 'LONG', '99.99000000']]);
    // Wallet: 10000 + 99.99 − three taker fees (2.500005 + 1.25 + 2.55).
    expect(((await signed(h.base, 'GET', '/fapi/v2/balance', {}, hedge)).json as unknown as Row[])[0].balance).toBe('10093.68999500');
    await until(() => events.filter((e) => e.e === 'ACCOUNT_UPDATE').length >= 3, 'three ACCOUNT_UPDATEs');
    expect(events.filter((e) => e.e === 'ORDER_TRADE_UPDATE' && e.o.x === 'TRADE').map((e) => e.o.ps)).toEqual(['LONG', 'SHORT', 'LONG']);
    expect(events.filter((e) => e.e === 'ACCOUNT_UPDATE').map((e) => [e.a.P[0].ps, e.a.P[0].pa, e.a.P[0].cr])).toEqual([
      ['LONG', '0.100', '0.00000000'],
      ['SHORT', '-0.050', '0.00000000'],
      ['LONG', '0.000', '99.99000000'],
    ]);
    ws.close();
  });

  it('positionSide/dual: -4067 with an open order, -4068 with a position, then back to one-way', async () => {
    const dual = (v: string) => signed(h.base, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: v }, hedge);
    expect((await dual('true')).json).toEqual({ code: -4059, msg: 'No need to change position side.' });
    expect((await dual('false')).json).toEqual({ code: -4068, msg: 'Position side cannot be changed if there exists position.' });
    expect(await order(hedge, { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.05', positionSide: 'SHORT' })).toMatchObject({ status: 'FILLED' });
    const rest = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '2000', quantity: '0.1', positionSide: 'LONG' }, hedge);
    expect(rest.json).toMatchObject({ status: 'NEW', positionSide: 'LONG' });
    expect((await dual('false')).json).toEqual({ code: -4067, msg: 'Position side cannot be changed if there exists open orders.' });
    await signed(h.base, 'DELETE', '/fapi/v1/order', { symbol: 'ETHUSDT', orderId: rest.json.orderId as number }, hedge);
    expect((await dual('false')).json).toEqual({ code: 200, msg: 'success' });
    expect((await signed(h.base, 'GET', '/fapi/v1/positionSide/dual', {}, hedge)).json).toEqual({ dualSidePosition: false });
    expect((await risk(hedge, 'v2', 'BTCUSDT')).map((r) => r.positionSide)).toEqual(['BOTH']);
  });
});

describe('ccxt', () => {
  it('setPositionMode, createOrder with positionSide, setMarginMode, fetchPositions', async () => {
    const c = await ccxtRest(h.base);
    const SYM = 'BTC/USDT:USDT';
    await c.setPositionMode(true);
    expect((await c.fetchPositionMode(SYM)).hedged).toBe(true);
    await c.createOrder(SYM, 'market', 'buy', 0.01, undefined, { positionSide: 'LONG' });
    await c.createOrder(SYM, 'market', 'sell', 0.02, undefined, { positionSide: 'SHORT' });
    const positions = (await c.fetchPositions([SYM])).filter((p) => (p.contracts ?? 0) !== 0);
    expect(positions.map((p) => [p.side, p.contracts, p.hedged]).sort()).toEqual([['long', 0.01, true], ['short', 0.02, true]]);
    // A position blocks the switch: ccxt throws with Binance's code in the message.
    await expect(c.setMarginMode('isolated', SYM)).rejects.toThrow(/-4048/);
    await c.createOrder(SYM, 'market', 'sell', 0.01, undefined, { positionSide: 'LONG' });
    await c.createOrder(SYM, 'market', 'buy', 0.02, undefined, { positionSide: 'SHORT' });
    await c.setMarginMode('isolated', SYM);
    await c.createOrder(SYM, 'market', 'buy', 0.01, undefined, { positionSide: 'LONG' });
    const [long] = (await c.fetchPositions([SYM])).filter((p) => (p.contracts ?? 0) !== 0);
    expect([long.side, long.marginMode, long.hedged]).toEqual(['long', 'isolated', true]);
    expect(Number((long.info as Row).isolatedWallet)).toBeGreaterThan(0);
    await c.createOrder(SYM, 'market', 'sell', 0.01, undefined, { positionSide: 'LONG' });
    await c.setPositionMode(false);
    await c.setMarginMode('cross', SYM);
    expect((await c.fetchPositionMode(SYM)).hedged).toBe(false);
  }, 30_000);
});
