// Order filters and order reports of the simulated exchange (src/sim-exchange/filters.ts,
// order.ts) at edges that survived the mutation run of 06ced88 (issue 15,
// docs/mutation/sim-exchange-survivors.md): a spec without a maximum quantity, PERCENT_PRICE
// bounding each side on its own (Binance: buys ≤ mark × multiplierUp, sells ≥ mark ×
// multiplierDown), and the exact shape of the reports a one-way order and a reject carry.
import { describe, expect, it } from 'vitest';
import { ASK, BID, SYMBOL, exchange, mark, order, standardBook } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;
const BAND = { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } };

describe('LOT_SIZE and MARKET_LOT_SIZE without a maximum', () => {
  it('a spec whose maxQty is 0 sets no upper bound on LIMIT orders', () => {
    const ex = exchange({}, { maxQty: '0' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('big', 'buy', BID - 10, 2_000_000), 2);
    ex.onCommand(order('one', 'buy', BID - 10, 1), 3);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['big', 'NEW', 0], ['one', 'NEW', 0]]);
  });

  it('a spec whose marketMaxQty is 0 sets no upper bound on MARKET orders', () => {
    const ex = exchange({}, { marketMaxQty: '0' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 0, 200_000, MARKET), 2);
    const rs = ex.drainReports();
    expect(rs[0]).toMatchObject({ clientOrderId: 'm', execType: 'NEW', errorCode: 0 });
    expect(rs.filter((r) => r.execType === 'TRADE').reduce((n, r) => n + r.lastFillLots, 0)).toBe(50); // the whole ask side
  });
});

describe('PERCENT_PRICE bounds each side on its own', () => {
  it('a LIMIT sell above the buy band and a LIMIT buy below the sell band are accepted', () => {
    // mark 60000: buys ≤ 63000.0, sells ≥ 57000.0.
    const ex = exchange({}, BAND);
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '60000'));
    ex.onCommand(order('s', 'sell', 640_000, 1), 3);
    ex.onCommand(order('b', 'buy', 560_000, 1), 4);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['s', 'NEW', 0], ['b', 'NEW', 0]]);
  });

  it('a MARKET buy is held to the buy edge only: with the book below the sell edge it fills, a MARKET sell is refused (-4131)', () => {
    // mark 70000: band 66500 .. 73500; the best ask 60000.0 is below both edges.
    const ex = exchange({}, BAND);
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '70000'));
    ex.onCommand(order('mb', 'buy', 0, 1, MARKET), 3);
    ex.onCommand(order('ms', 'sell', 0, 1, MARKET), 4);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.clientOrderId === 'mb').map((r) => [r.execType, r.lastFillPriceTicks])).toEqual([['NEW', 0], ['TRADE', ASK]]);
    expect(rs.filter((r) => r.clientOrderId === 'ms').map((r) => [r.execType, r.errorCode])).toEqual([['REJECTED', -4131]]);
  });
});

describe('the exact reports', () => {
  it('a one-way order\'s NEW and TRADE reports: no error message, no positionSide key', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 1, { timeInForce: 'IOC' }), 2);
    const [nw, tr] = ex.drainReports();
    expect(nw).toStrictEqual({
      symbol: SYMBOL, clientOrderId: 't', orderId: 1, execType: 'NEW', status: 'NEW', side: 'buy', priceTicks: ASK, origQtyLots: 1, cumFilledLots: 0,
      lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: 2,
    });
    expect(tr).toStrictEqual({
      symbol: SYMBOL, clientOrderId: 't', orderId: 1, execType: 'TRADE', status: 'FILLED', side: 'buy', priceTicks: ASK, origQtyLots: 1, cumFilledLots: 1,
      lastFillLots: 1, lastFillPriceTicks: ASK, tradeId: 1, liquidity: 'taker', commission: '0.03', errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: 2,
    });
  });

  it('a rejected order\'s report: no trade id (-1), no commission ("0"), Binance\'s code and message', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('r', 'sell', ASK, 1, { reduceOnly: true }), 2);
    expect(ex.drainReports()).toStrictEqual([{
      symbol: SYMBOL, clientOrderId: 'r', orderId: -1, execType: 'REJECTED', status: 'REJECTED', side: 'sell', priceTicks: ASK, origQtyLots: 1, cumFilledLots: 0,
      lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: -2022, errorMessage: 'ReduceOnly Order is rejected.', reduceOnly: true, tsExchangeUs: 2,
    }]);
  });
});
