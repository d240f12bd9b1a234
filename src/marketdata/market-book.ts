/**
 * `MarketBook`: the one per-symbol book keeper, used by the trading core (at receive time), the
 * simulated exchange (at exchange time) and the data checker. It keeps a depth book (`L2Book` fed
 * through the Binance sync state machine `BookSync`: diffs + snapshots) and a top-of-book book
 * (one level per side, from bookTickers), and says which one is the book and which events it
 * takes, by one rule (`BookSource`):
 *   - `depth`: diffs and snapshots only;
 *   - `bookTicker`: bookTickers only (top-of-book data);
 *   - `auto`: bookTickers until the first depth event or snapshot of the symbol, then depth only
 *     (a recording with both streams must not mix a 1-level book into the depth book).
 * `ignores(type)` is that rule, and the only statement of it: the owners derive both their event
 * handling and their replay fast path (`accepts`) from it.
 *
 * `invalidate()` is a stream going down: the depth book waits for a new snapshot (diffs are
 * buffered meanwhile), the top-of-book book for the next bookTicker. Units: integer ticks and lots.
 */
import { BookSync, L2Book, type BookSyncOptions, type BookView } from '../book/index.ts';
import type { BookTicker, DepthDiff, DepthSnapshot, FlatDepthDiff, MarketEventType } from '../model/events.ts';

export type BookSource = 'auto' | 'depth' | 'bookTicker';

export class MarketBook {
  readonly depthBook: L2Book;
  readonly sync: BookSync;
  readonly tobBook: L2Book;
  /** The depth book once depth data has been seen (or the source is depth), else the top-of-book book. */
  book: L2Book;
  /** A depth event or snapshot of this symbol has been applied (`auto` then ignores bookTickers). */
  depthSeen = false;

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
    if (type === 'bookTicker') return this.source === 'depth' || (this.source === 'auto' && this.depthSeen);
    if (type === 'depth' || type === 'snapshot') return this.source === 'bookTicker';
    return true;
  }

  /** The book the owner should read (the depth or the top-of-book one). */
  view(): BookView {
    return this.book;
  }

  applyDiff(d: DepthDiff): void {
    this.enterDepth();
    this.sync.applyDiff(d);
  }

  applyFlatDiff(d: FlatDepthDiff): void {
    this.enterDepth();
    this.sync.applyFlatDiff(d);
  }

  applySnapshot(s: DepthSnapshot): void {
    this.enterDepth();
    this.sync.applySnapshot(s);
  }

  /** Makes the top-of-book book hold exactly the bookTicker's level per side; valid when both sides are present and not crossed. */
  applyTicker(e: BookTicker): void {
    const book = this.tobBook;
    const oldBid = book.bestBidTicks();
    const oldAsk = book.bestAskTicks();
    if (!Number.isNaN(oldBid) && oldBid !== e.bidTicks) book.applyLevel('bid', oldBid, 0);
    if (!Number.isNaN(oldAsk) && oldAsk !== e.askTicks) book.applyLevel('ask', oldAsk, 0);
    book.applyLevel('bid', e.bidTicks, e.bidLots);
    book.applyLevel('ask', e.askTicks, e.askLots);
    book.setValid(e.bidLots > 0 && e.askLots > 0 && e.bidTicks < e.askTicks);
    book.setLastUpdateId(e.updateId);
  }

  /** The stream feeding this book went down: invalid until it re-syncs (snapshot, or next bookTicker). */
  invalidate(): void {
    this.sync.reset();
    this.tobBook.setValid(false);
  }

  private enterDepth(): void {
    if (this.depthSeen) return;
    this.depthSeen = true;
    this.book = this.depthBook;
  }
}
