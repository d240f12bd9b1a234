// The simulated exchange reads the fused book (issue 9): a bookTicker newer than the depth book is
// laid over its top (src/marketdata/market-book.ts), so post-only checks (-5022), taker walks and
// the queue model (rule F6) see the real-time best, not the conflated depth stream's. Each test
// here fails on the old exchange, which ignored bookTickers once a depth book was kept.
import { describe, expect, it } from 'vitest';
import type { BookTicker, DepthDiff, DepthSnapshot } from '../../src/model/events.ts';
import { ASK, BID, SYMBOL, exchange, order, trades } from './helpers.ts';

type Levels = [number, number][];
const levels = (n: number, from: number, step: number): Levels => Array.from({ length: n }, (_, i) => [from + i * step, 10]);
const snap = (ts: number, u: number): DepthSnapshot => {
  const bids = levels(5, BID, -1);
  const asks = levels(5, ASK, 1);
  return { type: 'snapshot', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, lastUpdateId: u, bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]) };
};
const diff = (ts: number, U: number, u: number, pu: number, bids: Levels, asks: Levels): DepthDiff => ({
  type: 'depth', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu,
  bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
});
const ticker = (ts: number, u: number, bid: number, bidLots: number, ask: number, askLots: number): BookTicker => ({ type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, updateId: u, bidTicks: bid, bidLots, askTicks: ask, askLots });

/** Depth book in sync at u = 102: bids 599990..599986, asks 600000..600004, 10 lots each. */
function synced(bookSource: 'auto' | 'depth' = 'auto') {
  const ex = exchange({ bookSource });
  ex.onMarketEvent(snap(1, 100));
  ex.onMarketEvent(diff(2, 101, 102, 100, [], []));
  return ex;
}

describe('SimExchange on the fused book', () => {
  it('a GTX crossing the real-time bookTicker best but not the stale depth best is rejected -5022', () => {
    const ex = synced();
    // The ask came down to 599995 (5 lots) at u = 105; the depth stream still shows 600000.
    ex.onMarketEvent(ticker(3, 105, BID, 10, 599_995, 5));
    expect(ex.book(SYMBOL).bestAskTicks()).toBe(599_995);
    ex.onCommand(order('g1', 'buy', 599_995, 1, { timeInForce: 'GTX' }), 4);
    const [r] = ex.drainReports();
    expect([r.execType, r.errorCode]).toEqual(['REJECTED', -5022]);
    // One tick below the real ask rests.
    ex.onCommand(order('g2', 'buy', 599_994, 1, { timeInForce: 'GTX' }), 5);
    expect(ex.drainReports().map((x) => x.execType)).toEqual(['NEW']);
    // The depth-only book (bookSource depth, the old behaviour) accepts the crossing GTX.
    const old = synced('depth');
    old.onMarketEvent(ticker(3, 105, BID, 10, 599_995, 5));
    old.onCommand(order('g1', 'buy', 599_995, 1, { timeInForce: 'GTX' }), 4);
    expect(old.drainReports().map((x) => x.execType)).toEqual(['NEW']);
  });

  it('a stale bookTicker (u at or below the depth book\'s) changes nothing: the GTX is accepted', () => {
    const ex = synced();
    ex.onMarketEvent(ticker(3, 102, BID, 10, 599_995, 5));
    ex.onCommand(order('g1', 'buy', 599_995, 1, { timeInForce: 'GTX' }), 4);
    expect(ex.drainReports().map((x) => x.execType)).toEqual(['NEW']);
  });

  it('a taker walk takes the bookTicker\'s best first, at its price and quantity, then the depth levels behind it', () => {
    const ex = synced();
    ex.onMarketEvent(ticker(3, 105, BID, 10, 599_995, 5));
    ex.onCommand(order('t1', 'buy', ASK, 8, { timeInForce: 'IOC' }), 4);
    // 599995 x5 from the bookTicker; levels 599996..599999 do not exist; then 600000 from depth.
    expect(trades(ex.drainReports()).map((r) => [r.lastFillPriceTicks, r.lastFillLots])).toEqual([[599_995, 5], [600_000, 3]]);
  });

  it('bookTicker level changes at our price move the queue ahead (F6); the next diff reconciles', () => {
    const ex = synced();
    ex.onCommand(order('b1', 'buy', BID, 2), 3);
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(10);
    // The real best bid at our price shrank to 4 lots (u = 105): the queue ahead can be no more.
    ex.onMarketEvent(ticker(4, 105, BID, 4, ASK, 10));
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(4);
    // The conflated diff catches up (u = 106) and says 6 lots: the diff is authoritative for the
    // level, a risk-averse queue does not move back.
    ex.onMarketEvent(diff(5, 103, 106, 102, [[BID, 6]], []));
    expect(ex.book(SYMBOL).bestBidLots()).toBe(6);
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(4);
    // A bookTicker that trims our level away (best bid one tick below us): nobody is ahead of us.
    ex.onMarketEvent(ticker(6, 107, BID - 1, 10, ASK, 10));
    expect(ex.book(SYMBOL).qtyAt('bid', BID)).toBe(0);
    expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(0);
  });
});
