// The simulated exchange's hedge mode and isolated margin (options of the local exchange; the
// backtest runs without them, see margin.test.ts): each side of a hedge position needs its own
// margin, an isolated side is liquidated alone and no worse than its bankruptcy price, funding of an
// isolated side goes into its own wallet, and a cross liquidation in hedge mode closes both sides.
import { describe, expect, it } from 'vitest';
import type { SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, BID, exchange, mark, order, standardBook } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;
const hedge = (balance: string, leverage: number, isolated: string[] = []): Partial<SimExchangeOptions> => ({ account: { balance, leverage, isolated }, dualSidePosition: true });

describe('hedge mode', () => {
  it('orders must carry a positionSide in hedge mode and none in one-way mode (-4061); reduceOnly is refused (-1106)', () => {
    const h = exchange(hedge('1000', 10));
    h.onMarketEvent(standardBook(1));
    h.onCommand(order('none', 'buy', BID, 1), 2);
    h.onCommand(order('ro', 'sell', ASK, 1, { positionSide: 'LONG', reduceOnly: true }), 3);
    expect(h.drainReports().map((r) => [r.clientOrderId, r.errorCode])).toEqual([['none', -4061], ['ro', -1106]]);
    const one = exchange({ account: { balance: '1000', leverage: 10 } });
    one.onMarketEvent(standardBook(1));
    one.onCommand(order('long', 'buy', BID, 1, { positionSide: 'LONG' }), 2);
    expect(one.drainReports()[0].errorCode).toBe(-4061);
  });

  it('each side needs its own initial margin: a short beside a long is not a reduction (-2019 where one-way mode accepts)', () => {
    const run = (opts: Partial<SimExchangeOptions>, sides: ('LONG' | 'SHORT' | undefined)[]) => {
      const ex = exchange(opts);
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('b', 'buy', ASK, 1, { ...MARKET, positionSide: sides[0] }), 2); // 60 USDT at 1×
      ex.onCommand(order('s1', 'sell', BID, 1, { ...MARKET, positionSide: sides[1] }), 3);
      ex.onCommand(order('s2', 'sell', BID - 100, 1, { positionSide: sides[2] }), 4); // resting: 60 more
      return ex.drainReports().filter((r) => r.execType === 'REJECTED' || r.execType === 'NEW').map((r) => [r.clientOrderId, r.errorCode]);
    };
    expect(run({ account: { balance: '130', leverage: 1 } }, [undefined, undefined, undefined])).toEqual([['b', 0], ['s1', 0], ['s2', 0]]);
    expect(run(hedge('130', 1), ['LONG', 'SHORT', 'SHORT'])).toEqual([['b', 0], ['s1', 0], ['s2', -2019]]);
  });

  it('a close (SELL LONG) is capped at its side and refused when that side is flat (-2022); LONG and SHORT are kept apart', () => {
    const ex = exchange(hedge('1000', 10));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('close', 'sell', BID, 1, { ...MARKET, positionSide: 'LONG' }), 2);
    expect(ex.drainReports()[0].errorCode).toBe(-2022);
    ex.onCommand(order('l', 'buy', ASK, 3, { ...MARKET, positionSide: 'LONG' }), 3);
    ex.onCommand(order('s', 'sell', BID, 2, { ...MARKET, positionSide: 'SHORT' }), 4);
    ex.onCommand(order('c', 'sell', BID, 5, { ...MARKET, positionSide: 'LONG' }), 5);
    const closed = ex.drainReports().filter((r) => r.clientOrderId === 'c' && r.execType === 'TRADE');
    expect(closed.map((r) => [r.lastFillLots, r.positionSide])).toEqual([[3, 'LONG']]);
    expect(ex.positionSides('BTCUSDT')).toEqual([['LONG', 0], ['SHORT', -2]]);
    expect(ex.positionLots('BTCUSDT')).toBe(-2);
  });

  it('a cross liquidation closes both sides, each by its own autoclose order', () => {
    const ex = exchange(hedge('100', 20));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', ASK + 1, 20, { timeInForce: 'IOC', positionSide: 'LONG' }), 2);
    ex.onCommand(order('s', 'sell', BID, 1, { ...MARKET, positionSide: 'SHORT' }), 3);
    ex.drainReports();
    ex.onMarketEvent(mark(4, '54000'));
    const liq = ex.drainReports().filter((r) => r.execType === 'CALCULATED');
    expect(liq.map((r) => [r.side, r.lastFillLots, r.positionSide])).toEqual([['sell', 20, 'LONG'], ['buy', 1, 'SHORT']]);
    expect(ex.positionSides('BTCUSDT')).toEqual([['LONG', 0], ['SHORT', 0]]);
  });
});

describe('isolated margin with hedge mode', () => {
  /** 1000 USDT, 10×, BTCUSDT isolated: LONG 10 lots at 60000.0 (wallet 60), SHORT 10 lots at 59999.0 (wallet 59.999). */
  function bothSides() {
    const ex = exchange(hedge('1000', 10, ['BTCUSDT']));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', ASK, 10, { ...MARKET, positionSide: 'LONG' }), 2);
    ex.onCommand(order('s', 'sell', BID, 10, { ...MARKET, positionSide: 'SHORT' }), 3);
    ex.drainReports();
    expect([ex.isolatedPosition('BTCUSDT', 'LONG')?.wallet, ex.isolatedPosition('BTCUSDT', 'SHORT')?.wallet]).toEqual(['60', '59.999']);
    return ex;
  }

  it('the LONG side is liquidated alone at its own maintenance margin, at its bankruptcy price; the SHORT keeps its wallet', () => {
    const ex = bothSides();
    ex.onMarketEvent(mark(4, '54500')); // LONG's own margin 60 − 55 = 5 > its maintenance 2.18
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(mark(5, '54000'));
    const liq = ex.drainReports().filter((r) => r.execType === 'CALCULATED');
    // Bankruptcy: (600 − 60) / (0.01 × (1 − 0.0005)) = 54027.01… → 54027.1, above the mark.
    expect(liq.map((r) => [r.side, r.lastFillLots, r.lastFillPriceTicks, r.positionSide])).toEqual([['sell', 10, 540_271, 'LONG']]);
    expect(ex.positionSides('BTCUSDT')).toEqual([['LONG', 0], ['SHORT', -10]]);
    expect(ex.isolatedPosition('BTCUSDT', 'LONG')?.wallet).toBe('0');
    expect(ex.isolatedPosition('BTCUSDT', 'SHORT')?.wallet).toBe('59.999');
    // The LONG lost exactly its wallet (59.729 at 54027.1 + 0.2701355 fee + 0.0008645 clearance = 60) and its
    // opening fee 0.3; the SHORT paid 0.299995 to open and gains 0.01 × (59999 − 54000) = 59.99 at the mark.
    expect(ex.accountEquity()).toBe('999.390005');
  });

  it('funding of each side goes into its own isolated wallet', () => {
    const ex = bothSides();
    ex.onMarketEvent(mark(10, '60000', '0.0001', 20));
    ex.onMarketEvent(mark(30, '60000', '0.0001', 28_800_000_020));
    const [f] = ex.drainFunding();
    expect(f).toMatchObject({ positionLots: 0, payment: '0' });
    // LONG pays 0.01 × 60000 × 0.0001 = 0.06, SHORT receives it.
    expect([ex.isolatedPosition('BTCUSDT', 'LONG')?.wallet, ex.isolatedPosition('BTCUSDT', 'SHORT')?.wallet]).toEqual(['59.94', '60.059']);
  });

  it('marginType and position mode change only with no order and no position', () => {
    const ex = bothSides();
    expect(ex.setMarginType('BTCUSDT', false)).toBe('position');
    expect(ex.setDualSidePosition(false)).toBe('position');
    expect(ex.setMarginType('BTCUSDT', true)).toBe('same');
    const flat = exchange(hedge('1000', 10));
    flat.onMarketEvent(standardBook(1));
    flat.onCommand(order('r', 'buy', BID - 50, 1, { positionSide: 'LONG' }), 2);
    expect([flat.setMarginType('BTCUSDT', true), flat.setDualSidePosition(false)]).toEqual(['openOrders', 'openOrders']);
  });
});

describe('isolated margin in one-way mode', () => {
  it('an order through the position closes it (the wallet goes back) and opens the other way with the initial margin of the rest', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')?.wallet).toBe('60');
    ex.onCommand(order('s', 'sell', BID, 30, MARKET), 3);
    expect(ex.positionLots('BTCUSDT')).toBe(-20);
    // 10 lots at 59999.0 close the long; 10 at 59998.9 and 10 at 59998.8 open the short: (599.989 + 599.988) / 10.
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')?.wallet).toBe('119.9977');
    expect(ex.isolatedWallets()).toBe('119.9977');
    // With a position the margin type cannot change.
    expect(ex.setMarginType('BTCUSDT', false)).toBe('position');
  });
});
