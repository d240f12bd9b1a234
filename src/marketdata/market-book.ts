/**
 * `MarketBook`: the one per-symbol book keeper, used by the trading core (at receive time), the
 * simulated exchange (at exchange time) and the data checker. It keeps a depth book (`L2Book` fed
 * through the Binance sync state machine `BookSync`: diffs + snapshots) and a top-of-book book
 * (one level per side, from bookTickers), and says which one is the book and which events it
 * takes, by one rule (`BookSource`):
 *   - `depth`: diffs and snapshots only (bookTickers ignored);
 *   - `bookTicker`: bookTickers only (top-of-book data: a 1-level book);
 *   - `auto` (the default): bookTickers alone until the first depth event or snapshot of the symbol;
 *     from then on the FUSED book: the depth book with the freshest bookTicker laid over its top.
 * `ignores(type)` is that rule, and the only statement of it: the owners derive both their event
 * handling and their replay fast path (`accepts`) from it.
 *
 * Why fused. Binance's @depth stream is conflated: its top lags the real-time @bookTicker (on the
 * 2024-08-08 BTCUSDT recording they agree at about two thirds of the bookTickers; `maker data check`
 * measures the lag). bookTicker and depth share one update-id space, so a bookTicker whose `u` is
 * above the depth book's last applied `u` is newer than that book, and one at or below it is not.
 *
 * The fused book's state machine (per symbol, once depth is seen; `D` = the depth book's last
 * applied final update id, `T` = the last bookTicker remembered, `stash` = the depth levels the
 * overlay changed, with their depth quantities):
 *
 * | state                       | bookTicker t                                   | depth diff / snapshot                          |
 * |-----------------------------|------------------------------------------------|------------------------------------------------|
 * | DEPTH (no overlay)          | t.u > D, depth valid: overlay(t) → OVERLAID.   | apply (BookSync); then as below if T.u > D     |
 * |                             | t.u > D, depth invalid or D unknown (awaiting  |                                                |
 * |                             | its snapshot): remember t as T → DEPTH.        |                                                |
 * |                             | t.u ≤ D, t.u ≤ T.u or t has no id: stale,      |                                                |
 * |                             | ignored → DEPTH.                               |                                                |
 * | OVERLAID (T over the depth) | t.u > T.u: restore stash, overlay(t).          | restore stash, apply (the diff is authoritative)|
 * |                             | t.u ≤ T.u: stale, ignored.                     | → then, if T.u > the new D and the book is     |
 * |                             |                                                | valid: overlay(T) again → OVERLAID; else DEPTH |
 *
 * overlay(t): every bid above t's bid price and every ask below t's ask price is removed (nothing
 * rests between the real best bid and best ask), the bid at t's price gets t's bid quantity and
 * the ask at t's price t's ask quantity; each level touched is stashed once with its depth
 * quantity, so `restore` puts the depth book back exactly. Levels behind the best are the depth
 * book's (the best knowledge there is). The book's `lastUpdateId()` reads T.u while overlaid.
 * A bookTicker that is crossed or has an empty side is not laid over (it is remembered as newest,
 * so an older one is not laid over either). A snapshot drops the overlay and re-lays T if newer.
 * Sources without update ids (-1 on either stream) cannot be ordered: the fused book is then the
 * depth book alone.
 *
 * The book owners see overlay changes as ordinary level changes of `book` (the simulated exchange's
 * queue model, rule F6) and never need to know whether a level came from a diff or a bookTicker.
 * Cost: an overlay touches the levels between the old and the new top (usually 2-4), without
 * allocation (the stash is three reused typed arrays). A bookTicker at the same best prices as the
 * overlay already laid (about 9 in 10 on BTCUSDT: only the top quantities moved) sets those two
 * levels in place (stashing a level's depth quantity the first time it changes) instead of
 * restoring and laying again: the same book and the same stash, without the trim's rescans.
 *
 * `invalidate()` is a stream going down: the depth book waits for a new snapshot (diffs are
 * buffered meanwhile), the top-of-book book for the next bookTicker, and the overlay is dropped.
 * Units: integer ticks and lots.
 */
import { BookSync, L2Book, type BookSyncOptions, type BookView } from '../book/index.ts';
import type { BookTicker, DepthDiff, DepthSnapshot, FlatDepthDiff, MarketEventType } from '../model/events.ts';

export type BookSource = 'auto' | 'depth' | 'bookTicker';

/** Counters of the fused book (all 0 unless the source is `auto` and depth is seen). */
export interface FusedBookCounters {
  /** bookTickers laid over the depth book. */
  overlays: number;
  /** bookTickers at or below the depth book's update id (or the overlay's): ignored. */
  stale: number;
  /** Overlays undone by the next depth event (then re-laid if still newer). */
  reconciled: number;
  /** Overlays laid again after a depth event that did not reach the bookTicker's update id. */
  relaid: number;
}

export class MarketBook {
  readonly depthBook: L2Book;
  readonly sync: BookSync;
  readonly tobBook: L2Book;
  /** The depth book once depth data has been seen (or the source is depth), else the top-of-book book. */
  book: L2Book;
  /** A depth event or snapshot of this symbol has been applied (`auto` then lays bookTickers over the depth book). */
  depthSeen = false;
  readonly fused: FusedBookCounters = { overlays: 0, stale: 0, reconciled: 0, relaid: 0 };
  // The newest bookTicker seen once depth is seen (tU -1: none): T in the state table.
  private tU = -1;
  private tBid = 0;
  private tBidLots = 0;
  private tAsk = 0;
  private tAskLots = 0;
  /** The overlay of T is on the depth book now (the stash holds what it changed). */
  private overlaid = false;
  /** The depth book's own last update id while overlaid. */
  private depthU = -1;
  /** The best prices of the overlay on the book (valid while overlaid). */
  private ovBid = NaN;
  private ovAsk = NaN;
  // The stash: side (1 bid, 0 ask), price and depth quantity of each level the overlay changed,
  // `stashCount` entries (typed arrays, grown by doubling: no allocation per bookTicker).
  private stashSide = new Uint8Array(16);
  private stashTicks = new Float64Array(16);
  private stashLots = new Float64Array(16);
  private stashCount = 0;

  constructor(
    readonly symbol: string,
    readonly source: BookSource = 'auto',
    syncOptions: BookSyncOptions = {},
  ) {
    this.depthBook = new L2Book(symbol);
    this.sync = new BookSync(this.depthBook, syncOptions);
    this.tobBook = new L2Book(symbol);
    this.tobBook.setValid(false); // nothing seen yet
    this.book = source === 'depth' ? this.depthBook : this.tobBook;
  }

  /** Whether an event of this type changes nothing in this book now (the book-source rule). */
  ignores(type: MarketEventType): boolean {
    if (type === 'bookTicker') return this.source === 'depth';
    if (type === 'depth' || type === 'snapshot') return this.source === 'bookTicker';
    return true;
  }

  /** The book the owner should read (the top-of-book, depth or fused one). */
  view(): BookView {
    return this.book;
  }

  /** Whether a bookTicker currently overrides the depth book's top (the fused state OVERLAID). */
  isOverlaid(): boolean {
    return this.overlaid;
  }

  applyDiff(d: DepthDiff): void {
    this.enterDepth();
    const was = this.beforeDepth();
    this.sync.applyDiff(d);
    this.afterDepth(was);
  }

  applyFlatDiff(d: FlatDepthDiff): void {
    this.enterDepth();
    const was = this.beforeDepth();
    this.sync.applyFlatDiff(d);
    this.afterDepth(was);
  }

  applySnapshot(s: DepthSnapshot): void {
    this.enterDepth();
    const was = this.beforeDepth();
    this.sync.applySnapshot(s);
    this.afterDepth(was);
  }

  /**
   * A bookTicker: before depth is seen (or with source `bookTicker`), the top-of-book book holds
   * exactly its level per side (valid when both sides are present and not crossed); once depth is
   * seen (source `auto`), it is laid over the depth book when newer (see the state table).
   * Returns false when it changed nothing the owner reads (a stale bookTicker, or one remembered
   * while the depth book is not in sync): the owner may skip its after-book work.
   */
  applyTicker(e: BookTicker): boolean {
    if (this.depthSeen) return this.fuseTicker(e);
    const book = this.tobBook;
    const oldBid = book.bestBidTicks();
    const oldAsk = book.bestAskTicks();
    if (!Number.isNaN(oldBid) && oldBid !== e.bidTicks) book.applyLevel('bid', oldBid, 0);
    if (!Number.isNaN(oldAsk) && oldAsk !== e.askTicks) book.applyLevel('ask', oldAsk, 0);
    book.applyLevel('bid', e.bidTicks, e.bidLots);
    book.applyLevel('ask', e.askTicks, e.askLots);
    book.setValid(e.bidLots > 0 && e.askLots > 0 && e.bidTicks < e.askTicks);
    book.setLastUpdateId(e.updateId);
    return true;
  }

  /** The stream feeding this book went down: invalid until it re-syncs (snapshot, or next bookTicker). */
  invalidate(): void {
    this.restore();
    this.tU = -1;
    this.sync.reset();
    this.tobBook.setValid(false);
  }

  // ---- the fused book ---------------------------------------------------------------------------

  private fuseTicker(e: BookTicker): boolean {
    const u = e.updateId;
    const depthU = this.overlaid ? this.depthU : this.depthBook.lastUpdateId();
    if (u < 0 || u <= depthU || u <= this.tU) {
      this.fused.stale++;
      return false;
    }
    // Remembered even while the depth book has no id yet (awaiting its snapshot): it may still be
    // newer than the book the snapshot brings.
    this.tU = u;
    this.tBid = e.bidTicks;
    this.tBidLots = e.bidLots;
    this.tAsk = e.askTicks;
    this.tAskLots = e.askLots;
    if (depthU < 0) return false;
    if (this.overlaid && e.bidTicks === this.ovBid && e.askTicks === this.ovAsk && e.bidLots > 0 && e.askLots > 0) {
      // Same best prices as the overlay on the book (the common case: only the top quantities
      // moved). restore + overlay would remove the same crossing levels again: set the two
      // quantities in place instead (the same book, the same stash to restore).
      this.stashLevel(1, e.bidTicks, e.bidLots);
      this.stashLevel(0, e.askTicks, e.askLots);
      this.depthBook.setLastUpdateId(u);
      this.fused.overlays++;
      return true;
    }
    const was = this.overlaid;
    this.restore();
    if (!this.overlay()) return was;
    this.fused.overlays++;
    return true;
  }

  /** Before a depth event: put the depth book back as the depth stream left it. Returns whether an overlay was on. */
  private beforeDepth(): boolean {
    const was = this.overlaid;
    this.restore();
    return was;
  }

  /** After a depth event: lay the remembered bookTicker over again if it is still newer than the depth book. */
  private afterDepth(wasOverlaid: boolean): void {
    if (wasOverlaid) this.fused.reconciled++;
    if (this.tU < 0) return;
    const depthU = this.depthBook.lastUpdateId();
    if (depthU >= 0 && this.tU > depthU) {
      if (this.overlay() && wasOverlaid) this.fused.relaid++;
    } else if (depthU >= this.tU) this.tU = -1; // the depth book has caught up: T is history
  }

  /** Lays T over the valid depth book; false (nothing changed) when the book is invalid or T unusable. */
  private overlay(): boolean {
    const book = this.depthBook;
    const bid = this.tBid;
    const ask = this.tAsk;
    if (!book.isValid() || !(this.tBidLots > 0 && this.tAskLots > 0 && bid < ask)) return false;
    this.depthU = book.lastUpdateId();
    // Nothing rests between the real best bid and best ask.
    for (let p = book.bestBidTicks(); p > bid; p = book.bestBidTicks()) this.stashSet(1, p, 0);
    for (let p = book.bestAskTicks(); p < ask; p = book.bestAskTicks()) this.stashSet(0, p, 0);
    this.stashSet(1, bid, this.tBidLots);
    this.stashSet(0, ask, this.tAskLots);
    book.setLastUpdateId(this.tU);
    this.overlaid = true;
    this.ovBid = bid;
    this.ovAsk = ask;
    return true;
  }

  /** Sets one overlaid level to `lots` (> 0), stashing its depth quantity if the overlay had not changed it yet. */
  private stashLevel(isBid: number, priceTicks: number, lots: number): void {
    const side = isBid === 1 ? 'bid' : 'ask';
    for (let i = this.stashCount - 1; i >= 0; i--) {
      if (this.stashTicks[i] === priceTicks && this.stashSide[i] === isBid) {
        this.depthBook.applyLevel(side, priceTicks, lots);
        return;
      }
    }
    this.stashSet(isBid, priceTicks, lots);
  }

  private stashSet(isBid: number, priceTicks: number, lots: number): void {
    const side = isBid === 1 ? 'bid' : 'ask';
    const book = this.depthBook;
    const old = book.qtyAt(side, priceTicks);
    if (old === lots) return;
    const n = this.stashCount;
    if (n === this.stashTicks.length) this.growStash();
    this.stashSide[n] = isBid;
    this.stashTicks[n] = priceTicks;
    this.stashLots[n] = old;
    this.stashCount = n + 1;
    book.applyLevel(side, priceTicks, lots);
  }

  private growStash(): void {
    const side = new Uint8Array(this.stashSide.length * 2);
    const ticks = new Float64Array(this.stashTicks.length * 2);
    const lots = new Float64Array(this.stashLots.length * 2);
    side.set(this.stashSide);
    ticks.set(this.stashTicks);
    lots.set(this.stashLots);
    this.stashSide = side;
    this.stashTicks = ticks;
    this.stashLots = lots;
  }

  /** Undoes the overlay (latest change first), leaving the depth book exactly as the depth stream made it. */
  private restore(): void {
    if (!this.overlaid) return;
    const book = this.depthBook;
    for (let i = this.stashCount - 1; i >= 0; i--) book.applyLevel(this.stashSide[i] === 1 ? 'bid' : 'ask', this.stashTicks[i], this.stashLots[i]);
    this.stashCount = 0;
    book.setLastUpdateId(this.depthU);
    this.overlaid = false;
  }

  private enterDepth(): void {
    if (this.depthSeen) return;
    this.depthSeen = true;
    this.book = this.depthBook;
  }
}
