// MarketBook: the one book keeper's source rule, top-of-book validity, depth taking over from
// bookTickers, and invalidation until a re-sync (src/marketdata/market-book.ts).
import { describe, expect, it } from 'vitest';
import { MarketBook, type BookSource } from '../../src/marketdata/index.ts';
import type { BookTicker, DepthDiff, DepthSnapshot, MarketEventType } from '../../src/model/events.ts';

const SYM = 'BTCUSDT';
const ticker = (bid: number, ask: number, bidLots = 5, askLots = 5, updateId = 1): BookTicker => ({ type: 'bookTicker', symbol: SYM, tsExchangeUs: 1, tsReceiveUs: 1, tsTransactUs: 1, updateId, bidTicks: bid, bidLots, askTicks: ask, askLots });
const snapshot = (lastUpdateId: number): DepthSnapshot => ({ type: 'snapshot', symbol: SYM, tsExchangeUs: 1, tsReceiveUs: 1, tsTransactUs: 1, lastUpdateId, bidTicks: [99, 98], bidLots: [1, 2], askTicks: [101, 102], askLots: [3, 4] });
const diff = (U: number, u: number, pu: number, bid: [number, number][] = [], ask: [number, number][] = []): DepthDiff => ({
  type: 'depth', symbol: SYM, tsExchangeUs: 2, tsReceiveUs: 2, tsTransactUs: 2, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu,
  bidTicks: bid.map((l) => l[0]), bidLots: bid.map((l) => l[1]), askTicks: ask.map((l) => l[0]), askLots: ask.map((l) => l[1]),
});

describe('MarketBook', () => {
  it('states the book-source rule once: what each source ignores, before and after depth is seen', () => {
    const types: MarketEventType[] = ['depth', 'snapshot', 'bookTicker', 'trade', 'aggTrade', 'markPrice'];
    const ignored = (source: BookSource, depthSeen: boolean) => {
      const m = new MarketBook(SYM, source);
      if (depthSeen) m.applySnapshot(snapshot(10));
      return types.filter((t) => m.ignores(t));
    };
    // Trades and mark prices are never the book's business.
    expect(ignored('auto', false)).toEqual(['trade', 'aggTrade', 'markPrice']);
    expect(ignored('auto', true)).toEqual(['bookTicker', 'trade', 'aggTrade', 'markPrice']);
    expect(ignored('depth', false)).toEqual(['bookTicker', 'trade', 'aggTrade', 'markPrice']);
    expect(ignored('bookTicker', false)).toEqual(['depth', 'snapshot', 'trade', 'aggTrade', 'markPrice']);
  });

  it('top of book: one level per side, valid only when both sides are there and not crossed', () => {
    const m = new MarketBook(SYM, 'auto');
    expect(m.book.isValid()).toBe(false);
    m.applyTicker(ticker(99, 101, 5, 6, 42));
    expect([m.book.bestBidTicks(), m.book.bestAskTicks(), m.book.bestBidLots(), m.book.bestAskLots(), m.book.isValid(), m.book.lastUpdateId()]).toEqual([99, 101, 5, 6, true, 42]);
    m.applyTicker(ticker(100, 102));
    expect([m.book.levelCount('bid'), m.book.levelCount('ask'), m.book.bestBidTicks()]).toEqual([1, 1, 100]);
    m.applyTicker(ticker(102, 102));
    expect(m.book.isValid()).toBe(false);
    m.applyTicker(ticker(100, 102, 0, 3));
    expect(m.book.isValid()).toBe(false);
  });

  it('auto: depth takes over from bookTickers with a clean depth book (no ticker level lingers)', () => {
    const m = new MarketBook(SYM, 'auto');
    m.applyTicker(ticker(97, 103));
    m.applySnapshot(snapshot(10));
    m.applyDiff(diff(11, 12, 10, [[99, 7]]));
    expect(m.depthSeen).toBe(true);
    expect(m.book).toBe(m.depthBook);
    expect([m.book.bestBidTicks(), m.book.bestBidLots(), m.book.qtyAt('bid', 97), m.book.isValid()]).toEqual([99, 7, 0, true]);
  });

  it('invalidate: the depth book waits for a new snapshot (diffs alone do not revive it), the top-of-book book for the next ticker', () => {
    const m = new MarketBook(SYM, 'auto');
    m.applySnapshot(snapshot(10));
    m.applyDiff(diff(11, 12, 10));
    expect(m.book.isValid()).toBe(true);
    m.invalidate();
    expect(m.book.isValid()).toBe(false);
    m.applyDiff(diff(13, 14, 12, [[99, 1]]));
    expect(m.book.isValid()).toBe(false);
    m.applySnapshot(snapshot(14));
    m.applyDiff(diff(15, 16, 14));
    expect(m.book.isValid()).toBe(true);
    const t = new MarketBook(SYM, 'bookTicker');
    t.applyTicker(ticker(99, 101));
    t.invalidate();
    expect(t.book.isValid()).toBe(false);
    t.applyTicker(ticker(99, 101));
    expect(t.book.isValid()).toBe(true);
  });

  it('flat diffs are the same as diffs', () => {
    const a = new MarketBook(SYM, 'depth');
    const b = new MarketBook(SYM, 'depth');
    a.applySnapshot(snapshot(10));
    b.applySnapshot(snapshot(10));
    const d = diff(11, 12, 10, [[99, 0], [100, 4]], [[101, 1], [104, 2]]);
    a.applyDiff(d);
    b.applyFlatDiff({ ...d, bidStart: 0, bidEnd: 2, askStart: 0, askEnd: 2 });
    expect(b.book.topLevels('bid', 5)).toEqual(a.book.topLevels('bid', 5));
    expect(b.book.topLevels('ask', 5)).toEqual(a.book.topLevels('ask', 5));
    expect(b.book.isValid()).toBe(a.book.isValid());
  });
});
