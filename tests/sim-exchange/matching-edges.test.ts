// Matching and order-lifecycle edges of the simulated exchange (src/sim-exchange/exchange.ts,
// filters.ts, money.ts, order.ts) that the behaviour tests leave open: explicit print and book
// sources, a sell behind the best ask on top-of-book data, snapshots re-evaluating resting orders,
// FOK sells and reduce-only FOKs, reduce-only bookkeeping beside plain orders, exact filter
// boundaries, PERCENT_PRICE edges off the tick grid, the fields of request rejects, and trade ids.
// Written for issue 15 (mutation testing: `npm run mutate -- --only sim-exchange`).
import { describe, expect, it } from 'vitest';
import { ASK, BID, SYMBOL, aggTrade, cancel, diff, exchange, mark, modify, order, snapshot, standardBook, ticker, trade, trades } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;

describe('explicit print and book sources', () => {
  it('tradeSource aggTrade: individual trades are ignored, aggTrades fill', () => {
    const ex = exchange({ tradeSource: 'aggTrade' });
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 10), 2);
    expect(ex.accepts('trade', SYMBOL)).toBe(false);
    ex.onMarketEvent(trade(3, BID, 1, 'sell'));
    ex.onMarketEvent(aggTrade(4, BID, 2, 'sell'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });

  it('tradeSource trade: aggTrades are ignored even before the first trade', () => {
    const ex = exchange({ tradeSource: 'trade' });
    ex.onMarketEvent(snapshot(1, [[BID, 0]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 10), 2);
    expect(ex.accepts('aggTrade', SYMBOL)).toBe(false);
    ex.onMarketEvent(aggTrade(3, BID, 1, 'sell'));
    ex.onMarketEvent(trade(4, BID, 2, 'sell'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });

  it('bookSource depth: bookTickers never move the book', () => {
    const ex = exchange({ bookSource: 'depth' });
    ex.onMarketEvent(ticker(1, BID, 10, ASK, 10));
    expect(Number.isNaN(ex.book(SYMBOL).bestBidTicks())).toBe(true);
    ex.onMarketEvent(standardBook(2));
    ex.onMarketEvent(ticker(3, BID + 2, 10, ASK + 2, 10));
    expect([ex.book(SYMBOL).bestBidTicks(), ex.book(SYMBOL).bestAskTicks()]).toEqual([BID, ASK]);
  });

  it('book() and openOrders() of an unknown symbol throw a RangeError naming it', () => {
    const ex = exchange();
    expect(() => ex.book('ETHUSDT')).toThrow(new RangeError('SimExchange has no instrument ETHUSDT'));
    expect(() => ex.openOrders('ETHUSDT')).toThrow(RangeError);
    expect(() => ex.openOrderCount('ETHUSDT')).toThrow(RangeError);
    expect(() => ex.positionLots('ETHUSDT')).toThrow(RangeError);
    expect(() => ex.positionSides('ETHUSDT')).toThrow(RangeError);
  });
});

describe('top-of-book data: a SELL behind the best ask', () => {
  it('has an unknown queue until its level is the best, then joins behind it; a ticker moving past it leaves it be', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 5, ASK, 5));
    ex.onCommand(order('s', 'sell', ASK + 2, 3), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, ASK + 2, 2, 'buy'));
    expect(trades(ex.drainReports())).toEqual([]);
    ex.onMarketEvent(ticker(4, BID, 5, ASK + 1, 7)); // a better ask: ours is still hidden
    ex.onMarketEvent(ticker(5, ASK + 1, 5, ASK + 2, 40));
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(40);
    ex.onMarketEvent(trade(6, ASK + 2, 42, 'buy'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['s', 2]]);
  });

  it('a SELL placed at the best ask knows its queue at once', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 5, ASK, 5));
    ex.onCommand(order('s', 'sell', ASK, 3), 2);
    ex.onMarketEvent(trade(3, ASK, 7, 'buy'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });
});

describe('a snapshot re-evaluates resting orders', () => {
  it('the queue ahead shrinks to the new level, and a crossing snapshot fills when crossing fills are on', () => {
    const ex = exchange({ crossingFills: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', BID, 2), 2);
    ex.onCommand(order('s', 'sell', ASK + 4, 2), 2);
    ex.onMarketEvent(snapshot(3, [[BID, 4]], [[ASK, 10]]));
    // The sell's level is not in the snapshot: nothing ahead of it any more.
    expect(ex.openOrders(SYMBOL).map((o) => o.queueAheadLots)).toEqual([4, 0]);
    ex.onMarketEvent(snapshot(4, [[ASK + 5, 1]], [[ASK + 6, 1]]));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.liquidity])).toEqual([['s', ASK + 4, 'maker']]);
    // The filled order is gone from the open orders right after the event.
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['b']);
  });

  it('an unchanged level does not reset the prob model\'s print count (a print and its depth update are one decrease)', () => {
    const ex = exchange({ queueModel: { model: 'prob-power' } });
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 1), 2);
    ex.onMarketEvent(trade(3, BID, 4, 'sell')); // front 6
    ex.onMarketEvent(diff(4, [[BID - 1, 3]], [])); // another level: ours is unchanged
    ex.onMarketEvent(diff(5, [[BID, 6]], [])); // the print's own decrease: no cancel ahead
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(6);
  });
});

describe('FOK', () => {
  it('a SELL FOK is all or nothing against the bids', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('no', 'sell', BID - 1, 21, { timeInForce: 'FOK' }), 2);
    ex.onCommand(order('yes', 'sell', BID - 1, 20, { timeInForce: 'FOK' }), 3);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.clientOrderId === 'no').map((r) => r.errorCode)).toEqual([-5021]);
    expect(trades(rs).map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[BID, 10], [BID - 1, 10]]);
  });

  it('a reduce-only FOK larger than the position is refused; one within it fills', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 3, MARKET), 2);
    ex.onCommand(order('big', 'sell', BID, 4, { timeInForce: 'FOK', reduceOnly: true }), 3);
    ex.onCommand(order('ok', 'sell', BID, 3, { timeInForce: 'FOK', reduceOnly: true }), 4);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.clientOrderId === 'big').map((r) => r.errorCode)).toEqual([-5021]);
    expect(trades(rs).filter((r) => r.clientOrderId === 'ok').map((r) => r.lastFillLots)).toEqual([3]);
    expect(ex.positionLots(SYMBOL)).toBe(0);
  });

  it('our own earlier taker fills count against what a FOK can take', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 6, { timeInForce: 'IOC' }), 2);
    ex.onCommand(order('f', 'buy', ASK, 5, { timeInForce: 'FOK' }), 3);
    ex.onCommand(order('g', 'buy', ASK, 4, { timeInForce: 'FOK' }), 4);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.clientOrderId === 'f').map((r) => r.errorCode)).toEqual([-5021]);
    expect(trades(rs).filter((r) => r.clientOrderId === 'g').map((r) => r.lastFillLots)).toEqual([4]);
  });
});

describe('reduce-only bookkeeping', () => {
  it('a partly filled reduce-only order that can still reduce stays open; a plain order beside it does not expire', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 5, MARKET), 2);
    ex.onMarketEvent(snapshot(3, [[BID - 5, 10]], [[ASK + 5, 10]]));
    ex.onCommand(order('ro', 'sell', ASK, 4, { reduceOnly: true }), 4);
    ex.onCommand(order('plain', 'sell', ASK, 1), 4);
    ex.drainReports();
    ex.onMarketEvent(trade(5, ASK, 2, 'buy'));
    expect(ex.openOrders(SYMBOL).map((o) => [o.clientOrderId, o.status, o.filledLots])).toEqual([['ro', 'PARTIALLY_FILLED', 2], ['plain', 'NEW', 0]]);
    ex.drainReports();
    // A print of 3 more: ro takes its last 2 (the position is 3), plain 1.
    ex.onMarketEvent(trade(6, ASK, 3, 'buy'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['ro', 2], ['plain', 1]]);
    expect(ex.positionLots(SYMBOL)).toBe(0);
    expect(ex.openOrders(SYMBOL)).toEqual([]);
  });

  it('a modified reduce-only order still expires when the position closes', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 2, MARKET), 2);
    ex.onCommand(order('ro', 'sell', ASK + 3, 2, { reduceOnly: true }), 3);
    ex.onCommand(modify('ro', 'sell', ASK + 4, 2), 4);
    ex.drainReports();
    ex.onCommand(order('close', 'sell', BID, 2, MARKET), 5);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.clientOrderId === 'ro').map((r) => [r.execType, r.status])).toEqual([['EXPIRED', 'EXPIRED']]);
    expect(ex.openOrderCount(SYMBOL)).toBe(0);
  });

  it('a cancelled reduce-only order no longer counts: a later fill leaves the plain orders alone', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 2, MARKET), 2);
    ex.onCommand(order('ro', 'sell', ASK + 3, 2, { reduceOnly: true }), 3);
    ex.onCommand(cancel('ro'), 4);
    ex.onCommand(order('p', 'sell', ASK + 3, 1), 5);
    ex.onCommand(order('close', 'sell', BID, 2, MARKET), 6);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['p']);
  });
});

describe('exact filter boundaries', () => {
  it('price at max, quantity at max, MARKET quantity at its max and min pass; one more is refused', () => {
    const ex = exchange({}, { maxPrice: '70000', maxQty: '0.05', marketMaxQty: '0.02', marketMinQty: '0.002' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('p', 'sell', 700_000, 1), 2);
    ex.onCommand(order('p1', 'sell', 700_001, 1), 2);
    ex.onCommand(order('q', 'buy', BID - 10, 50), 2);
    ex.onCommand(order('q1', 'buy', BID - 10, 51), 2);
    ex.onCommand(order('m', 'buy', 0, 20, MARKET), 3);
    ex.onCommand(order('m1', 'buy', 0, 21, MARKET), 3);
    ex.onCommand(order('m2', 'sell', 0, 2, MARKET), 3);
    ex.onCommand(order('m3', 'sell', 0, 1, MARKET), 3);
    const codes = new Map<string, number>();
    for (const r of ex.drainReports()) if (!codes.has(r.clientOrderId)) codes.set(r.clientOrderId, r.errorCode);
    expect(Object.fromEntries(codes)).toEqual({ p: 0, p1: -4002, q: 0, q1: -4005, m: 0, m1: -4005, m2: 0, m3: -4004 });
  });

  it('PERCENT_PRICE edges off the tick grid: the buy edge rounds down, the sell edge up', () => {
    // mark 60000.05 × 1.05 = 63000.0525 → highest buy 63000.0; × 0.95 = 57000.0475 → lowest sell 57000.1.
    const ex = exchange({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '60000.05'));
    ex.onCommand(order('b', 'buy', 630_000, 1, { timeInForce: 'IOC' }), 3);
    ex.onCommand(order('b1', 'buy', 630_001, 1, { timeInForce: 'IOC' }), 3);
    ex.onCommand(order('s', 'sell', 570_001, 1, { timeInForce: 'IOC' }), 3);
    ex.onCommand(order('s1', 'sell', 570_000, 1, { timeInForce: 'IOC' }), 3);
    const codes = new Map<string, number>();
    for (const r of ex.drainReports()) if (!codes.has(r.clientOrderId)) codes.set(r.clientOrderId, r.errorCode);
    expect(Object.fromEntries(codes)).toEqual({ b: 0, b1: -4016, s: 0, s1: -4024 });
  });

  it('a MARKET order at the band edge passes (the counterparty best exactly at the edge)', () => {
    // mark 57142.9 × 1.05 = 60000.045 → highest buy 60000.0 = the best ask.
    const ex = exchange({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '57142.9'));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 3);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'NEW', errorCode: 0 });
    ex.onMarketEvent(mark(4, '57142.8')); // × 1.05 = 59999.94 → highest buy 59999.9, below the ask
    ex.onCommand(order('m2', 'buy', 0, 1, MARKET), 5);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'REJECTED', errorCode: -4131 });
  });

  it('a MARKET sell at the band edge passes (the best bid exactly at the lowest sell)', () => {
    // mark 63156.8 × 0.95 = 59998.96 → lowest sell 59999.0 = the best bid; 63156.85 → 59999.0075 → 59999.1.
    const ex = exchange({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '63156.8'));
    ex.onCommand(order('m', 'sell', 0, 1, MARKET), 3);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'NEW', errorCode: 0 });
    ex.onMarketEvent(mark(4, '63156.85'));
    ex.onCommand(order('m2', 'sell', 0, 1, MARKET), 5);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'REJECTED', errorCode: -4131 });
  });

  it('MIN_NOTIONAL of a MARKET order: at the mark when known, else at the opposite best of its side', () => {
    // minNotional 5: 1 lot (0.001) needs a price ≥ 5000.
    const ex = exchange({}, { minPrice: '1' });
    ex.onMarketEvent(snapshot(1, [[49_990, 10]], [[50_000, 10]])); // bid 4999.0, ask 5000.0
    ex.onCommand(order('buy', 'buy', 0, 1, MARKET), 2); // at the ask: exactly 5
    ex.onCommand(order('sell', 'sell', 0, 1, MARKET), 2); // at the bid: 4.999
    ex.onMarketEvent(mark(3, '4999.99'));
    ex.onCommand(order('buy2', 'buy', 0, 1, MARKET), 4); // at the mark: 4.99999
    ex.onMarketEvent(mark(5, '5000'));
    ex.onCommand(order('sell2', 'sell', 0, 1, MARKET), 6); // at the mark: 5
    const codes = new Map<string, number>();
    for (const r of ex.drainReports()) if (!codes.has(r.clientOrderId)) codes.set(r.clientOrderId, r.errorCode);
    expect(Object.fromEntries(codes)).toEqual({ buy: 0, sell: -4164, buy2: -4164, sell2: 0 });
  });

  it('a MARKET order with no book and no mark passes MIN_NOTIONAL (nothing to value it at) and expires unfilled', () => {
    const ex = exchange();
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 1);
    expect(ex.drainReports().map((r) => [r.execType, r.errorCode])).toEqual([['NEW', 0], ['EXPIRED', 0]]);
  });
});

describe('the fields of request rejects', () => {
  it('a refused MARKET order carries price 0; a refused cancel the symbol and client id; a refused modify the order\'s id, fill and status', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 123, 0, MARKET), 2);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'REJECTED', priceTicks: 0, origQtyLots: 0, orderId: -1, errorCode: -4003 });
    ex.onCommand(cancel('gone'), 3);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'CANCEL_REJECTED', symbol: SYMBOL, clientOrderId: 'gone', orderId: -1, status: 'REJECTED' });
    ex.onCommand({ kind: 'cancel', symbol: 'ETHUSDT', clientOrderId: 'x' }, 3);
    ex.onCommand({ kind: 'modify', symbol: 'ETHUSDT', clientOrderId: 'x', side: 'sell', priceTicks: 5, qtyLots: 6 }, 3);
    expect(ex.drainReports().map((r) => [r.execType, r.symbol, r.errorCode, r.side, r.priceTicks, r.origQtyLots])).toEqual([
      ['CANCEL_REJECTED', 'ETHUSDT', -2011, 'buy', 0, 0],
      ['MODIFY_REJECTED', 'ETHUSDT', -2011, 'sell', 5, 6],
    ]);
    ex.onCommand(order('b', 'buy', BID, 5, { reduceOnly: false }), 4);
    ex.onMarketEvent(trade(5, BID, 12, 'sell'));
    ex.drainReports();
    ex.onCommand(modify('b', 'buy', BID + 1, 0), 6);
    const [r] = ex.drainReports();
    expect(r).toMatchObject({ execType: 'MODIFY_REJECTED', clientOrderId: 'b', priceTicks: BID + 1, origQtyLots: 0, cumFilledLots: 2, status: 'PARTIALLY_FILLED', errorCode: -4003, reduceOnly: false });
    expect(r.orderId).toBeGreaterThan(0);
  });

  it('trade ids count up from 1 across orders', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', ASK + 1, 12, { timeInForce: 'IOC' }), 2);
    ex.onCommand(order('b', 'sell', BID, 1, MARKET), 3);
    expect(trades(ex.drainReports()).map((r) => r.tradeId)).toEqual([1, 2, 3]);
  });

  it('the NEW and EXPIRED reports of a MARKET order carry no trade: trade id -1, commission 0, liquidity null', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 1]], [[ASK, 1]]));
    ex.onCommand(order('m', 'buy', 0, 3, MARKET), 2);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.execType, r.tradeId, r.commission, r.liquidity, r.lastFillLots, r.lastFillPriceTicks])).toEqual([
      ['NEW', -1, '0', null, 0, 0],
      ['TRADE', 1, '0.03', 'taker', 1, ASK],
      ['EXPIRED', -1, '0', null, 0, 0],
    ]);
    ex.onCommand({ kind: 'query', symbol: SYMBOL, clientOrderId: 'm', orderId: -1 }, 3);
    const [q] = ex.drainOther();
    expect(q.kind === 'queryAnswer' ? q.result : null).toMatchObject({ found: true, timeInForce: 'IOC', priceTicks: 0, avgFillPriceTicks: ASK });
  });
});

describe('prints and takers on the sell side, orders out of price order', () => {
  it('a buy print through our asks fills the lowest first, whatever the time order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('worse', 'sell', ASK + 2, 5), 2);
    ex.onCommand(order('better', 'sell', ASK + 1, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, ASK + 3, 7, 'buy'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots])).toEqual([['better', ASK + 1, 5], ['worse', ASK + 2, 2]]);
  });

  it('a print matched at the very microsecond the order arrived is the order\'s (through and at its price)', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0], [BID - 1, 0]], [[ASK, 10]]));
    ex.onCommand(order('at', 'buy', BID - 1, 2), 50);
    ex.onCommand(order('through', 'buy', BID, 2), 50);
    ex.drainReports();
    ex.onMarketEvent({ ...trade(60, BID - 1, 4, 'sell'), tsTransactUs: 50 });
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['through', 2], ['at', 2]]);
  });

  it('a SELL taker meets our own bids best first (NONE: trades with them at their prices), then the book, then ours beyond it', () => {
    const ex = exchange({ selfTradePrevention: 'NONE' });
    ex.onMarketEvent(snapshot(1, [[BID, 2]], [[ASK, 10]]));
    ex.onCommand(order('in1', 'buy', BID + 1, 1), 2);
    ex.onCommand(order('in2', 'buy', BID + 2, 1), 2);
    ex.onCommand(order('below', 'buy', BID - 3, 1), 2);
    ex.drainReports();
    ex.onCommand(order('t', 'sell', 0, 6, MARKET), 3);
    const f = trades(ex.drainReports()).filter((r) => r.clientOrderId === 't');
    expect(f.map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[BID + 2, 1], [BID + 1, 1], [BID, 2], [BID - 3, 1]]);
    expect(ex.positionLots(SYMBOL)).toBe(-2);
  });

  it('EXPIRE_MAKER: a SELL taker expires our bids it reaches, beyond the book too, and takes the book between them', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 2]], [[ASK, 10]]));
    ex.onCommand(order('in', 'buy', BID + 1, 1), 2);
    ex.onCommand(order('below', 'buy', BID - 3, 1), 2);
    ex.onCommand(order('far', 'buy', BID - 9, 1), 2);
    ex.drainReports();
    ex.onCommand(order('t', 'sell', BID - 5, 6, { timeInForce: 'IOC' }), 3);
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.status === 'EXPIRED_IN_MATCH').map((r) => r.clientOrderId)).toEqual(['in', 'below']);
    expect(trades(rs).map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[BID, 2]]);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['far']);
    expect(ex.counters.selfTradesPrevented).toBe(2);
  });
});

describe('our taker fills deplete a level until the market names it again', () => {
  const taken = (ex: ReturnType<typeof exchange>, id: string, ts: number): number[] => {
    ex.onCommand(order(id, 'buy', ASK, 10, { timeInForce: 'IOC' }), ts);
    return trades(ex.drainReports()).map((r) => r.lastFillLots);
  };

  it('a bookTicker naming the level restores it (top-of-book data)', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 10, ASK, 10));
    expect(taken(ex, 'a', 2)).toEqual([10]);
    expect(taken(ex, 'b', 3)).toEqual([]);
    ex.onMarketEvent(ticker(5, BID, 5, ASK, 7));
    expect(taken(ex, 'c', 6)).toEqual([7]);
  });

  it('a bookTicker restores a depleted bid level too', () => {
    const ex = exchange({ bookSource: 'bookTicker' });
    ex.onMarketEvent(ticker(1, BID, 10, ASK, 10));
    ex.onCommand(order('s', 'sell', BID, 10, { timeInForce: 'IOC' }), 2);
    ex.onMarketEvent(ticker(3, BID, 4, ASK, 10));
    ex.onCommand(order('s2', 'sell', BID, 10, { timeInForce: 'IOC' }), 4);
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['s', 10], ['s2', 4]]);
  });

  it('a flat diff restores exactly the levels in its ranges', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2); // takes ASK and ASK + 1
    ex.onCommand(order('s', 'sell', BID, 10, { timeInForce: 'IOC' }), 2); // and BID
    ex.drainReports();
    // Ranges [1, 2) of the asks (ASK + 1 only) and [0, 1) of the bids; the values outside them are not the diff's.
    ex.onFlatDepthDiff(SYMBOL, { tsExchangeUs: 3, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: [BID, ASK], bidLots: [6, 1], bidStart: 0, bidEnd: 1, askTicks: [ASK, ASK + 1, ASK], askLots: [3, 8, 3], askStart: 1, askEnd: 2 });
    ex.onCommand(order('b', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 4);
    ex.onCommand(order('s2', 'sell', BID, 10, { timeInForce: 'IOC' }), 4);
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots])).toEqual([['b', ASK + 1, 8], ['s2', BID, 6]]);
  });
});

describe('modify edges', () => {
  it('a modified order is new at its modify time: a print matched before it is not its', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 0], [BID - 1, 0]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID - 1, 2), 10);
    ex.onCommand(modify('b', 'buy', BID, 2), 50);
    ex.drainReports();
    ex.onMarketEvent({ ...trade(60, BID, 5, 'sell'), tsTransactUs: 40 });
    expect(trades(ex.drainReports())).toEqual([]);
    ex.onMarketEvent({ ...trade(70, BID, 5, 'sell'), tsTransactUs: 50 });
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });

  it('a post-only modified onto our own resting order on the other side is cancelled', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', ASK - 3, 1), 2);
    ex.onCommand(order('g', 'buy', BID, 1, { timeInForce: 'GTX' }), 2);
    ex.drainReports();
    ex.onCommand(modify('g', 'buy', ASK - 3, 1), 3);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType])).toEqual([['g', 'CANCELED']]);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['s']);
  });

  it('a reduce-only order may be modified below MIN_NOTIONAL (exempt as at entry)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'sell', BID, 1, MARKET), 2); // short 1
    ex.onCommand(order('ro', 'buy', BID - 5, 1, { reduceOnly: true }), 3);
    ex.onCommand(order('p', 'buy', BID - 5, 1), 3);
    ex.drainReports();
    ex.onCommand(modify('ro', 'buy', 40_000, 1), 4); // 4 USDT < 5
    ex.onCommand(modify('p', 'buy', 40_000, 1), 4);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['ro', 'AMENDMENT', 0], ['p', 'MODIFY_REJECTED', -4164]]);
  });
});

describe('a MARKET order sent with another time in force', () => {
  it('is IOC all the same: it never rests, and its record says IOC', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 1]], [[ASK, 1]]));
    ex.onCommand(order('m', 'buy', 0, 3, { type: 'MARKET', timeInForce: 'GTC' }), 2);
    expect(ex.drainReports().map((r) => [r.execType, r.status])).toEqual([['NEW', 'NEW'], ['TRADE', 'PARTIALLY_FILLED'], ['EXPIRED', 'EXPIRED']]);
    expect(ex.openOrderCount(SYMBOL)).toBe(0);
    ex.onCommand({ kind: 'query', symbol: SYMBOL, clientOrderId: 'm', orderId: -1 }, 3);
    expect(ex.drainOther()[0]).toMatchObject({ result: { found: true, timeInForce: 'IOC', status: 'EXPIRED' } });
  });
});

describe('a print fills only the side its taker hit', () => {
  it('a buy print below our bid (the book crossed it, crossing fills off) leaves the bid alone; a sell print fills it', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', BID, 3), 2);
    ex.onCommand(order('s', 'sell', ASK, 3), 2);
    ex.onMarketEvent(snapshot(3, [[BID - 5, 10]], [[BID - 1, 10]])); // the asks drop through our bid
    ex.onMarketEvent(trade(4, BID - 1, 5, 'buy')); // a taker bought at BID − 1: no seller of ours there
    ex.onMarketEvent(trade(5, BID, 5, 'buy')); // nor at our bid's own price
    expect(trades(ex.drainReports())).toEqual([]);
    ex.onMarketEvent(trade(6, BID - 2, 2, 'sell'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillPriceTicks, r.lastFillLots])).toEqual([['b', BID, 2]]);
  });
});
