// Order lifecycle rules of the simulated exchange: modify, reduce-only, filters with Binance
// codes, max open orders, fees (exact commission, rebates) and funding settlements.
import { describe, expect, it } from 'vitest';
import { ASK, BID, diff, exchange, mark, modify, order, snapshot, standardBook, trade, trades } from './helpers.ts';

describe('modify (PUT)', () => {
  it('amends price and quantity and loses queue priority', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.onMarketEvent(trade(3, BID, 8, 'sell'));
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(2);
    ex.onMarketEvent(diff(4, [[BID, 2]], []));
    ex.drainReports();
    ex.onCommand(modify('b1', 'buy', BID, 6), 5); // quantity only: still to the back
    const [am] = ex.drainReports();
    expect(am).toMatchObject({ execType: 'AMENDMENT', status: 'NEW', priceTicks: BID, origQtyLots: 6 });
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(2);
    ex.onCommand(modify('b1', 'buy', BID - 1, 6), 6);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'AMENDMENT', priceTicks: BID - 1 });
    expect(ex.openOrders('BTCUSDT')[0]).toMatchObject({ priceTicks: BID - 1, queueAheadLots: 10 });
  });

  it('a modified order goes behind our other orders at the price', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('a', 'buy', BID, 2), 2);
    ex.onCommand(order('b', 'buy', BID, 2), 3);
    ex.onCommand(modify('a', 'buy', BID, 3), 4);
    ex.drainReports();
    ex.onMarketEvent(trade(5, BID, 3, 'sell'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['b', 2], ['a', 1]]);
  });

  it('is cancelled when the new quantity is at or below the filled quantity', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.onMarketEvent(trade(3, BID, 3, 'sell'));
    ex.drainReports();
    ex.onCommand(modify('b1', 'buy', BID, 3), 4);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'CANCELED', status: 'CANCELED', cumFilledLots: 3 })]);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
  });

  it('is cancelled when a GTX would take at the new price; a GTC at a crossing price takes', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('g', 'buy', BID, 5, { timeInForce: 'GTX' }), 2);
    ex.onCommand(order('c', 'buy', BID - 1, 15), 2);
    ex.drainReports();
    ex.onCommand(modify('g', 'buy', ASK, 5), 3);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'CANCELED', clientOrderId: 'g' })]);
    ex.onCommand(modify('c', 'buy', ASK, 15), 4);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.execType, r.status, r.lastFillLots, r.liquidity])).toEqual([
      ['AMENDMENT', 'NEW', 0, null],
      ['TRADE', 'PARTIALLY_FILLED', 10, 'taker'],
    ]);
    expect(ex.openOrders('BTCUSDT')).toEqual([expect.objectContaining({ clientOrderId: 'c', priceTicks: ASK, filledLots: 10 })]);
  });

  it('rejects unknown orders (-2011), no-op changes (-5027) and filter failures, leaving the order as it was', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.drainReports();
    ex.onCommand(modify('zz', 'buy', BID, 5), 3);
    ex.onCommand(modify('b1', 'buy', BID, 5), 3);
    ex.onCommand(modify('b1', 'buy', BID, 0), 3);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.execType, r.errorCode])).toEqual([['MODIFY_REJECTED', -2011], ['MODIFY_REJECTED', -5027], ['MODIFY_REJECTED', -4003]]);
    expect(rs[1]).toMatchObject({ orderId: ex.openOrders('BTCUSDT')[0].orderId, status: 'NEW' });
    expect(ex.openOrders('BTCUSDT')[0]).toMatchObject({ priceTicks: BID, origQtyLots: 5 });
  });
});

describe('open orders', () => {
  it('bestOpenPriceTicks is the best price openOrders lists per side, NaN for a side with none', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    const best = (side: 'buy' | 'sell'): number => {
      const ps = ex.openOrders('BTCUSDT').filter((o) => o.side === side).map((o) => o.priceTicks);
      return ps.length === 0 ? NaN : side === 'buy' ? Math.max(...ps) : Math.min(...ps);
    };
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'buy')).toBeNaN();
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'sell')).toBeNaN();
    ex.onCommand(order('b1', 'buy', BID - 2, 1), 2);
    ex.onCommand(order('b2', 'buy', BID, 1), 2);
    ex.onCommand(order('b3', 'buy', BID - 1, 1), 2);
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'buy')).toBe(BID);
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'sell')).toBeNaN();
    ex.onCommand(order('a1', 'sell', ASK + 3, 1), 3);
    ex.onCommand(order('a2', 'sell', ASK + 1, 1), 3);
    ex.onCommand(order('a3', 'sell', ASK + 2, 1), 3); // the best sell neither first nor last
    ex.onCommand(modify('b2', 'buy', BID - 5, 1), 4);
    for (const side of ['buy', 'sell'] as const) expect(ex.bestOpenPriceTicks('BTCUSDT', side)).toBe(best(side));
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'buy')).toBe(BID - 1);
    expect(ex.bestOpenPriceTicks('BTCUSDT', 'sell')).toBe(ASK + 1);
  });
});

describe('reduce-only (F8)', () => {
  it('is rejected (-2022) when it cannot reduce the position', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('r1', 'sell', ASK, 1, { reduceOnly: true }), 2);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'REJECTED', errorCode: -2022, orderId: -1 })]);
  });

  it('fills at most the position and expires the rest; resting ones expire when the position closes', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 3, { type: 'MARKET' }), 2);
    ex.onCommand(order('r1', 'sell', ASK + 3, 2, { reduceOnly: true }), 3);
    ex.onCommand(order('r2', 'sell', BID, 5, { reduceOnly: true, type: 'MARKET' }), 4);
    const rs = ex.drainReports().filter((r) => r.clientOrderId !== 'm');
    // r2 (MARKET) closes the remaining 3 lots and expires its other 2; r1 then has nothing to reduce.
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.status, r.cumFilledLots])).toEqual([
      ['r1', 'NEW', 'NEW', 0],
      ['r2', 'NEW', 'NEW', 0],
      ['r2', 'TRADE', 'PARTIALLY_FILLED', 3],
      ['r2', 'EXPIRED', 'EXPIRED', 3],
      ['r1', 'EXPIRED', 'EXPIRED', 0],
    ]);
    expect(ex.positionLots('BTCUSDT')).toBe(0);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
  });

  it('a resting reduce-only order hit by a print takes only the position; our next order gets the rest of the print', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[ASK, 0], [ASK + 1, 10]]));
    ex.onCommand(order('m', 'buy', 0, 2, { type: 'MARKET' }), 2); // long 2 lots
    ex.onCommand(order('r', 'sell', ASK, 5, { reduceOnly: true }), 3);
    ex.onCommand(order('n', 'sell', ASK, 9), 4);
    expect(ex.openOrderCount('BTCUSDT')).toBe(2);
    ex.drainReports();
    ex.onMarketEvent(trade(5, ASK, 10, 'buy'));
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.lastFillLots, r.status])).toEqual([
      ['r', 'TRADE', 2, 'PARTIALLY_FILLED'],
      ['r', 'EXPIRED', 0, 'EXPIRED'],
      ['n', 'TRADE', 8, 'PARTIALLY_FILLED'],
    ]);
    expect(ex.positionLots('BTCUSDT')).toBe(-8);
    expect(ex.openOrderCount('BTCUSDT')).toBe(1);
  });

  it('is exempt from MIN_NOTIONAL', () => {
    const ex = exchange({}, { minNotional: '100' });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 2, { type: 'MARKET' }), 2); // 120 USDT
    ex.onCommand(order('r', 'sell', ASK, 1, { reduceOnly: true }), 3); // 60 USDT
    ex.onCommand(order('n', 'sell', ASK, 1), 3);
    expect(ex.drainReports().filter((r) => r.execType !== 'TRADE').map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([
      ['m', 'NEW', 0], ['r', 'NEW', 0], ['n', 'REJECTED', -4164],
    ]);
  });
});

describe('filters and limits', () => {
  const cases: [string, Parameters<typeof order>, number][] = [
    ['qty ≤ 0', ['x', 'buy', BID, 0], -4003],
    ['price ≤ 0', ['x', 'buy', 0, 1], -4001],
    ['price below min', ['x', 'buy', 5, 1000], -4013],
    ['price above max', ['x', 'sell', 10_000_001, 1], -4002],
    ['qty above max', ['x', 'buy', BID, 1_000_001], -4005],
    ['off tick (non-integer ticks)', ['x', 'buy', BID + 0.5, 1], -4014],
    ['off step (non-integer lots)', ['x', 'buy', BID, 1.5], -4023],
    ['notional below min', ['x', 'buy', 100, 1], -4164],
    ['market qty above MARKET_LOT_SIZE', ['x', 'buy', 0, 120_001, { type: 'MARKET' }], -4005],
  ];
  for (const [name, args, code] of cases) {
    it(`${name} → ${code}`, () => {
      const ex = exchange({}, { minPrice: '1' });
      ex.onMarketEvent(standardBook());
      ex.onCommand(order(...args), 2);
      expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'REJECTED', status: 'REJECTED', orderId: -1, errorCode: code })]);
    });
  }

  it('PERCENT_PRICE against the mark, once a mark is known', () => {
    const ex = exchange({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('early', 'buy', 700_000, 1, { timeInForce: 'GTX' }), 2); // no mark yet: allowed (crosses → -5022)
    ex.onMarketEvent(mark(3, '60000'));
    ex.onCommand(order('hi', 'buy', 630_001, 1), 4);
    ex.onCommand(order('edge', 'sell', 630_000, 1), 4);
    ex.onCommand(order('lo', 'sell', 569_999, 1), 4);
    ex.onCommand(order('edge2', 'buy', 570_000, 1), 4);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.errorCode])).toEqual([['early', -5022], ['hi', -4016], ['edge', 0], ['lo', -4024], ['edge2', 0]]);
  });

  it('PERCENT_PRICE for MARKET orders: the counterparty best beyond the band → -4131', () => {
    const ex = exchange({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
    ex.onMarketEvent(standardBook());
    ex.onMarketEvent(mark(2, '50000')); // band 47500 .. 52500: the best ask 60000.0 is above it, the best bid inside
    ex.onCommand(order('mb', 'buy', 0, 1, { type: 'MARKET', timeInForce: 'IOC' }), 3);
    ex.onCommand(order('ms', 'sell', 0, 1, { type: 'MARKET', timeInForce: 'IOC' }), 3);
    const byId = new Map(ex.drainReports().map((r) => [r.clientOrderId + r.execType, r]));
    expect(byId.get('mbREJECTED')?.errorCode).toBe(-4131);
    expect(byId.get('msTRADE')?.lastFillPriceTicks).toBe(BID);
    expect(byId.has('msREJECTED')).toBe(false);
  });

  it('MAX_NUM_ORDERS → -2025; a duplicate open clientOrderId → -4116', () => {
    const ex = exchange({}, { maxNumOrders: 2 });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('a', 'buy', BID, 1), 2);
    ex.onCommand(order('a', 'buy', BID, 1), 2);
    ex.onCommand(order('b', 'buy', BID, 1), 2);
    ex.onCommand(order('c', 'buy', BID, 1), 2);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([
      ['a', 'NEW', 0], ['a', 'REJECTED', -4116], ['b', 'NEW', 0], ['c', 'REJECTED', -2025],
    ]);
  });

  it('an unknown symbol → -1121', () => {
    const ex = exchange();
    ex.onCommand({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'e', side: 'buy', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 1, qtyLots: 1, reduceOnly: false } }, 1);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'REJECTED', errorCode: -1121 });
  });
});

describe('fees', () => {
  it('commission is price × qty × rate, exactly; a negative maker rate is a rebate', () => {
    const ex = exchange({ fees: { default: { makerRate: '0.0002', takerRate: '0.0005' }, symbols: { BTCUSDT: { makerRate: '-0.00005', takerRate: '0.0004' } } } });
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[600_001, 10]]));
    ex.onCommand(order('b', 'buy', BID, 3), 2);
    ex.onMarketEvent(trade(3, BID, 3, 'sell'));
    ex.onCommand(order('t', 'buy', 600_001, 7, { timeInForce: 'IOC' }), 4);
    const fills = trades(ex.drainReports());
    // maker: 59999.0 × 0.003 × −0.00005 = −0.00899985; taker: 60000.1 × 0.007 × 0.0004 = 0.16800028
    expect(fills.map((r) => [r.liquidity, r.commission])).toEqual([['maker', '-0.00899985'], ['taker', '0.16800028']]);
  });

  it('a zero rate gives commission "0"', () => {
    const ex = exchange({ fees: { default: { makerRate: '0', takerRate: '0' } } });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), 2);
    expect(trades(ex.drainReports())[0].commission).toBe('0');
  });
});

describe('funding', () => {
  const H8 = 8 * 3600 * 1_000_000;

  it('settles at nextFundingTime transitions with the announced rate and the last mark (longs pay when > 0)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 2, { type: 'MARKET' }), 2); // long 0.002
    ex.onMarketEvent(mark(H8 - 2_000_000, '60000.5', '0.0001', H8));
    ex.onMarketEvent(mark(H8 - 1_000_000, '60001', '0.00012', H8));
    expect(ex.drainFunding()).toEqual([]);
    ex.onMarketEvent(mark(H8 + 1_000_000, '60010', '0.00005', 2 * H8));
    // −0.002 × 60001 × 0.00012 = −0.01440024
    expect(ex.drainFunding()).toEqual([{ symbol: 'BTCUSDT', tsUs: H8, markPrice: '60001', rate: '0.00012', positionLots: 2, payment: '-0.01440024' }]);
    ex.onCommand(order('s', 'sell', 0, 5, { type: 'MARKET' }), H8 + 2);
    ex.onMarketEvent(mark(2 * H8 + 5, '60000', '-0.0002', 3 * H8));
    // short 0.003 with the rate −0.00005 announced for 2·H8: −(−0.003) × 60010 × 0.00005 = 0.0090015 → shorts pay when negative
    expect(ex.drainFunding()).toEqual([{ symbol: 'BTCUSDT', tsUs: 2 * H8, markPrice: '60010', rate: '0.00005', positionLots: -3, payment: '0.0090015' }]);
  });

  it('treats a data.binance.vision fundingRate row as a settlement record, once', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'sell', 0, 1, { type: 'MARKET' }), 2);
    ex.onMarketEvent(mark(H8 - 60_000_000, '59990'));
    ex.onMarketEvent(mark(H8, '', '0.0001', H8));
    ex.onMarketEvent(mark(H8, '', '0.0001', H8));
    expect(ex.drainFunding()).toEqual([{ symbol: 'BTCUSDT', tsUs: H8, markPrice: '59990', rate: '0.0001', positionLots: -1, payment: '0.005999' }]);
  });

  it('fixed mode settles every interval at the configured rate, using the book mid without a mark', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onMarketEvent(standardBook(H8 - 10));
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), H8 - 5);
    ex.onMarketEvent(trade(3 * H8 + 1, BID, 1, 'sell'));
    const f = ex.drainFunding();
    expect(f.map((x) => [x.tsUs, x.markPrice, x.payment])).toEqual([
      [H8, '59999.5', '-0.00599995'],
      [2 * H8, '59999.5', '-0.00599995'],
      [3 * H8, '59999.5', '-0.00599995'],
    ]);
  });

  it('mode none never settles', () => {
    const ex = exchange({ funding: { mode: 'off' } });
    ex.onMarketEvent(mark(1, '60000', '0.0001', H8));
    ex.onMarketEvent(mark(H8 + 1, '60000', '0.0001', 2 * H8));
    expect(ex.drainFunding()).toEqual([]);
  });
});
