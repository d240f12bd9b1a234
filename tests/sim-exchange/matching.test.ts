// Fill rules F1–F10 of src/sim-exchange/index.ts, one or more cases each.
import { describe, expect, it } from 'vitest';
import { ASK, BID, aggTrade, cancel, diff, exchange, order, snapshot, standardBook, ticker, trade, trades } from './helpers.ts';

describe('resting orders and the risk-averse queue (F2, F3, F6, F7)', () => {
  it('joins behind the whole level and fills only what a print leaves after the queue ahead', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    const [ack] = ex.drainReports();
    expect(ack).toMatchObject({ execType: 'NEW', status: 'NEW', clientOrderId: 'b1', cumFilledLots: 0, tsExchangeUs: 2 });
    expect(ack.orderId).toBeGreaterThan(0);
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(10);

    ex.onMarketEvent(trade(3, BID, 7, 'sell'));
    expect(ex.drainReports()).toEqual([]);
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(3);

    // 3 ahead, print of 5: we get exactly 5 − 3 = 2.
    ex.onMarketEvent(trade(4, BID, 5, 'sell'));
    const [f1] = ex.drainReports();
    expect(f1).toMatchObject({ execType: 'TRADE', status: 'PARTIALLY_FILLED', lastFillLots: 2, lastFillPriceTicks: BID, cumFilledLots: 2, liquidity: 'maker' });
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(0);
    expect(ex.positionLots('BTCUSDT')).toBe(2);
  });

  it('a fill equal to the remaining quantity ends the order FILLED with nothing left', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 4]], [[ASK, 10]]));
    ex.onCommand(order('b1', 'buy', BID, 3), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID, 7, 'sell')); // 4 ahead + exactly our 3
    const [f] = ex.drainReports();
    expect(f).toMatchObject({ execType: 'TRADE', status: 'FILLED', lastFillLots: 3, cumFilledLots: 3, origQtyLots: 3 });
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    ex.onMarketEvent(trade(4, BID, 50, 'sell'));
    expect(ex.drainReports()).toEqual([]);
    expect(ex.positionLots('BTCUSDT')).toBe(3);
  });

  it('a print larger than the remainder fills only the remainder', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b1', 'buy', BID, 3), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID, 100, 'sell'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([3]);
  });

  it('fills at our price, never at the better price of the print that caused it (F2, F4)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.onCommand(order('s1', 'sell', ASK + 2, 5), 2);
    ex.drainReports();
    // A sell print 3 ticks below our bid: the level at our price was exhausted → a fill at BID (of
    // up to the print's quantity, F4).
    ex.onMarketEvent(trade(3, BID - 3, 5, 'sell'));
    ex.onMarketEvent(trade(4, ASK + 4, 7, 'buy'));
    const fills = trades(ex.drainReports());
    expect(fills.map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots, r.status])).toEqual([
      ['b1', BID, 5, 'FILLED'],
      ['s1', ASK + 2, 5, 'FILLED'],
    ]);
  });

  it('prints on the other side or at other prices do not touch the order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID - 1, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID, 100, 'sell')); // above our bid
    ex.onMarketEvent(trade(4, ASK, 100, 'buy')); // a buy print hits asks
    expect(ex.drainReports()).toEqual([]);
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(10);
  });

  it('level decreases come from behind us: the queue ahead only shrinks to the level size (F6)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.onMarketEvent(diff(3, [[BID, 6]], []));
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(6);
    ex.onMarketEvent(diff(4, [[BID, 30]], []));
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(6);
    ex.onMarketEvent(diff(5, [[BID, 0]], []));
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(0);
    expect(trades(ex.drainReports())).toEqual([]); // cancellations never fill
    ex.onMarketEvent(trade(6, BID, 2, 'sell'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });

  it('two of our orders at one price share a print in time priority', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 2]], [[ASK, 10]]));
    ex.onCommand(order('b1', 'buy', BID, 3), 2);
    ex.onCommand(order('b2', 'buy', BID, 3), 3);
    ex.drainReports();
    ex.onMarketEvent(trade(4, BID, 6, 'sell')); // 2 ahead of both, then b1 takes 3, b2 gets 1
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['b1', 3], ['b2', 1]]);
  });
});

describe('crossing book moves (F5)', () => {
  it('fills a resting bid at its price when the best ask moves onto it, if enabled', () => {
    for (const crossingFills of [true, false]) {
      const ex = exchange({ crossingFills });
      ex.onMarketEvent(standardBook());
      ex.onCommand(order('b1', 'buy', BID, 5), 2);
      ex.drainReports();
      ex.onMarketEvent(diff(3, [], [[ASK, 0], [ASK + 1, 0], [ASK + 2, 0], [ASK + 3, 0], [ASK + 4, 0], [BID - 2, 4]]));
      const fills = trades(ex.drainReports());
      if (crossingFills) expect(fills.map((r) => [r.lastFillLots, r.lastFillPriceTicks, r.liquidity])).toEqual([[5, BID, 'maker']]);
      else expect(fills).toEqual([]);
    }
  });

  it('the rest of a GTC that swept the book is not filled again by the same (undepleted) book', () => {
    const ex = exchange({ crossingFills: true });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', ASK + 1, 25), 2);
    const rs = ex.drainReports();
    expect(trades(rs).map((r) => [r.lastFillPriceTicks, r.lastFillLots, r.liquidity])).toEqual([[ASK, 10, 'taker'], [ASK + 1, 10, 'taker']]);
    expect(rs.at(-1)).toMatchObject({ status: 'PARTIALLY_FILLED', cumFilledLots: 20 });
    ex.onMarketEvent(diff(3, [[BID, 11]], []));
    expect(ex.drainReports()).toEqual([]);
    // The book uncrosses, then crosses again: now it fills.
    ex.onMarketEvent(diff(4, [], [[ASK, 0], [ASK + 1, 0]]));
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(diff(5, [], [[ASK + 1, 3]]));
    expect(trades(ex.drainReports()).map((r) => [r.lastFillPriceTicks, r.lastFillLots, r.liquidity, r.status])).toEqual([[ASK + 1, 5, 'maker', 'FILLED']]);
  });
});

describe('taker orders walk the book (F1)', () => {
  it('MARKET walks levels at each level price; the book itself is not depleted', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m1', 'buy', 0, 25, { type: 'MARKET' }), 2);
    const rs = ex.drainReports();
    expect(rs.map((r) => r.execType)).toEqual(['NEW', 'TRADE', 'TRADE', 'TRADE']);
    expect(trades(rs).map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[ASK, 10], [ASK + 1, 10], [ASK + 2, 5]]);
    expect(rs.at(-1)).toMatchObject({ status: 'FILLED', cumFilledLots: 25, liquidity: 'taker' });
    expect(ex.book('BTCUSDT').qtyAt('ask', ASK)).toBe(10);
  });

  it('a MARKET order larger than the book expires with the rest', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[ASK, 3]]));
    ex.onCommand(order('m1', 'buy', 0, 5, { type: 'MARKET' }), 2);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.execType, r.status, r.cumFilledLots])).toEqual([['NEW', 'NEW', 0], ['TRADE', 'PARTIALLY_FILLED', 3], ['EXPIRED', 'EXPIRED', 3]]);
  });

  it('IOC takes what is within its limit and expires the rest', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('i1', 'sell', BID - 1, 25, { timeInForce: 'IOC' }), 2);
    const rs = ex.drainReports();
    expect(trades(rs).map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[BID, 10], [BID - 1, 10]]);
    expect(rs.at(-1)).toMatchObject({ execType: 'EXPIRED', status: 'EXPIRED', cumFilledLots: 20 });
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
  });

  it('a non-marketable IOC expires unfilled', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('i1', 'buy', BID, 1, { timeInForce: 'IOC' }), 2);
    expect(ex.drainReports().map((r) => r.execType)).toEqual(['NEW', 'EXPIRED']);
  });

  it('FOK is all or nothing against the replayed book', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('f1', 'buy', ASK + 1, 21, { timeInForce: 'FOK' }), 2);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'REJECTED', orderId: -1, errorCode: -5021 })]);
    ex.onCommand(order('f2', 'buy', ASK + 1, 20, { timeInForce: 'FOK' }), 3);
    const rs = ex.drainReports();
    expect(trades(rs).map((r) => r.lastFillLots)).toEqual([10, 10]);
    expect(rs.at(-1)?.status).toBe('FILLED');
  });
});

describe('post-only (F9)', () => {
  it('a GTX that would take is rejected with -5022 and leaves no order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('g1', 'buy', ASK, 1, { timeInForce: 'GTX' }), 2);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'REJECTED', status: 'REJECTED', orderId: -1, errorCode: -5022 })]);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    ex.onCommand(cancel('g1'), 3);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'CANCEL_REJECTED', errorCode: -2011 })]);
  });

  it('a passive GTX rests and only ever fills as maker', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('g1', 'sell', ASK, 2, { timeInForce: 'GTX' }), 2);
    ex.onMarketEvent(trade(3, ASK + 1, 2, 'buy'));
    const rs = ex.drainReports();
    expect(trades(rs)).toEqual([expect.objectContaining({ liquidity: 'maker', lastFillPriceTicks: ASK, lastFillLots: 2 })]);
  });
});

describe('cancel', () => {
  it('cancels an open order; a second cancel, or one after the fill it raced with, gets -2011', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 1), 2);
    ex.onCommand(order('b2', 'buy', BID - 1, 1), 2);
    ex.drainReports();
    ex.onCommand(cancel('b1'), 3);
    expect(ex.drainReports()).toEqual([expect.objectContaining({ execType: 'CANCELED', status: 'CANCELED', clientOrderId: 'b1' })]);
    ex.onCommand(cancel('b1'), 4);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'CANCEL_REJECTED', errorCode: -2011, orderId: -1 });
    // b2 fills at t=5; our cancel (sent before, delayed by latency) arrives at t=6.
    ex.onMarketEvent(trade(5, BID - 2, 1, 'sell'));
    ex.onCommand(cancel('b2'), 6);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.execType, r.status, r.errorCode])).toEqual([['TRADE', 'FILLED', 0], ['CANCEL_REJECTED', 'REJECTED', -2011]]);
  });
});

describe('book sources and print sources', () => {
  it('top-of-book data: the book follows bookTickers; a level behind the best leaves the queue alone', () => {
    const ex = exchange();
    ex.onMarketEvent(ticker(1, BID, 10, ASK, 10));
    ex.onCommand(order('b1', 'buy', BID, 2), 2);
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(10);
    ex.onMarketEvent(ticker(3, BID + 1, 4, ASK, 10)); // a better bid appears: our level is hidden
    expect(ex.book('BTCUSDT').bestBidTicks()).toBe(BID + 1);
    expect(ex.book('BTCUSDT').levelCount('bid')).toBe(1);
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(10);
    ex.onMarketEvent(ticker(4, BID, 6, ASK, 10)); // visible again, smaller
    expect(ex.openOrders('BTCUSDT')[0].queueAheadLots).toBe(6);
  });

  it('switches from bookTickers to depth at the first depth event, dropping ticker levels', () => {
    const ex = exchange();
    ex.onMarketEvent(ticker(1, BID + 3, 10, ASK + 3, 10));
    ex.onMarketEvent(standardBook(2));
    ex.onMarketEvent(ticker(3, BID + 5, 10, ASK + 5, 10)); // ignored now
    const b = ex.book('BTCUSDT');
    expect([b.bestBidTicks(), b.bestAskTicks(), b.levelCount('bid')]).toEqual([BID, ASK, 5]);
  });

  it('uses aggTrades only while the symbol has no individual trades', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b1', 'buy', BID, 10), 2);
    ex.onMarketEvent(aggTrade(3, BID, 1, 'sell'));
    ex.onMarketEvent(trade(4, BID, 2, 'sell'));
    ex.onMarketEvent(aggTrade(5, BID, 2, 'sell')); // the same print again, aggregated: ignored
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([1, 2]);
  });
});
