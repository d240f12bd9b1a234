// Option `partialFills: false` (F3 all or nothing) and `skipMarketEvent` / `onFlatDepthDiff`
// (the engine's lazy-replay entry points must act exactly like `onMarketEvent`).
import { describe, expect, it } from 'vitest';
import type { FlatDepthDiff } from '../../src/model/events.ts';
import type { DepthDiff, MarketEvent } from '../../src/model/events.ts';
import { ASK, BID, diff, exchange, order, standardBook, ticker, trade, trades } from './helpers.ts';

describe('partialFills: false', () => {
  it('a print that leaves less than the remaining quantity fills nothing but brings the order to the front', () => {
    const ex = exchange({ partialFills: false });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.drainReports();
    // 10 ahead, print of 12: 2 would be left for us, fewer than 5 → no fill, now at the front.
    ex.onMarketEvent(trade(3, BID, 12, 'sell'));
    expect(trades(ex.drainReports())).toEqual([]);
    expect(ex.openOrders('BTCUSDT')[0]).toMatchObject({ queueAheadLots: 0, filledLots: 0 });
    // At the front, a print of 4 still cannot fill all 5; a print of 5 fills it in one go.
    ex.onMarketEvent(trade(4, BID, 4, 'sell'));
    expect(trades(ex.drainReports())).toEqual([]);
    ex.onMarketEvent(trade(5, BID, 5, 'sell'));
    const [f] = trades(ex.drainReports());
    expect(f).toMatchObject({ status: 'FILLED', lastFillLots: 5, cumFilledLots: 5, lastFillPriceTicks: BID, liquidity: 'maker' });
    expect(ex.positionLots('BTCUSDT')).toBe(5);
  });

  it('the same prints fill in part with the default', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID, 5), 2);
    ex.drainReports();
    ex.onMarketEvent(trade(3, BID, 12, 'sell'));
    expect(trades(ex.drainReports()).map((r) => r.lastFillLots)).toEqual([2]);
  });

  it('a print through the price still fills completely; a later order at the price gets nothing from a print that cannot cover it', () => {
    const ex = exchange({ partialFills: false });
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK, 3), 2);
    ex.onCommand(order('s2', 'sell', ASK, 3), 2);
    ex.drainReports();
    // 10 ahead of s1: a buy print of 14 at ASK leaves 4: s1 takes its 3, s2 would get 1 of 3 → none.
    ex.onMarketEvent(trade(3, ASK, 14, 'buy'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['s1', 3]]);
    ex.onMarketEvent(trade(4, ASK + 1, 3, 'buy'));
    expect(trades(ex.drainReports()).map((r) => [r.clientOrderId, r.lastFillLots, r.status])).toEqual([['s2', 3, 'FILLED']]);
  });
});

function flat(d: DepthDiff): FlatDepthDiff {
  return {
    tsExchangeUs: d.tsExchangeUs, firstUpdateId: d.firstUpdateId, finalUpdateId: d.finalUpdateId, prevFinalUpdateId: d.prevFinalUpdateId,
    // Offset ranges inside longer arrays, as in a columnar batch.
    bidTicks: [0, ...d.bidTicks], bidLots: [0, ...d.bidLots], bidStart: 1, bidEnd: 1 + d.bidTicks.length,
    askTicks: [7, 7, ...d.askTicks], askLots: [7, 7, ...d.askLots], askStart: 2, askEnd: 2 + d.askTicks.length,
  };
}

describe('lazy replay entry points', () => {
  const events: MarketEvent[] = [
    ticker(1, BID, 3, ASK, 4),
    trade(1, ASK, 1, 'buy'),
    standardBook(2),
    ticker(3, BID, 9, ASK, 9),
    diff(4, [[BID, 4]], [[ASK, 6]]),
    trade(5, BID, 1, 'sell'),
    ticker(6, BID - 5, 1, ASK + 5, 1),
    trade(7, BID, 8, 'sell'),
    diff(8, [[BID, 0]], [[ASK + 1, 0]]),
    trade(9, ASK, 2, 'buy'),
  ];

  function play(lazy: boolean) {
    const ex = exchange({ queueModel: { model: 'risk-averse' } });
    const out: unknown[] = [];
    events.forEach((e, i) => {
      if (i === 3) ex.onCommand(order('b1', 'buy', BID, 5), e.tsExchangeUs);
      if (i === 6) ex.onCommand(order('s1', 'sell', ASK, 2), e.tsExchangeUs);
      if (lazy && e.type === 'depth') ex.onFlatDepthDiff(e.symbol, flat(e));
      else if (!lazy || ex.accepts(e.type, e.symbol)) ex.onMarketEvent(e);
      out.push(ex.drainReports(), ex.openOrders('BTCUSDT'), ex.book('BTCUSDT').bestBidTicks(), ex.book('BTCUSDT').bestAskTicks());
    });
    // `marketEvents` counts the events delivered, which is what skipping changes.
    return { out, counters: { ...ex.counters, marketEvents: 0 } };
  }

  it('skipping what it does not accept and flat diffs give the same reports, orders, book and counters', () => {
    const eager = play(false);
    const lazy = play(true);
    expect(lazy).toEqual(eager);
    expect(eager.out.flat(2).some((r) => (r as { execType?: string }).execType === 'TRADE')).toBe(true);
  });

  it('refuses prints with no resting order once trades are seen (bookTickers only with a depth-source book)', () => {
    const ex = exchange();
    expect(ex.accepts('bookTicker', 'BTCUSDT')).toBe(true);
    expect(ex.accepts('trade', 'BTCUSDT')).toBe(true); // the trade source is not settled yet
    ex.onMarketEvent(trade(1, ASK, 1, 'buy'));
    ex.onMarketEvent(standardBook(2));
    expect(ex.accepts('bookTicker', 'BTCUSDT')).toBe(true); // auto: fused, bookTickers are laid over the depth book
    expect(exchange({ bookSource: 'depth' }).accepts('bookTicker', 'BTCUSDT')).toBe(false);
    expect(ex.accepts('trade', 'BTCUSDT')).toBe(false);
    expect(ex.accepts('depth', 'BTCUSDT')).toBe(true);
    expect(ex.accepts('markPrice', 'BTCUSDT')).toBe(true);
    expect(ex.accepts('bookTicker', 'ETHUSDT')).toBe(true);
    ex.onCommand(order('b1', 'buy', BID, 1), 3);
    expect(ex.accepts('trade', 'BTCUSDT')).toBe(true);
    const fixed = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    fixed.onMarketEvent(standardBook(2));
    expect(fixed.accepts('bookTicker', 'BTCUSDT')).toBe(true);
  });
});
