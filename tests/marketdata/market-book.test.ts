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
    // auto keeps taking bookTickers once depth is seen: they are laid over the depth book (fused).
    expect(ignored('auto', true)).toEqual(['trade', 'aggTrade', 'markPrice']);
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

// The fused book (source auto once depth is seen): bookTickers newer than the depth book overlay its
// top and trim the levels crossing it; the next depth event restores what the overlay changed and
// is applied on top (the diff is authoritative). Each of these fails on the old MarketBook, which
// ignored every bookTicker once depth was seen.
describe('MarketBook fused book', () => {
  // Depth book after snapshot(10): bids 99x1 98x2, asks 101x3 102x4.
  const synced = () => {
    const m = new MarketBook(SYM, 'auto');
    m.applySnapshot(snapshot(10));
    m.applyDiff(diff(11, 12, 10));
    return m;
  };
  const top = (m: MarketBook) => [m.book.bestBidTicks(), m.book.bestBidLots(), m.book.bestAskTicks(), m.book.bestAskLots()];
  const levels = (m: MarketBook) => [m.book.topLevels('bid', 5), m.book.topLevels('ask', 5)];

  it('overlay: a newer bookTicker sets the best levels; levels behind it stay the depth book\'s', () => {
    const m = synced();
    m.applyTicker(ticker(99, 101, 7, 8, 13));
    expect(top(m)).toEqual([99, 7, 101, 8]);
    expect(m.book.qtyAt('bid', 98)).toBe(2);
    expect(m.book.lastUpdateId()).toBe(13);
    expect(m.isOverlaid()).toBe(true);
    expect(m.book.isValid()).toBe(true);
  });

  it('trim: levels crossing the bookTicker are removed (bids above its bid, asks below its ask)', () => {
    const m = synced();
    // The ask moved up two ticks and the bid down one: 101 and 102 are gone, 99 too.
    m.applyTicker(ticker(98, 103, 2, 5, 13));
    expect(levels(m)).toEqual([[{ priceTicks: 98, qtyLots: 2 }], [{ priceTicks: 103, qtyLots: 5 }]]);
    // A move up: the bid at 101 is new, the ask at 101 is replaced by it (it would cross), 102 stays.
    const n = synced();
    n.applyTicker(ticker(101, 102, 1, 4, 13));
    expect(levels(n)).toEqual([[{ priceTicks: 101, qtyLots: 1 }, { priceTicks: 99, qtyLots: 1 }, { priceTicks: 98, qtyLots: 2 }], [{ priceTicks: 102, qtyLots: 4 }]]);
    expect(n.book.isCrossed()).toBe(false);
  });

  it('the next depth diff restores the stash, then applies (the diff is authoritative)', () => {
    const m = synced();
    m.applyTicker(ticker(98, 103, 2, 5, 13));
    m.applyTicker(ticker(100, 102, 6, 9, 14)); // a second overlay starts from the depth book, not the first overlay
    expect(levels(m)).toEqual([[{ priceTicks: 100, qtyLots: 6 }, { priceTicks: 99, qtyLots: 1 }, { priceTicks: 98, qtyLots: 2 }], [{ priceTicks: 102, qtyLots: 9 }]]);
    // The diff reaches the ticker's id: the overlay is gone, the depth book is exactly the diff's.
    m.applyDiff(diff(13, 15, 12, [[100, 5]], [[101, 0]]));
    expect(m.isOverlaid()).toBe(false);
    expect(levels(m)).toEqual([[{ priceTicks: 100, qtyLots: 5 }, { priceTicks: 99, qtyLots: 1 }, { priceTicks: 98, qtyLots: 2 }], [{ priceTicks: 102, qtyLots: 4 }]]);
    expect(m.book.lastUpdateId()).toBe(15);
    expect(m.fused).toMatchObject({ overlays: 2, reconciled: 1, relaid: 0 });
  });

  it('a diff that does not reach the bookTicker\'s id is applied under it and the bookTicker is laid again', () => {
    const m = synced();
    m.applyTicker(ticker(100, 102, 6, 9, 20));
    m.applyDiff(diff(13, 15, 12, [[97, 3]], [[101, 2]]));
    expect(m.isOverlaid()).toBe(true);
    expect(levels(m)).toEqual([[{ priceTicks: 100, qtyLots: 6 }, { priceTicks: 99, qtyLots: 1 }, { priceTicks: 98, qtyLots: 2 }, { priceTicks: 97, qtyLots: 3 }], [{ priceTicks: 102, qtyLots: 9 }]]);
    expect(m.book.lastUpdateId()).toBe(20);
    m.applyDiff(diff(16, 21, 15, [[100, 4]], [[101, 0], [102, 9]]));
    expect(m.isOverlaid()).toBe(false);
    expect(top(m)).toEqual([100, 4, 102, 9]);
    expect(m.book.qtyAt('ask', 101)).toBe(0);
    expect(m.fused).toMatchObject({ overlays: 1, reconciled: 2, relaid: 1 });
  });

  it('a bookTicker at or below the depth book\'s update id (or the last one laid) is stale and ignored', () => {
    const m = synced();
    m.applyTicker(ticker(100, 102, 6, 9, 12));
    m.applyTicker(ticker(100, 102, 6, 9, 5));
    expect(top(m)).toEqual([99, 1, 101, 3]);
    m.applyTicker(ticker(98, 101, 1, 1, 14));
    m.applyTicker(ticker(100, 102, 6, 9, 13));
    expect(top(m)).toEqual([98, 1, 101, 1]);
    expect(m.fused).toMatchObject({ overlays: 1, stale: 3 });
  });

  it('no ids (either stream): the fused book is the depth book alone', () => {
    const m = synced();
    m.applyTicker(ticker(100, 102, 6, 9, -1));
    expect(top(m)).toEqual([99, 1, 101, 3]);
    const n = new MarketBook(SYM, 'auto');
    n.applySnapshot({ ...snapshot(-1) });
    n.applyTicker(ticker(100, 102, 6, 9, 50));
    expect(top(n)).toEqual([99, 1, 101, 3]);
  });

  it('a crossed or one-sided bookTicker is not laid over', () => {
    const m = synced();
    m.applyTicker(ticker(102, 102, 1, 1, 13));
    m.applyTicker(ticker(100, 102, 0, 1, 14));
    expect(top(m)).toEqual([99, 1, 101, 3]);
    expect(m.isOverlaid()).toBe(false);
  });

  it('gap: no overlay on an invalid depth book; after the resync a still-newer bookTicker is laid', () => {
    const m = synced();
    m.applyDiff(diff(20, 22, 19)); // gap: invalid until the next snapshot
    expect(m.book.isValid()).toBe(false);
    m.applyTicker(ticker(100, 102, 6, 9, 40));
    expect(m.isOverlaid()).toBe(false);
    expect(top(m)).toEqual([99, 1, 101, 3]);
    // Snapshot at 30 (bridged by nothing buffered newer): the bookTicker at 40 is newer, laid over.
    m.applySnapshot(snapshot(30));
    m.applyDiff(diff(31, 32, 30));
    expect(m.book.isValid()).toBe(true);
    expect(top(m)).toEqual([100, 6, 102, 9]);
    // A snapshot past the bookTicker drops it for good.
    const n = synced();
    n.applyTicker(ticker(100, 102, 6, 9, 13));
    n.invalidate();
    n.applySnapshot(snapshot(50));
    n.applyDiff(diff(51, 52, 50));
    expect(n.isOverlaid()).toBe(false);
    expect(top(n)).toEqual([99, 1, 101, 3]);
  });

  it('an overlay trimming many levels restores all of them exactly (the stash grows)', () => {
    const m = new MarketBook(SYM, 'auto');
    const asks = Array.from({ length: 40 }, (_, i) => 101 + i);
    m.applySnapshot({ ...snapshot(10), askTicks: asks, askLots: asks.map((p) => p - 100) });
    m.applyDiff(diff(11, 12, 10));
    const before = [m.book.topLevels('bid', 100), m.book.topLevels('ask', 100)];
    m.applyTicker(ticker(99, 131, 1, 2, 13)); // the ask jumped 30 ticks: 30 levels trimmed
    expect(m.book.bestAskTicks()).toBe(131);
    expect(m.book.levelCount('ask')).toBe(10);
    m.applyDiff(diff(13, 14, 12));
    expect([m.book.topLevels('bid', 100), m.book.topLevels('ask', 100)]).toEqual(before);
    expect(before[1]).toHaveLength(40);
  });

  it('flat diffs restore and re-lay like diffs', () => {
    const a = synced();
    const b = synced();
    a.applyTicker(ticker(100, 102, 6, 9, 20));
    b.applyTicker(ticker(100, 102, 6, 9, 20));
    const d = diff(13, 15, 12, [[97, 3]], [[101, 2]]);
    a.applyDiff(d);
    b.applyFlatDiff({ ...d, bidStart: 0, bidEnd: 1, askStart: 0, askEnd: 1 });
    expect(levels(b)).toEqual(levels(a));
    expect(b.book.lastUpdateId()).toBe(a.book.lastUpdateId());
  });
  it('a run of bookTickers at the same best prices (quantities only) gives the book the state table defines, and the next diff restores the depth book exactly', () => {
    // Reference: the depth book as the diffs make it, with the newest bookTicker laid over it by
    // the definition (trim crossing levels, set the two best levels) whenever it is newer.
    const rng = (() => { let x = 12345; return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648); })();
    const m = new MarketBook(SYM, 'auto');
    const depthBids = new Map<number, number>([[99, 1], [98, 2]]);
    const depthAsks = new Map<number, number>([[101, 3], [102, 4]]);
    m.applySnapshot(snapshot(10));
    m.applyDiff(diff(11, 12, 10)); // in sync from here: every later diff chains on the last
    let u = 12;
    let t: BookTicker | null = null;
    const expected = (): [number, number][][] => {
      const bids = new Map(depthBids);
      const asks = new Map(depthAsks);
      if (t !== null && t.updateId > u) {
        for (const p of [...bids.keys()]) if (p > t.bidTicks) bids.delete(p);
        for (const p of [...asks.keys()]) if (p < t.askTicks) asks.delete(p);
        bids.set(t.bidTicks, t.bidLots);
        asks.set(t.askTicks, t.askLots);
      }
      const side = (x: Map<number, number>, desc: boolean) => [...x].filter(([, q]) => q > 0).sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
      return [side(bids, true), side(asks, false)];
    };
    const actual = () => [m.book.topLevels('bid', 100).map((l) => [l.priceTicks, l.qtyLots]), m.book.topLevels('ask', 100).map((l) => [l.priceTicks, l.qtyLots])];
    let id = 12;
    for (let step = 0; step < 3000; step++) {
      const r = rng();
      if (r < 0.15) {
        // A diff: a few levels around the top, some of them deletions; it reaches some ids.
        const bid: [number, number][] = [];
        const ask: [number, number][] = [];
        for (let k = 0; k < 3; k++) {
          const p = 95 + Math.floor(rng() * 5);
          bid.push([p, rng() < 0.3 ? 0 : 1 + Math.floor(rng() * 4)]);
          ask.push([p + 6, rng() < 0.3 ? 0 : 1 + Math.floor(rng() * 4)]);
        }
        const to = rng() < 0.5 ? id : id + 1;
        m.applyDiff(diff(u + 1, Math.max(to, u + 1), u, bid, ask));
        u = Math.max(to, u + 1);
        id = Math.max(id, u);
        for (const [p, q] of bid) depthBids.set(p, q);
        for (const [p, q] of ask) depthAsks.set(p, q);
        if (t !== null && t.updateId <= u) t = null;
      } else {
        // Mostly the same prices as the last bookTicker, quantities drawn from 1..3 (so some equal
        // the depth book's): the quantities-only path; sometimes a price move.
        const moved = t === null || rng() < 0.2;
        const bidP = moved ? 97 + Math.floor(rng() * 7) : t!.bidTicks;
        const askP = moved ? bidP + 1 + Math.floor(rng() * 4) : t!.askTicks;
        id += 1;
        t = ticker(bidP, askP, 1 + Math.floor(rng() * 3), 1 + Math.floor(rng() * 3), id);
        m.applyTicker(t);
      }
      // Empty depth sides would make the overlay's validity depend on BookSync; keep both sides present.
      if (![...depthBids.values()].some((q) => q > 0)) { depthBids.set(90, 1); m.applyDiff(diff(u + 1, u + 1, u, [[90, 1]])); u += 1; id = Math.max(id, u); if (t !== null && t.updateId <= u) t = null; }
      if (![...depthAsks.values()].some((q) => q > 0)) { depthAsks.set(110, 1); m.applyDiff(diff(u + 1, u + 1, u, [], [[110, 1]])); u += 1; id = Math.max(id, u); if (t !== null && t.updateId <= u) t = null; }
      expect(actual(), `step ${step}`).toEqual(expected());
      expect(m.book.lastUpdateId()).toBe(t !== null && t.updateId > u ? t.updateId : u);
    }
    expect(m.fused.overlays).toBeGreaterThan(1000);
  });
});
