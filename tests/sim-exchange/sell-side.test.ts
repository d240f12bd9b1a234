// The sell side of the rules the buy-side tests pin, odd tick/lot steps, and the reduce-only and
// MIN_NOTIONAL paths a mutation test found unpinned (../shared/design/mutation-report-2026-12-02.md,
// H4, M16, M17, M19, M23, M24).
import { describe, expect, it } from 'vitest';
import { ASK, BID, diff, exchange, modify, order, snapshot, standardBook, trades } from './helpers.ts';

describe('crossing book moves on a resting SELL (F5)', () => {
  it('fills only when the best bid moves onto the sell, at the sell price, as maker', () => {
    const ex = exchange({ crossingFills: true });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK + 2, 5), 2);
    ex.drainReports();
    // Book changes that do not reach the sell: nothing.
    ex.onMarketEvent(diff(3, [[BID + 1, 4]], []));
    ex.onMarketEvent(diff(4, [], [[ASK, 0]]));
    ex.onMarketEvent(diff(5, [[ASK, 3]], [[ASK + 1, 0]])); // best bid ASK: one tick below the sell
    expect(ex.drainReports()).toEqual([]);
    expect(ex.openOrders('BTCUSDT')[0]).toMatchObject({ clientOrderId: 's1', filledLots: 0, status: 'NEW' });
    // The bid reaches the sell's price.
    ex.onMarketEvent(diff(6, [[ASK + 2, 7]], [[ASK + 2, 0]]));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots, r.lastFillPriceTicks, r.liquidity, r.status])).toEqual([['s1', 5, ASK + 2, 'maker', 'FILLED']]);
    expect(ex.positionLots('BTCUSDT')).toBe(-5);
  });

  it('a sell above the best bid is not filled by bid moves when crossing fills are off', () => {
    const ex = exchange({ crossingFills: false });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK + 2, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(diff(3, [[ASK + 3, 7]], [[ASK, 0], [ASK + 1, 0], [ASK + 2, 0], [ASK + 3, 0]]));
    expect(trades(ex.drainReports())).toEqual([]);
  });
});

describe('post-only sells at the bid (M16, M17)', () => {
  it('a GTX sell at exactly the best bid is refused -5022; one tick above rests', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[BID + 5, 10]]));
    ex.onCommand(order('at', 'sell', BID, 1, { timeInForce: 'GTX' }), 2);
    ex.onCommand(order('above', 'sell', BID + 1, 1, { timeInForce: 'GTX' }), 2);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([
      ['at', 'REJECTED', -5022],
      ['above', 'NEW', 0],
    ]);
  });

  it('a GTX sell modified onto the best bid is canceled; modified to one tick above, amended', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[BID + 5, 10]]));
    ex.onCommand(order('s', 'sell', BID + 3, 2, { timeInForce: 'GTX' }), 2);
    ex.onCommand(modify('s', 'sell', BID + 1, 2), 3);
    ex.onCommand(modify('s', 'sell', BID, 2), 4);
    expect(ex.drainReports().map((r) => [r.execType, r.priceTicks, r.status])).toEqual([
      ['NEW', BID + 3, 'NEW'],
      ['AMENDMENT', BID + 1, 'NEW'],
      ['CANCELED', BID + 1, 'CANCELED'],
    ]);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
  });
});

describe('reduce-only with a short position (M19, M24)', () => {
  it('a reduce-only BUY closes a short: fills up to the position and expires the rest', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('short', 'sell', 0, 3, { type: 'MARKET' }), 2);
    expect(ex.positionLots('BTCUSDT')).toBe(-3);
    ex.drainReports();
    ex.onCommand(order('r', 'buy', 0, 5, { type: 'MARKET', reduceOnly: true }), 3);
    expect(ex.drainReports().map((r) => [r.execType, r.status, r.cumFilledLots])).toEqual([
      ['NEW', 'NEW', 0],
      ['TRADE', 'PARTIALLY_FILLED', 3],
      ['EXPIRED', 'EXPIRED', 3],
    ]);
    expect(ex.positionLots('BTCUSDT')).toBe(0);
    // Flat: a reduce-only buy has nothing to reduce.
    ex.onCommand(order('r2', 'buy', BID, 1, { reduceOnly: true }), 4);
    expect(ex.drainReports().map((r) => [r.execType, r.errorCode])).toEqual([['REJECTED', -2022]]);
  });

  it('a reduce-only MARKET order is exempt from MIN_NOTIONAL; a plain MARKET of the same size is not', () => {
    const ex = exchange({}, { minNotional: '100' });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('long', 'buy', 0, 2, { type: 'MARKET' }), 2); // 120 USDT
    ex.onCommand(order('plain', 'sell', 0, 1, { type: 'MARKET' }), 3); // 60 USDT
    ex.onCommand(order('ro', 'sell', 0, 1, { type: 'MARKET', reduceOnly: true }), 4); // 60 USDT, reduce-only
    expect(ex.drainReports().filter((r) => r.execType !== 'NEW').map((r) => [r.clientOrderId, r.execType, r.errorCode, r.lastFillLots])).toEqual([
      ['long', 'TRADE', 0, 2],
      ['plain', 'REJECTED', -4164, 0],
      ['ro', 'TRADE', 0, 1],
    ]);
    expect(ex.positionLots('BTCUSDT')).toBe(1);
  });
});

describe('instruments whose tick and lot are not powers of ten (M23)', () => {
  // tick 0.05 (5 units of 0.01), step 0.005 (5 units of 0.001): × and ÷ of the units differ.
  const spec = { tickSize: '0.05', minPrice: '0.05', stepSize: '0.005', minQty: '0.005', marketMinQty: '0.005', minNotional: '5' };

  it('books a taker fill at the exact notional and commission', () => {
    const ex = exchange({}, spec);
    // 600,000 ticks × 0.05 = 30,000.00; 3 lots × 0.005 = 0.015 BTC: 450.00 USDT; taker 0.05 % = 0.225.
    ex.onMarketEvent(snapshot(1, [[599_990, 10]], [[600_000, 10]]));
    ex.onCommand(order('m', 'buy', 0, 3, { type: 'MARKET' }), 2);
    const [f] = trades(ex.drainReports());
    expect(f).toMatchObject({ lastFillLots: 3, lastFillPriceTicks: 600_000, liquidity: 'taker' });
    expect(Number(f.commission)).toBeCloseTo(0.225, 12);
  });

  it('checks MIN_NOTIONAL on the scaled notional', () => {
    const ex = exchange({}, { ...spec, minNotional: '100' });
    ex.onMarketEvent(snapshot(1, [[599_990, 10]], [[600_000, 10]]));
    // 1 lot at 29,999.50 = 149.9975 USDT ≥ 100: accepted. (Unscaled, 599,990 × 1 would be far off either way.)
    ex.onCommand(order('ok', 'buy', 599_990, 1), 2);
    // 1 lot at 1,000.00 (20,000 ticks) = 5.00 USDT < 100: refused.
    ex.onCommand(order('small', 'buy', 20_000, 1), 3);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([
      ['ok', 'NEW', 0],
      ['small', 'REJECTED', -4164],
    ]);
  });
});
