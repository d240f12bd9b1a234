// The exchange-side account (src/sim-exchange/margin.ts): -2019 at entry and liquidation at
// maintenance margin. Every test here fails on the exchange without an account (it accepted every
// order and never liquidated).
import { describe, expect, it } from 'vitest';
import { ASK, BID, exchange, mark, order, snapshot, standardBook } from './helpers.ts';

const account = (balance: string, leverage = 20) => ({ account: { balance, leverage } });

describe('initial margin at entry (-2019)', () => {
  it('a 20 USDT account at 1× cannot open 60 USDT of BTC: REJECTED -2019 "Margin is insufficient."', () => {
    const ex = exchange(account('20', 1));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', BID, 1), 2);
    const [r] = ex.drainReports();
    expect(r).toMatchObject({ execType: 'REJECTED', status: 'REJECTED', orderId: -1, errorCode: -2019, errorMessage: 'Margin is insufficient.' });
    expect(ex.openOrderCount('BTCUSDT')).toBe(0);
  });

  it('charges the worse side of the open orders, not both; reduce-only and position-reducing orders need nothing', () => {
    const ex = exchange(account('100', 1));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b1', 'buy', BID, 1), 2); // 60 USDT of 100
    ex.onCommand(order('s1', 'sell', ASK + 5, 1), 3); // the other side: max(|+1|, |−1|) = 1 lot, unchanged
    ex.onCommand(order('b2', 'buy', BID - 1, 1), 4); // 2 lots = 120 USDT > 100
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['b1', 'NEW', 0], ['s1', 'NEW', 0], ['b2', 'REJECTED', -2019]]);
  });

  it('values a symbol without a book at the order price', () => {
    const ex = exchange(account('50', 1));
    ex.onCommand(order('a', 'buy', 600_000, 1), 1);
    expect(ex.drainReports()[0].errorCode).toBe(-2019);
    ex.onCommand(order('b', 'buy', 400_000, 1), 2); // 40 USDT
    expect(ex.drainReports()[0].execType).toBe('NEW');
  });

  it('a position at a loss leaves less to open more with (equity, not the deposit, backs new orders)', () => {
    const ex = exchange(account('100', 10));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 10, { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }), 2); // 600 USDT, IM 60
    ex.onMarketEvent(mark(3, '56000')); // −40 USDT: equity ≈ 59.7, IM at the mark 56
    ex.onCommand(order('b', 'buy', 559_000, 1), 4); // +5.6 IM > 3.7 left
    const rs = ex.drainReports().filter((r) => r.clientOrderId === 'b');
    expect(rs[0]).toMatchObject({ execType: 'REJECTED', errorCode: -2019 });
  });
});

describe('liquidation at maintenance margin', () => {
  /** 100 USDT, 20×: long 20 lots (0.02 BTC ≈ 1200 USDT) taken at 60000.0 ×10 and 60000.1 ×10. */
  function leveragedLong() {
    const ex = exchange(account('100', 20));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
    ex.onCommand(order('rest', 'sell', ASK + 50, 5), 3);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.execType === 'TRADE').map((r) => [r.lastFillPriceTicks, r.lastFillLots, r.commission])).toEqual([[ASK, 10, '0.3'], [ASK + 1, 10, '0.3000005']]);
    expect(ex.positionLots('BTCUSDT')).toBe(20);
    return ex;
  }

  it('on the mark: cancels open orders and closes the position with a CALCULATED autoclose- fill, commission and insurance clearance exact', () => {
    const ex = leveragedLong();
    // 55300: equity 100 − 0.6000005 + (1106 − 1200.001) = 5.3989995 > MM 1106 × 0.004 = 4.424.
    ex.onMarketEvent(mark(10, '55300'));
    expect(ex.drainReports()).toEqual([]);
    // 55200: equity 3.3989995 ≤ MM 4.416 → liquidated.
    ex.onMarketEvent(mark(11, '55200'));
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.status])).toEqual([['rest', 'CANCELED', 'CANCELED'], [expect.stringMatching(/^autoclose-/), 'CALCULATED', 'FILLED']]);
    const liq = rs[1];
    expect(liq).toMatchObject({ side: 'sell', priceTicks: 552_000, origQtyLots: 20, cumFilledLots: 20, lastFillLots: 20, lastFillPriceTicks: 552_000, liquidity: 'taker', reduceOnly: true, tsExchangeUs: 11 });
    // Taker fee 1104 × 0.0005; the clearance fee (1104 × 0.0125 = 13.8) takes what is left: 3.3989995 − 0.552.
    expect(liq.commission).toBe('0.552');
    expect(liq.insuranceClearance).toBe('2.8469995');
    expect(liq.orderId).toBeGreaterThan(0);
    expect(ex.positionLots('BTCUSDT')).toBe(0);
    expect(ex.openOrderCount('BTCUSDT')).toBe(0);
    expect(ex.counters.liquidations).toBe(1);
    // The margin balance is what the trades leave: 100 − 1.1520005 fees − 96.001 loss − 2.8469995 clearance = 0.
    expect(ex.accountEquity()).toBe('0');
    // Nothing more happens on later marks.
    ex.onMarketEvent(mark(12, '50000'));
    expect(ex.drainReports()).toEqual([]);
  });

  it('on the book mid when there is no mark price', () => {
    const ex = leveragedLong();
    ex.onMarketEvent(snapshot(10, [[552_990, 5]], [[553_010, 5]])); // mid 55300
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(snapshot(11, [[551_990, 5]], [[552_010, 5]])); // mid 55200
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ side: 'sell', lastFillPriceTicks: 552_000, lastFillLots: 20, commission: '0.552', insuranceClearance: '2.8469995' });
  });

  it('a short is liquidated when the price rises (buy at the mark rounded up)', () => {
    const ex = exchange(account('100', 20));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'sell', BID, 10, { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }), 2); // short 10 lots at 59999.0
    ex.drainReports();
    // 99.7 + 0.01 × (59999 − P) ≤ 0.01 × P × 0.004 from P ≈ 69691.
    ex.onMarketEvent(mark(9, '69600'));
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(mark(10, '69800.05'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ side: 'buy', lastFillPriceTicks: 698_001, lastFillLots: 10 });
    expect(ex.positionLots('BTCUSDT')).toBe(0);
  });

  it('without an account the exchange never liquidates (the old behaviour, still the default)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
    ex.onMarketEvent(mark(11, '1000'));
    expect(ex.drainReports().some((r) => r.execType === 'CALCULATED')).toBe(false);
    expect(ex.positionLots('BTCUSDT')).toBe(20);
  });
});

describe('changing the leverage (Binance POST /fapi/v1/leverage)', () => {
  it('raising it lets a new order pass the initial-margin check; lowering it under open orders is refused (-2028) and changes nothing', () => {
    const ex = exchange(account('100', 1));
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', BID, 2), 2); // 120 USDT at 1× on 100
    expect(ex.drainReports()[0].errorCode).toBe(-2019);
    expect(ex.changeLeverage('BTCUSDT', 2)).toBe(true);
    ex.onCommand(order('b', 'buy', BID, 2), 3); // 60 USDT at 2×
    expect(ex.drainReports()[0].execType).toBe('NEW');
    expect(ex.changeLeverage('BTCUSDT', 1)).toBe(false); // 120 USDT of open orders at 1× on 100
    ex.onCommand(order('c', 'buy', BID - 1, 1), 4); // still 2×: 90 USDT in all
    expect(ex.drainReports()[0].execType).toBe('NEW');
    expect(() => ex.changeLeverage('NOPEUSDT', 5)).toThrow();
  });

  it('without an account every change succeeds', () => {
    const ex = exchange();
    expect(ex.changeLeverage('BTCUSDT', 1)).toBe(true);
  });
});
