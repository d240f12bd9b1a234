import { describe, expect, it } from 'vitest';
import { BookSync, L2Book, type BookSyncEvent } from '../../src/book/index.ts';
import type { DepthDiff, DepthSnapshot } from '../../src/model/index.ts';

function diff(U: number, u: number, pu: number, bids: [number, number][] = [], asks: [number, number][] = []): DepthDiff {
  return {
    type: 'depth', symbol: 'T', tsExchangeUs: u, tsReceiveUs: u, tsTransactUs: u, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}

function snap(L: number, bids: [number, number][] = [[100, 1]], asks: [number, number][] = [[110, 1]]): DepthSnapshot {
  return {
    type: 'snapshot', symbol: 'T', tsExchangeUs: 0, tsReceiveUs: 0, tsTransactUs: 0, lastUpdateId: L,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}

function make(maxBuffered?: number) {
  const events: BookSyncEvent[] = [];
  const sync = new BookSync(new L2Book('T'), { onEvent: (e) => events.push(e), maxBuffered });
  return { sync, events, book: sync.book };
}

describe('BookSync', () => {
  it('buffers diffs until the snapshot, drops the stale ones and bridges', () => {
    const { sync, events, book } = make();
    sync.applyDiff(diff(1, 5, 0, [[101, 1]]));
    sync.applyDiff(diff(6, 9, 5, [[102, 2]]));
    expect(sync.state()).toBe('AWAITING_SNAPSHOT');
    expect(book.isValid()).toBe(false);
    sync.applySnapshot(snap(7));
    expect(sync.state()).toBe('SYNCED');
    expect(book.bestBidTicks()).toBe(102);
    expect(book.qtyAt('bid', 101)).toBe(0); // u=5 < 7 was dropped
    expect(book.lastUpdateId()).toBe(9);
    expect(book.isValid()).toBe(true);
    expect(sync.counters).toMatchObject({ buffered: 2, dropped: 1, applied: 1, gaps: 0 });
    expect(events).toEqual([{ type: 'synced', symbol: 'T', snapshotId: 7, lastUpdateId: 9, tsExchangeUs: 9 }]);
  });

  it('a snapshot that arrives first waits for its bridging diff; pu == lastUpdateId also bridges', () => {
    const { sync, book } = make();
    sync.applySnapshot(snap(9));
    expect(sync.state()).toBe('BRIDGING');
    sync.applyDiff(diff(3, 8, 2)); // older than the snapshot
    expect(sync.counters.dropped).toBe(1);
    sync.applyDiff(diff(10, 12, 9, [], [[109, 4]]));
    expect(sync.state()).toBe('SYNCED');
    expect(book.bestAskTicks()).toBe(109);
  });

  it('a broken pu chain is a gap: INVALID until a snapshot, then resynced from buffered diffs', () => {
    const { sync, events, book } = make();
    sync.applySnapshot(snap(9));
    sync.applyDiff(diff(9, 12, 8));
    sync.applyDiff(diff(14, 15, 13, [[105, 1]])); // 13..13 never arrived
    expect(sync.state()).toBe('INVALID');
    expect(book.isValid()).toBe(false);
    expect(sync.counters.gaps).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'gap', expectedId: 12, phase: 'chain', prevFinalUpdateId: 13 });
    sync.applyDiff(diff(16, 18, 15, [[106, 1]]));
    sync.applySnapshot(snap(14, [[104, 1]]));
    expect(sync.state()).toBe('SYNCED');
    expect(sync.counters.resyncs).toBe(1);
    expect(book.bestBidTicks()).toBe(106);
    expect(book.qtyAt('bid', 105)).toBe(1);
    // Reported when the bridging diff (14..15) lands; the rest of the buffer follows.
    expect(events.at(-1)).toMatchObject({ type: 'resync', snapshotId: 14, lastUpdateId: 15 });
    expect(book.lastUpdateId()).toBe(18);
  });

  it('a first diff that does not bridge the snapshot is a gap', () => {
    const { sync, events } = make();
    sync.applySnapshot(snap(9));
    sync.applyDiff(diff(11, 12, 10));
    expect(sync.state()).toBe('INVALID');
    expect(events.at(-1)).toMatchObject({ type: 'gap', phase: 'bridge', expectedId: 9 });
  });

  it('drops duplicates and old diffs while synced instead of calling them gaps', () => {
    const { sync } = make();
    sync.applySnapshot(snap(9));
    const d = diff(9, 12, 8, [[101, 3]]);
    sync.applyDiff(d);
    sync.applyDiff(d);
    expect(sync.state()).toBe('SYNCED');
    expect(sync.counters).toMatchObject({ applied: 1, dropped: 1, gaps: 0 });
  });

  it('a crossed book is counted, reported and invalid until the next snapshot', () => {
    const { sync, events, book } = make();
    sync.applySnapshot(snap(9));
    sync.applyDiff(diff(9, 12, 8));
    sync.applyDiff(diff(13, 14, 12, [[110, 2]]));
    expect(sync.state()).toBe('INVALID');
    expect(book.isValid()).toBe(false);
    expect(sync.counters.crossed).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'crossed', cause: 'diff', bestBidTicks: 110, bestAskTicks: 110, updateId: 14 });
    sync.applySnapshot(snap(20, [[100, 1]], [[100, 1]]));
    expect(sync.counters.crossed).toBe(2);
    expect(events.at(-1)).toMatchObject({ type: 'crossed', cause: 'snapshot' });
  });

  it('ignores a snapshot with ids while synced; reset() starts over', () => {
    const { sync, events } = make();
    sync.applySnapshot(snap(9));
    sync.applyDiff(diff(9, 12, 8));
    sync.applySnapshot(snap(30));
    expect(sync.state()).toBe('SYNCED');
    expect(sync.counters.ignoredSnapshots).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'snapshotIgnored', snapshotId: 30, lastUpdateId: 12 });
    sync.reset();
    expect(sync.state()).toBe('AWAITING_SNAPSHOT');
    expect(sync.book.levelCount('bid')).toBe(0);
    expect(sync.book.isValid()).toBe(false);
  });

  it('without ids: diffs before the first snapshot are dropped, then applied in order; a snapshot resets', () => {
    const { sync, book } = make();
    sync.applyDiff(diff(-1, -1, -1, [[101, 1]]));
    expect(sync.counters.dropped).toBe(1);
    sync.applySnapshot(snap(-1));
    expect(sync.state()).toBe('SYNCED');
    sync.applyDiff(diff(-1, -1, -1, [[102, 1]]));
    sync.applyDiff(diff(-1, -1, -1, [[102, 0], [103, 1]]));
    expect(book.bestBidTicks()).toBe(103);
    expect(book.levelCount('bid')).toBe(2);
    sync.applySnapshot(snap(-1, [[90, 1]]));
    expect(book.bestBidTicks()).toBe(90);
    expect(sync.counters.resyncs).toBe(1);
    // A crossing flags the book but, with no ids to resync from, it keeps following the diffs.
    sync.applyDiff(diff(-1, -1, -1, [[111, 1]]));
    expect(sync.state()).toBe('INVALID');
    sync.applyDiff(diff(-1, -1, -1, [[111, 0]]));
    expect(book.bestBidTicks()).toBe(90);
    expect(book.isValid()).toBe(false);
  });

  it('evicts the oldest buffered diffs beyond maxBuffered', () => {
    const { sync } = make(2);
    sync.applyDiff(diff(1, 2, 0));
    sync.applyDiff(diff(3, 4, 2));
    sync.applyDiff(diff(5, 6, 4, [[101, 1]]));
    expect(sync.bufferedCount()).toBe(2);
    expect(sync.counters.evicted).toBe(1);
    sync.applySnapshot(snap(4));
    expect(sync.state()).toBe('SYNCED');
    expect(sync.book.bestBidTicks()).toBe(101);
  });

  it('applies a diff given as ranges of flat arrays and copies what it buffers', () => {
    const { sync, book } = make();
    const ticks = new Float64Array([0, 101, 102, 111]);
    const lots = new Float64Array([0, 5, 6, 7]);
    const flat = {
      tsExchangeUs: 1, firstUpdateId: 8, finalUpdateId: 12, prevFinalUpdateId: 7,
      bidTicks: ticks, bidLots: lots, bidStart: 1, bidEnd: 3, askTicks: ticks, askLots: lots, askStart: 3, askEnd: 4,
    };
    sync.applyFlatDiff(flat); // buffered: no snapshot yet
    ticks.fill(0);
    lots.fill(0);
    sync.applySnapshot(snap(9));
    expect(sync.state()).toBe('SYNCED');
    expect(book.topLevels('bid', 3)).toEqual([{ priceTicks: 102, qtyLots: 6 }, { priceTicks: 101, qtyLots: 5 }, { priceTicks: 100, qtyLots: 1 }]);
    expect(book.bestAskTicks()).toBe(110);
    expect(book.qtyAt('ask', 111)).toBe(7);
  });
});
