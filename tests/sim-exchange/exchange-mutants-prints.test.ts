// Prints and book events against our resting orders (src/sim-exchange/exchange.ts `onPrint`,
// `apply`, `ignores`, `rest`): a print's quantity shared by the orders it went through and those
// at its price, all-or-nothing fills of orders it went through, a BUY at the best bid on
// top-of-book data, depth diffs giving back depleted bid levels, sources the exchange ignores,
// and the default print source. Written for issue 15: each test kills surviving mutants of the
// run of 06ced88 (docs/mutation/sim-exchange-survivors.md).
import { describe, expect, it } from 'vitest';
import type { ExecutionReport } from '../../src/model/venue.ts';
import { ASK, BID, SYMBOL, aggTrade, diff, exchange, order, snapshot, standardBook, ticker, trade, trades } from './helpers.ts';

const fills = (rs: ExecutionReport[]): [string, number][] => trades(rs).map((r) => [r.clientOrderId, r.lastFillLots]);
const queueOf = (ex: ReturnType<typeof exchange>, id: string): number => ex.openOrders(SYMBOL).find((o) => o.clientOrderId === id)!.queueAheadLots;

describe('a print\'s quantity is all our orders get from it', () => {
  it('the orders it went through take first; orders at its price share only what is left', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('through', 'buy', BID + 1, 4), 2);
    ex.onCommand(order('a', 'buy', BID, 6), 2);
    ex.onCommand(order('b', 'buy', BID, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID, 10, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['through', 4], ['a', 6]]);
    expect(ex.positionLots(SYMBOL)).toBe(10);
    expect(queueOf(ex, 'b')).toBe(0);
  });

  it('orders it went through that it no longer reaches neither fill nor move up their queue', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t1', 'buy', BID, 3), 2);
    ex.onCommand(order('t2', 'buy', BID, 5), 2);
    ex.drainReports();
    expect([queueOf(ex, 't1'), queueOf(ex, 't2')]).toEqual([10, 10]);
    ex.onMarketEvent(trade(3, BID - 1, 3, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['t1', 3]]);
    expect(queueOf(ex, 't2')).toBe(10);
    // The depth update of the level the print went through brings it up.
    ex.onMarketEvent(diff(4, [[BID, 2]], []));
    expect(queueOf(ex, 't2')).toBe(2);
  });

  it('partialFills false: an order the print went through is filled only if the print covers all it has left', () => {
    const ex = exchange({ partialFills: false });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('big', 'buy', BID, 10), 2);
    ex.onCommand(order('small', 'buy', BID, 3), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID - 1, 4, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['small', 3]]);
    expect(queueOf(ex, 'big')).toBe(10);
  });
});

describe('top-of-book data: a BUY at the best bid', () => {
  it('knows its queue at once: the bid\'s lots are ahead of it', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 5, ASK, 5));
    ex.onCommand(order('b', 'buy', BID, 3), 2);
    expect(queueOf(ex, 'b')).toBe(5);
    ex.onMarketEvent(trade(3, BID, 7, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['b', 2]]);
  });
});

describe('book events and depletion', () => {
  it('a depth diff naming a bid level our sell emptied gives it back at the diff\'s quantity', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s1', 'sell', BID, 10, { timeInForce: 'IOC' }), 2);
    ex.onCommand(order('s2', 'sell', BID, 10, { timeInForce: 'IOC' }), 3);
    ex.onMarketEvent(diff(4, [[BID, 6]], []));
    ex.onCommand(order('s3', 'sell', BID, 10, { timeInForce: 'IOC' }), 5);
    expect(fills(ex.drainReports())).toEqual([['s1', 10], ['s3', 6]]);
  });

  it('a level the fused book gives back below what we took from it counts as empty, never negative, until the market names it', () => {
    // Update ids let the exchange lay bookTickers over the depth book (src/marketdata/market-book.ts).
    const ids = { tsReceiveUs: 0, tsTransactUs: 0 };
    const depthDiff = (ts: number, U: number, u: number, pu: number, asks: [number, number][]) => ({ ...diff(ts, [], asks), ...ids, tsExchangeUs: ts, tsTransactUs: ts, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu });
    const ex = exchange();
    ex.onMarketEvent({ ...standardBook(1), lastUpdateId: 100 });
    ex.onMarketEvent(depthDiff(2, 101, 102, 100, []));
    // A newer bookTicker shows 20 lots at the best ask (the depth book has 10): we take all 20.
    ex.onMarketEvent({ ...ticker(3, BID, 10, ASK, 20), updateId: 105 });
    ex.onCommand(order('t', 'buy', ASK, 20, { timeInForce: 'IOC' }), 4);
    expect(fills(ex.drainReports())).toEqual([['t', 20]]);
    // A newer depth diff naming only ASK + 1 ends the overlay: the best ask is the depth book's 10 again, all of it taken.
    ex.onMarketEvent(depthDiff(5, 103, 106, 102, [[ASK + 1, 10]]));
    expect(ex.book(SYMBOL).qtyAt('ask', ASK)).toBe(10);
    // A fill-or-kill of 10 up to ASK + 1 finds them at ASK + 1 alone.
    ex.onCommand(order('fok', 'buy', ASK + 1, 10, { timeInForce: 'FOK' }), 6);
    const rs = ex.drainReports();
    expect(trades(rs).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots])).toEqual([['fok', ASK + 1, 10]]);
  });

  it('top-of-book source: depth snapshots are not accepted and never move the book', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 5, ASK, 5));
    expect(ex.accepts('snapshot', SYMBOL)).toBe(false);
    ex.onMarketEvent(snapshot(2, [[BID - 5, 10]], [[ASK + 5, 10]]));
    expect([ex.book(SYMBOL).bestBidTicks(), ex.book(SYMBOL).bestAskTicks()]).toEqual([BID, ASK]);
  });
});

describe('the default print source', () => {
  it('aggTrades fill until the first individual trade; from then on only trades do', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 20), 2);
    ex.drainReports();
    expect(ex.accepts('aggTrade', SYMBOL)).toBe(true);
    ex.onMarketEvent(aggTrade(3, BID, 2, 'sell'));
    ex.onMarketEvent(trade(4, BID, 3, 'sell'));
    expect(ex.accepts('aggTrade', SYMBOL)).toBe(false);
    ex.onMarketEvent(aggTrade(5, BID, 4, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['b', 2], ['b', 3]]);
  });
});

describe('the probabilistic queue model (power 2, variant 2)', () => {
  it('an order a print took past the front stays at the front: later cancellations never put queue ahead of it again', () => {
    const ex = exchange({ queueModel: { model: 'prob-power', variant: 2 } });
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 2), 2);
    ex.onMarketEvent(diff(3, [[BID, 14]], [])); // 4 joined behind us
    ex.onMarketEvent(diff(4, [[BID, 11]], [])); // 3 cancelled, mostly ahead of us: 7.245 ahead
    expect(queueOf(ex, 'b')).toBeCloseTo(7.245, 3);
    ex.onMarketEvent(trade(5, BID, 8, 'sell')); // takes all ahead of us, 0.755 short of a lot for us
    ex.onMarketEvent(diff(6, [[BID, 3]], [])); // the print's depth update
    expect(queueOf(ex, 'b')).toBe(0);
    ex.onMarketEvent(diff(7, [[BID, 13]], []));
    ex.onMarketEvent(diff(8, [[BID, 3]], [])); // 10 cancelled: all behind us
    expect(queueOf(ex, 'b')).toBe(0);
    ex.onMarketEvent(trade(9, BID, 1, 'sell'));
    expect(fills(ex.drainReports())).toEqual([['b', 1]]);
  });
});

describe('a crossed book with crossing fills on', () => {
  it('fills our orders of both sides; a reduce-only order that expired on the way stays expired', () => {
    const ex = exchange({ crossingFills: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('long', 'buy', 0, 5, { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }), 2);
    ex.onCommand(order('s', 'sell', ASK + 1, 5), 3);
    ex.onCommand(order('b', 'buy', BID - 1, 5), 3);
    ex.onCommand(order('ro', 'sell', ASK + 2, 5, { reduceOnly: true }), 3);
    ex.drainReports();
    // Bids above all our sells, asks below our buy: the sell fills (flat: the reduce-only order
    // expires), then the buy (long again).
    ex.onMarketEvent(diff(4, [[ASK + 3, 10]], [[BID - 2, 10]]));
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.status])).toEqual([
      ['s', 'TRADE', 'FILLED'],
      ['ro', 'EXPIRED', 'EXPIRED'],
      ['b', 'TRADE', 'FILLED'],
    ]);
    expect(ex.positionLots(SYMBOL)).toBe(5);
  });
});

describe('fillRestingNow', () => {
  it('of a symbol the exchange does not trade is false, like an unknown order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', BID, 1), 2);
    expect(ex.fillRestingNow('ETHUSDT', 'b', 3)).toBe(false);
    expect(ex.fillRestingNow(SYMBOL, 'nope', 3)).toBe(false);
    expect(ex.fillRestingNow(SYMBOL, 'b', 3)).toBe(true);
  });
});
