/**
 * Keeps an `L2Book` in sync with Binance USDⓈ-M diff-depth events (binance-usdm.md §6).
 *
 * Units: ticks and lots, as in the book; update ids are the exchange's integers (`U`, `u`, `pu`,
 * `lastUpdateId`), -1 when the source has none. Events must be fed in arrival order.
 *
 * The rule (futures; differs from spot): buffer diffs until a snapshot arrives; drop buffered diffs
 * with `u < lastUpdateId`; the first diff applied must bridge the snapshot (`U <= lastUpdateId <= u`,
 * or `pu == lastUpdateId`); every later diff must have `pu == previous u`. Anything else is a gap:
 * the book is INVALID until the next snapshot. The snapshot may arrive after the diff that bridges
 * it (in the hftbacktest recordings the REST reply lands 6–7 diffs after the stream starts), which
 * is why diffs are buffered while awaiting a snapshot and replayed once it is loaded.
 *
 * A book that is crossed after a diff or a snapshot is never silently accepted: it is counted,
 * reported and the book is INVALID until the next snapshot.
 *
 * Sources without update ids (Tardis CSV: all ids -1) apply diffs in order with no gap checks;
 * each snapshot resets the book. Diffs before the first such snapshot are dropped.
 *
 * This module does not log: gaps, crossings and (re)syncs are reported through `onEvent`.
 *
 * State table (state × input → action, next state). A missing row would be a bug; all rows exist.
 *
 * | state             | diff                                                        | snapshot                      |
 * |-------------------|-------------------------------------------------------------|-------------------------------|
 * | AWAITING_SNAPSHOT | ids: buffer. no ids: drop (nothing to apply it to)          | load, replay buffer           |
 * | BRIDGING          | u < L: drop. bridges L: apply → SYNCED. else: gap → INVALID  | load, replay buffer           |
 * | SYNCED            | pu == u': apply. u <= u': drop (old/duplicate). else: gap    | ids: ignore (1). none: reset  |
 * | INVALID           | ids: buffer. no ids: apply, book stays invalid (2)          | load, replay buffer           |
 *
 * (L = the snapshot's lastUpdateId, u' = the last applied u.)
 * (1) A book kept by an unbroken `pu` chain is as good as any snapshot, and loading a newer one
 *     would need diffs the SYNCED state no longer buffers (a late snapshot would turn into a gap),
 *     so a snapshot with ids is ignored while SYNCED (counted in `ignoredSnapshots`). To force a
 *     resync, call `reset()`. A snapshot without ids resets the book (Tardis re-snapshots).
 * (2) Without ids there is nothing to resync from but the next snapshot, so the book keeps
 *     following the diffs while flagged invalid, instead of freezing until then.
 * A diff that causes a gap is buffered: it may bridge the next snapshot.
 */
import { flatViewOf, type DepthDiff, type DepthSnapshot, type FlatDepthDiff } from '../model/events.ts';
import type { L2Book } from './l2-book.ts';

export type SyncState = 'AWAITING_SNAPSHOT' | 'BRIDGING' | 'SYNCED' | 'INVALID';

export interface BookSyncCounters {
  /** Diffs that broke the chain (or did not bridge the snapshot). */
  gaps: number;
  /** Syncs after the first one (after a gap, a crossing or a newer snapshot). */
  resyncs: number;
  /** Times the book became crossed after a diff or a snapshot. */
  crossed: number;
  /** Diffs applied to the book. */
  applied: number;
  /** Diffs dropped as stale (older than the snapshot or the book) or unusable (no ids, no snapshot yet). */
  dropped: number;
  /** Diffs put in the buffer while awaiting a snapshot (a diff re-buffered after a failed replay counts again). */
  buffered: number;
  /** Buffered diffs evicted because the buffer was full (oldest first). */
  evicted: number;
  /** Snapshots loaded. */
  snapshots: number;
  /** Snapshots with ids that arrived while SYNCED and were not needed. */
  ignoredSnapshots: number;
}

export type BookSyncEvent =
  | { type: 'synced' | 'resync'; symbol: string; snapshotId: number; lastUpdateId: number; tsExchangeUs: number }
  | {
      type: 'gap';
      symbol: string;
      /** The id the diff had to connect to: the snapshot's lastUpdateId (bridging) or the last applied u. */
      expectedId: number;
      phase: 'bridge' | 'chain';
      firstUpdateId: number;
      finalUpdateId: number;
      prevFinalUpdateId: number;
      tsExchangeUs: number;
    }
  | { type: 'crossed'; symbol: string; cause: 'diff' | 'snapshot'; bestBidTicks: number; bestAskTicks: number; updateId: number; tsExchangeUs: number }
  | { type: 'snapshotIgnored'; symbol: string; snapshotId: number; lastUpdateId: number; tsExchangeUs: number };

export interface BookSyncOptions {
  onEvent?: (e: BookSyncEvent) => void;
  /**
   * Called after each diff is applied with the book in a valid state (including diffs replayed from
   * the buffer when a late snapshot arrives), with that diff's final update id. Lets a caller see
   * the book exactly as of every `u` (the bookTicker oracle of `maker data check`).
   */
  onApplied?: (finalUpdateId: number) => void;
  /** Most diffs held while awaiting a snapshot (default 10000); beyond that the oldest are evicted. */
  maxBuffered?: number;
}

type DiffRow = (s: BookSync, d: FlatDepthDiff) => void;
type SnapshotRow = (s: BookSync, snap: DepthSnapshot) => void;

export class BookSync {
  readonly book: L2Book;
  readonly counters: BookSyncCounters = { gaps: 0, resyncs: 0, crossed: 0, applied: 0, dropped: 0, buffered: 0, evicted: 0, snapshots: 0, ignoredSnapshots: 0 };
  private current: SyncState = 'AWAITING_SNAPSHOT';
  private lastU = -1;
  private snapshotId = -1;
  private everSynced = false;
  private buffer: FlatDepthDiff[] = [];
  private readonly maxBuffered: number;
  private readonly onEvent: ((e: BookSyncEvent) => void) | undefined;
  private readonly onApplied: ((finalUpdateId: number) => void) | undefined;
  /** Reused to present a `DepthDiff` as a `FlatDepthDiff` without allocating. */
  private readonly scratch: FlatDepthDiff = {
    tsExchangeUs: 0, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1,
    bidTicks: [], bidLots: [], bidStart: 0, bidEnd: 0, askTicks: [], askLots: [], askStart: 0, askEnd: 0,
  };

  private static readonly ON_DIFF: Readonly<Record<SyncState, DiffRow>> = {
    AWAITING_SNAPSHOT: (s, d) => (d.finalUpdateId === -1 ? s.drop() : s.bufferDiff(d)),
    BRIDGING: (s, d) => s.bridgeOrGap(d),
    SYNCED: (s, d) => s.continueOrGap(d),
    INVALID: (s, d) => (d.finalUpdateId === -1 ? s.applyLevels(d) : s.bufferDiff(d)),
  };

  private static readonly ON_SNAPSHOT: Readonly<Record<SyncState, SnapshotRow>> = {
    AWAITING_SNAPSHOT: (s, snap) => s.loadAndReplay(snap),
    BRIDGING: (s, snap) => s.loadAndReplay(snap),
    SYNCED: (s, snap) => {
      if (snap.lastUpdateId !== -1 && s.lastU !== -1) s.ignoreSnapshot(snap);
      else s.loadAndReplay(snap);
    },
    INVALID: (s, snap) => s.loadAndReplay(snap),
  };

  constructor(book: L2Book, opts: BookSyncOptions = {}) {
    this.book = book;
    this.onEvent = opts.onEvent;
    this.onApplied = opts.onApplied;
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    book.clear();
    book.setValid(false);
    book.setLastUpdateId(-1);
  }

  state(): SyncState {
    return this.current;
  }

  /** Diffs currently held, waiting for a snapshot. */
  bufferedCount(): number {
    return this.buffer.length;
  }

  applyDiff(d: DepthDiff): void {
    BookSync.ON_DIFF[this.current](this, flatViewOf(d, this.scratch));
  }

  /** The allocation-free path: no object is created per diff or per level while SYNCED. */
  applyFlatDiff(d: FlatDepthDiff): void {
    BookSync.ON_DIFF[this.current](this, d);
  }

  applySnapshot(snap: DepthSnapshot): void {
    BookSync.ON_SNAPSHOT[this.current](this, snap);
  }

  /** Forgets the book and the buffer and waits for a snapshot (e.g. after a reconnect). Counters are kept. */
  reset(): void {
    this.buffer = [];
    this.lastU = -1;
    this.snapshotId = -1;
    this.book.clear();
    this.book.setLastUpdateId(-1);
    this.setState('AWAITING_SNAPSHOT');
  }

  // ---- rows -------------------------------------------------------------------------------------

  private drop(): void {
    this.counters.dropped++;
  }

  private bufferDiff(d: FlatDepthDiff): void {
    this.buffer.push(copyDiff(d));
    this.counters.buffered++;
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.shift();
      this.counters.evicted++;
    }
  }

  private bridgeOrGap(d: FlatDepthDiff): void {
    const L = this.snapshotId;
    const u = d.finalUpdateId;
    if (u !== -1 && u < L) return this.drop();
    if (u === -1 || (d.firstUpdateId <= L && L <= u) || d.prevFinalUpdateId === L) {
      if (this.applyLevels(d)) {
        this.enterSynced(d.tsExchangeUs);
        if (this.onApplied !== undefined) this.onApplied(u);
      }
      return;
    }
    this.gap(d, L, 'bridge');
  }

  private continueOrGap(d: FlatDepthDiff): void {
    const u = d.finalUpdateId;
    if (d.prevFinalUpdateId === this.lastU || u === -1 || this.lastU === -1) {
      if (this.applyLevels(d) && this.onApplied !== undefined && this.current === 'SYNCED') this.onApplied(u);
      return;
    }
    if (u <= this.lastU) return this.drop();
    this.gap(d, this.lastU, 'chain');
  }

  /** Applies a diff's levels; returns false (and invalidates the book) if that crossed it. */
  private applyLevels(d: FlatDepthDiff): boolean {
    const book = this.book;
    book.applySideLevels('bid', d.bidTicks, d.bidLots, d.bidStart, d.bidEnd);
    book.applySideLevels('ask', d.askTicks, d.askLots, d.askStart, d.askEnd);
    this.counters.applied++;
    this.lastU = d.finalUpdateId;
    book.setLastUpdateId(d.finalUpdateId);
    if (this.current !== 'INVALID' && book.isCrossed()) {
      this.crossed('diff', d.finalUpdateId, d.tsExchangeUs);
      return false;
    }
    return true;
  }

  private gap(d: FlatDepthDiff, expectedId: number, phase: 'bridge' | 'chain'): void {
    this.counters.gaps++;
    this.setState('INVALID');
    // Buffer before reporting: a handler may feed the sync again and reuse `d`'s storage.
    this.bufferDiff(d);
    this.emit({
      type: 'gap', symbol: this.book.symbol, expectedId, phase,
      firstUpdateId: d.firstUpdateId, finalUpdateId: d.finalUpdateId, prevFinalUpdateId: d.prevFinalUpdateId, tsExchangeUs: d.tsExchangeUs,
    });
  }

  private crossed(cause: 'diff' | 'snapshot', updateId: number, tsExchangeUs: number): void {
    this.counters.crossed++;
    this.setState('INVALID');
    const book = this.book;
    this.emit({ type: 'crossed', symbol: book.symbol, cause, bestBidTicks: book.bestBidTicks(), bestAskTicks: book.bestAskTicks(), updateId, tsExchangeUs });
  }

  private ignoreSnapshot(snap: DepthSnapshot): void {
    this.counters.ignoredSnapshots++;
    this.emit({ type: 'snapshotIgnored', symbol: this.book.symbol, snapshotId: snap.lastUpdateId, lastUpdateId: this.lastU, tsExchangeUs: snap.tsExchangeUs });
  }

  private loadAndReplay(snap: DepthSnapshot): void {
    const book = this.book;
    this.counters.snapshots++;
    book.loadSnapshot(snap.bidTicks, snap.bidLots, snap.askTicks, snap.askLots);
    const L = snap.lastUpdateId;
    this.snapshotId = L;
    this.lastU = L;
    book.setLastUpdateId(L);
    // Leave INVALID first so that a crossed snapshot is counted like a crossed diff.
    this.setState('BRIDGING');
    if (book.isCrossed()) {
      this.crossed('snapshot', L, snap.tsExchangeUs);
      return;
    }
    if (L === -1) {
      // No ids: nothing in the buffer can be placed relative to this snapshot.
      this.counters.dropped += this.buffer.length;
      this.buffer = [];
      this.enterSynced(snap.tsExchangeUs);
      return;
    }
    const pending = this.buffer;
    this.buffer = [];
    for (const d of pending) BookSync.ON_DIFF[this.current](this, d);
  }

  private enterSynced(tsExchangeUs: number): void {
    this.setState('SYNCED');
    const resync = this.everSynced;
    this.everSynced = true;
    if (resync) this.counters.resyncs++;
    this.emit({ type: resync ? 'resync' : 'synced', symbol: this.book.symbol, snapshotId: this.snapshotId, lastUpdateId: this.lastU, tsExchangeUs });
  }

  private setState(next: SyncState): void {
    this.current = next;
    this.book.setValid(next === 'SYNCED');
  }

  private emit(e: BookSyncEvent): void {
    if (this.onEvent !== undefined) this.onEvent(e);
  }
}

function copyDiff(d: FlatDepthDiff): FlatDepthDiff {
  return {
    tsExchangeUs: d.tsExchangeUs,
    firstUpdateId: d.firstUpdateId,
    finalUpdateId: d.finalUpdateId,
    prevFinalUpdateId: d.prevFinalUpdateId,
    bidTicks: Array.prototype.slice.call(d.bidTicks, d.bidStart, d.bidEnd) as number[],
    bidLots: Array.prototype.slice.call(d.bidLots, d.bidStart, d.bidEnd) as number[],
    bidStart: 0,
    bidEnd: d.bidEnd - d.bidStart,
    askTicks: Array.prototype.slice.call(d.askTicks, d.askStart, d.askEnd) as number[],
    askLots: Array.prototype.slice.call(d.askLots, d.askStart, d.askEnd) as number[],
    askStart: 0,
    askEnd: d.askEnd - d.askStart,
  };
}
