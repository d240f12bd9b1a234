// Issue 9: conserved volume (F3/F4), our taker fills depleting the replayed book (F1), the match
// time of a print (F4), the crossing-fill default (F5), top-of-book queues (F11). Each case failed
// on the exchange before these rules.
import { describe, expect, it } from 'vitest';
import type { Trade } from '../../src/model/events.ts';
import { ASK, BID, diff, exchange, order, snapshot, standardBook, ticker, trade, trades } from './helpers.ts';

const fills = (ex: ReturnType<typeof exchange>) => trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots]);

describe('conserved volume: one print gives all our orders together at most its quantity', () => {
  it('a print through three of our bids fills them best price first, up to its size', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b2', 'buy', BID - 1, 4), 2);
    ex.onCommand(order('b1', 'buy', BID, 4), 2);
    ex.onCommand(order('b3', 'buy', BID - 2, 4), 2);
    ex.drainReports();
    // A sell print of 6 lots at BID − 3 went through all three: 4 to the best (b1), 2 to b2, none to b3.
    ex.onMarketEvent(trade(3, BID - 3, 6, 'sell'));
    expect(fills(ex)).toEqual([['b1', BID, 4], ['b2', BID - 1, 2]]);
    expect(ex.positionLots('BTCUSDT')).toBe(6);
    expect(ex.openOrders('BTCUSDT').map((o) => [o.clientOrderId, o.filledLots])).toEqual([['b2', 2], ['b3', 0]]);
  });

  it('orders at the print price get what the through orders left, after their queue ahead', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0], [BID - 1, 0]], [[ASK, 10]]));
    ex.onCommand(order('at', 'buy', BID - 1, 5), 2);
    ex.onCommand(order('through', 'buy', BID, 3), 2);
    ex.drainReports();
    // A sell print of 4 at BID − 1: 3 to the better-priced order, 1 left for the one at the price.
    ex.onMarketEvent(trade(3, BID - 1, 4, 'sell'));
    expect(fills(ex)).toEqual([['through', BID, 3], ['at', BID - 1, 1]]);
  });

  it('aggTrades are held to their quantity too', () => {
    const ex = exchange({ tradeSource: 'aggTrade' });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK, 5), 2);
    ex.onCommand(order('s2', 'sell', ASK + 1, 5), 2);
    ex.drainReports();
    ex.onMarketEvent({ type: 'aggTrade', symbol: 'BTCUSDT', tsExchangeUs: 3, tsReceiveUs: 3, tsTransactUs: 3, aggTradeId: 1, firstTradeId: 1, lastTradeId: 3, priceTicks: ASK + 2, qtyLots: 7, buyerIsMaker: false });
    expect(fills(ex)).toEqual([['s1', ASK, 5], ['s2', ASK + 1, 2]]);
  });
});

describe('a print that matched before our order arrived is not ours', () => {
  it('a print with match time T before the order arrived fills nothing; one after does', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 100);
    ex.drainReports();
    // Published late: processed after the order arrived, but it matched at 90.
    ex.onMarketEvent({ ...trade(120, BID - 1, 50, 'sell'), tsTransactUs: 90 } as Trade);
    expect(fills(ex)).toEqual([]);
    ex.onMarketEvent({ ...trade(130, BID - 1, 50, 'sell'), tsTransactUs: 101 } as Trade);
    expect(fills(ex)).toEqual([['b1', BID, 5]]);
  });
});

describe('our taker fills deplete the replayed book until the market updates the level', () => {
  it('a second IOC does not take the lots the first one took; a diff of the level restores it', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('t1', 'buy', ASK, 8, { timeInForce: 'IOC' }), 2);
    ex.onCommand(order('t2', 'buy', ASK, 8, { timeInForce: 'IOC' }), 3);
    expect(fills(ex)).toEqual([['t1', ASK, 8], ['t2', ASK, 2]]);
    // A FOK for 3 at ASK cannot fill: the level is spent.
    ex.onCommand(order('f1', 'buy', ASK, 3, { timeInForce: 'FOK' }), 4);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'REJECTED', errorCode: -5021 });
    // The market's next word on the level (a diff naming it) ends the depletion.
    ex.onMarketEvent(diff(5, [], [[ASK, 6]]));
    ex.onCommand(order('t3', 'buy', ASK, 8, { timeInForce: 'IOC' }), 6);
    expect(fills(ex)).toEqual([['t3', ASK, 6]]);
  });

  it('a diff of other levels leaves the depletion; a snapshot clears all of it', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m1', 'sell', 0, 15, { type: 'MARKET' }), 2);
    expect(fills(ex)).toEqual([['m1', BID, 10], ['m1', BID - 1, 5]]);
    ex.onMarketEvent(diff(3, [[BID - 3, 12]], []));
    ex.onCommand(order('m2', 'sell', 0, 10, { type: 'MARKET' }), 4);
    expect(fills(ex)).toEqual([['m2', BID - 1, 5], ['m2', BID - 2, 5]]);
    ex.onMarketEvent(standardBook(5));
    ex.onCommand(order('m3', 'sell', 0, 10, { type: 'MARKET' }), 6);
    expect(fills(ex)).toEqual([['m3', BID, 10]]);
  });
});

describe('crossing fills are off unless asked for (F5)', () => {
  it('the default exchange does not fill a resting bid when the ask moves onto it without a print', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(diff(3, [], [[BID, 4]]));
    expect(fills(ex)).toEqual([]);
  });
});

describe('top-of-book data: an order behind the best (F11)', () => {
  it('has an unknown queue and joins behind its level when it becomes the best', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 5, ASK, 5));
    ex.onCommand(order('b1', 'buy', BID - 2, 3), 2);
    ex.drainReports();
    // A print at our price while its level was never seen: the queue is unknown, no fill.
    ex.onMarketEvent(trade(3, BID - 2, 2, 'sell'));
    expect(fills(ex)).toEqual([]);
    // The level becomes the best with 80 lots: we are behind all 80.
    ex.onMarketEvent(ticker(4, BID - 2, 80, BID - 1, 5));
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(80);
    ex.onMarketEvent(trade(5, BID - 2, 50, 'sell'));
    expect(fills(ex)).toEqual([]);
    ex.onMarketEvent(trade(6, BID - 2, 32, 'sell'));
    expect(fills(ex)).toEqual([['b1', BID - 2, 2]]);
  });
});

describe('the exchange clock never goes back', () => {
  it('a fill caused by an event stamped before the order arrived is stamped at or after the arrival', () => {
    const ex = exchange({ crossingFills: true });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2_000);
    ex.drainReports();
    // A depth diff whose exchange time (1,990) is before the order's arrival moves the ask onto our bid.
    ex.onMarketEvent(diff(1_990, [], [[BID, 3], [ASK, 0]]));
    const r = trades(ex.drainReports());
    expect(r.map((x) => [x.clientOrderId, x.lastFillLots])).toEqual([['b1', 5]]);
    expect(r[0].tsExchangeUs).toBe(2_000);
  });
});
