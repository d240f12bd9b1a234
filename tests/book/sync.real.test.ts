// Real Binance data (hftbacktest recordings, see ../shared/data/real/SOURCES.md): the synced book must
// have no gaps, never cross, and agree exactly with every bookTicker that names a depth event's `u`.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BookSync, L2Book, type BookSyncEvent } from '../../src/book/index.ts';
import { HBT_BTC, HBT_ETH, haveReal, haveShared, loadRealEvents } from '../support/shared-data.ts';

interface Top {
  bid: number;
  bidLots: number;
  ask: number;
  askLots: number;
}

async function replay(file: string, symbol: string) {
  // Specs from the captured exchangeInfo: BTCUSDT tick 0.1, ETHUSDT tick 0.01, step 0.001.
  const events = await loadRealEvents(file, { types: ['depth', 'snapshot', 'bookTicker'] });
  const seen: BookSyncEvent[] = [];
  const sync = new BookSync(new L2Book(symbol), { onEvent: (e) => seen.push(e) });
  const topAtU = new Map<number, Top>();
  const tickers: { u: number; top: Top }[] = [];
  let diffs = 0;
  let diffsBeforeSnapshot = 0;
  let snapshotSeen = false;
  for (const e of events) {
    if (e.type === 'depth') {
      diffs++;
      if (!snapshotSeen) diffsBeforeSnapshot++;
      sync.applyDiff(e);
      if (sync.state() === 'SYNCED') {
        const b = sync.book;
        topAtU.set(e.finalUpdateId, { bid: b.bestBidTicks(), bidLots: b.bestBidLots(), ask: b.bestAskTicks(), askLots: b.bestAskLots() });
      }
    } else if (e.type === 'snapshot') {
      snapshotSeen = true;
      sync.applySnapshot(e);
    } else {
      tickers.push({ u: e.updateId, top: { bid: e.bidTicks, bidLots: e.bidLots, ask: e.askTicks, askLots: e.askLots } });
    }
  }
  let checked = 0;
  let matched = 0;
  const mismatches: string[] = [];
  for (const t of tickers) {
    const top = topAtU.get(t.u);
    if (!top) continue;
    checked++;
    if (top.bid === t.top.bid && top.bidLots === t.top.bidLots && top.ask === t.top.ask && top.askLots === t.top.askLots) matched++;
    else if (mismatches.length < 5) mismatches.push(`u=${t.u} book=${JSON.stringify(top)} ticker=${JSON.stringify(t.top)}`);
  }
  return { sync, seen, diffs, diffsBeforeSnapshot, checked, matched, mismatches };
}

describe('BookSync on real Binance USDⓈ-M recordings', () => {
  it.skipIf(!haveReal)('BTCUSDT 2024-08-08: no gaps, never crossed, 629 of 629 bookTickers match', async () => {
    const r = await replay(HBT_BTC, 'BTCUSDT');
    const c = r.sync.counters;
    expect(r.diffs).toBe(6551);
    // The REST snapshot (line 55) lands after its bridging diff: the buffer must be replayed.
    expect(r.diffsBeforeSnapshot).toBeGreaterThan(0);
    expect(c.snapshots).toBe(1);
    expect(c.gaps).toBe(0);
    expect(c.crossed).toBe(0);
    expect(c.resyncs).toBe(0);
    expect(c.buffered).toBe(r.diffsBeforeSnapshot);
    expect(c.applied + c.dropped).toBe(r.diffs);
    expect(c.applied).toBeGreaterThan(6500);
    expect(r.sync.state()).toBe('SYNCED');
    expect(r.sync.book.isValid()).toBe(true);
    expect(r.seen.map((e) => e.type)).toEqual(['synced']);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(629);
    expect(r.matched).toBe(629);
  });

  it.skipIf(!existsSync(HBT_ETH) || !haveShared)('ETHUSDT 2024-08-08: no gaps, never crossed; bridged by pu == lastUpdateId', async () => {
    const r = await replay(HBT_ETH, 'ETHUSDT');
    const c = r.sync.counters;
    expect(r.diffs).toBe(6586);
    expect(c.gaps).toBe(0);
    expect(c.crossed).toBe(0);
    expect(c.applied + c.dropped).toBe(r.diffs);
    expect(r.sync.state()).toBe('SYNCED');
    expect(r.mismatches).toEqual([]);
    expect(r.matched).toBe(r.checked);
    expect(r.checked).toBeGreaterThan(0);
  });
});
