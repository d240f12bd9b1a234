// BookSync paths a mutation run (`npm run mutate -- --only book-sync`) found unpinned: the
// onApplied callback, snapshots arriving while SYNCED, data without update ids, and reset().
import { describe, expect, it } from 'vitest';
import { BookSync, L2Book, type BookSyncEvent } from '../../src/book/index.ts';
import type { DepthDiff, DepthSnapshot } from '../../src/model/index.ts';

function diff(U: number, u: number, pu: number, bids: [number, number][] = [], asks: [number, number][] = []): DepthDiff {
  return {
    type: 'depth', symbol: 'T', tsExchangeUs: Math.max(u, 0), tsReceiveUs: 0, tsTransactUs: 0, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}
const noIds = (bids: [number, number][] = [], asks: [number, number][] = []) => diff(-1, -1, -1, bids, asks);

function snap(L: number, bids: [number, number][] = [[100, 1]], asks: [number, number][] = [[110, 1]]): DepthSnapshot {
  return {
    type: 'snapshot', symbol: 'T', tsExchangeUs: 0, tsReceiveUs: 0, tsTransactUs: 0, lastUpdateId: L,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}

function make() {
  const events: BookSyncEvent[] = [];
  const applied: number[] = [];
  const sync = new BookSync(new L2Book('T'), { onEvent: (e) => events.push(e), onApplied: (u) => applied.push(u) });
  return { sync, events, applied, book: sync.book };
}

describe('onApplied', () => {
  it('reports every diff applied to a synced book (the bridging one included), and no dropped, gapped or crossing one', () => {
    const { sync, applied } = make();
    sync.applyDiff(diff(1, 5, 0)); // buffered, then stale
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(6, 9, 5, [[101, 1]])); // bridges 7
    sync.applyDiff(diff(10, 12, 9, [[102, 1]]));
    sync.applyDiff(diff(13, 14, 12, [[111, 1]])); // the bid at 111 crosses the ask 110: INVALID
    expect(sync.state()).toBe('INVALID');
    sync.applyDiff(diff(15, 16, 14));
    expect(applied).toEqual([9, 12]);
  });
});

describe('a snapshot while SYNCED', () => {
  it('with update ids on both sides: ignored and reported', () => {
    const { sync, events, book } = make();
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(6, 9, 5, [[101, 1]]));
    sync.applySnapshot(snap(20, [[90, 5]], [[95, 5]]));
    expect(book.bestBidTicks()).toBe(101);
    expect(sync.counters.ignoredSnapshots).toBe(1);
    expect(events.at(-1)).toEqual({ type: 'snapshotIgnored', symbol: 'T', snapshotId: 20, lastUpdateId: 9, tsExchangeUs: 0 });
  });

  it('without ids (data that has none), or onto a book synced without ids: loaded', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(-1));
    expect(sync.state()).toBe('SYNCED');
    sync.applySnapshot(snap(-1, [[90, 5]], [[95, 5]]));
    expect([book.bestBidTicks(), book.bestAskTicks()]).toEqual([90, 95]);
    // A snapshot with an id onto a book whose last id is unknown: loaded too.
    sync.applySnapshot(snap(30, [[80, 5]], [[85, 5]]));
    expect([book.bestBidTicks(), book.bestAskTicks(), book.lastUpdateId()]).toEqual([80, 85, 30]);
    expect(sync.counters.ignoredSnapshots).toBe(0);
  });
});

describe('data without update ids', () => {
  it('a snapshot without an id drops what was buffered (nothing can be placed relative to it) and counts it', () => {
    const { sync, book } = make();
    sync.applyDiff(diff(1, 5, 0, [[101, 1]]));
    sync.applyDiff(diff(6, 9, 5, [[102, 1]]));
    sync.applyDiff(diff(10, 12, 9, [[103, 1]]));
    expect(sync.bufferedCount()).toBe(3);
    sync.applySnapshot(snap(-1));
    expect(sync.bufferedCount()).toBe(0);
    expect(sync.counters.dropped).toBe(3);
    expect(book.bestBidTicks()).toBe(100);
    expect(sync.state()).toBe('SYNCED');
  });

  it('a book synced without ids applies the next diffs whatever their ids', () => {
    const { sync, book, events } = make();
    sync.applySnapshot(snap(-1));
    sync.applyDiff(diff(50, 55, 49, [[101, 1]]));
    expect(book.bestBidTicks()).toBe(101);
    expect(events.some((e) => e.type === 'gap')).toBe(false);
    // From then on the chain is checked.
    sync.applyDiff(diff(60, 61, 58, [[102, 1]]));
    expect(events.filter((e) => e.type === 'gap')).toHaveLength(1);
  });

  it('a snapshot without an id onto a book synced with ids: loaded', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(6, 9, 5, [[101, 1]]));
    sync.applySnapshot(snap(-1, [[90, 5]], [[95, 5]]));
    expect([book.bestBidTicks(), book.bestAskTicks()]).toEqual([90, 95]);
    expect(sync.counters.ignoredSnapshots).toBe(0);
  });

  it('an id-less diff onto a book synced with ids is applied, not dropped as old', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(6, 9, 5, [[101, 1]]));
    sync.applyDiff(noIds([[102, 1]]));
    expect(book.bestBidTicks()).toBe(102);
    expect(sync.counters.dropped).toBe(0);
  });

  it('an id-less diff is applied while bridging and while synced with ids', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(7));
    expect(sync.state()).toBe('BRIDGING');
    sync.applyDiff(noIds([[101, 1]]));
    expect(sync.state()).toBe('SYNCED');
    expect(book.bestBidTicks()).toBe(101);
    sync.applyDiff(noIds([[102, 1]]));
    expect(book.bestBidTicks()).toBe(102);
  });
});

describe('bridging', () => {
  it('a first diff that starts after the snapshot id + 1 and does not chain to it is a gap', () => {
    const { sync, events } = make();
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(10, 12, 9, [[101, 1]]));
    expect(sync.state()).toBe('INVALID');
    expect(events.at(-1)).toMatchObject({ type: 'gap', phase: 'bridge', expectedId: 7, firstUpdateId: 10 });
  });
});

describe('reset', () => {
  it('forgets the book, the buffer and the last id, keeps the counters, and syncs again from a snapshot', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(7));
    sync.applyDiff(diff(6, 9, 5, [[101, 1]]));
    sync.reset();
    expect(sync.state()).toBe('AWAITING_SNAPSHOT');
    expect(book.lastUpdateId()).toBe(-1);
    expect(book.isValid()).toBe(false);
    expect(book.bestBidTicks()).toBeNaN();
    expect(sync.counters.snapshots).toBe(1);
    sync.applyDiff(diff(3, 4, 2, [[99, 1]]));
    sync.applySnapshot(snap(3));
    expect(sync.state()).toBe('SYNCED');
    expect([book.bestBidTicks(), book.lastUpdateId()]).toEqual([100, 4]);
  });
});
