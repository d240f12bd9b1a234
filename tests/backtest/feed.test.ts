// ColumnarBatch (the engine's in-place view of a store batch) against the store's own decoding:
// every row's type, symbol, stamps, built event and flat depth view, on a synthetic market written
// to a store (all six event types), read in small batches; MergedBatch over two symbols.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlatDepthDiff } from '../../src/model/events.ts';
import { ColumnarBatch, mergeSources, storeSource, type EventBatch } from '../../src/backtest/feed.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { eventsFromBatch, importEvents, readEvents } from '../../src/store/index.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';

const root = mkdtempSync(join(tmpdir(), 'maker-feed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const VENUE = 'binance-usdm';

beforeAll(async () => {
  for (const [symbol, seed] of [['BTCUSDT', 5], ['ETHUSDT', 6]] as const) {
    const inst = syntheticInstrument(symbol);
    const cfg = { ...DEFAULT_SYNTHETIC, symbol, seed, startUs: 1_704_067_200_000_000, durationS: 20 };
    await importEvents({ root, venue: VENUE, instruments: [inst], provenance: { importer: 'test', inputs: [{ path: 'synthetic' }] } }, generateSynthetic(cfg, inst));
  }
}, 60_000);

function flatOf(b: EventBatch, k: number): FlatDepthDiff {
  const f: FlatDepthDiff = { tsExchangeUs: 0, firstUpdateId: 0, finalUpdateId: 0, prevFinalUpdateId: 0, bidTicks: [], bidLots: [], bidStart: 0, bidEnd: 0, askTicks: [], askLots: [], askStart: 0, askEnd: 0 };
  b.flatDepthAt(k, f);
  return f;
}

describe('ColumnarBatch', () => {
  it('reads every row as the store decodes it', async () => {
    const types = new Set<string>();
    let rows = 0;
    for await (const batch of readEvents(root, { venue: VENUE, symbol: 'BTCUSDT', batchRows: 777 })) {
      const want = eventsFromBatch(batch);
      const b = new ColumnarBatch(batch);
      expect(b.length).toBe(want.length);
      for (let k = 0; k < b.length; k++) {
        const e = want[k];
        types.add(e.type);
        expect(b.typeAt(k)).toBe(e.type);
        expect(b.symbolAt(k)).toBe(e.symbol);
        expect(b.tsExchangeUsAt(k)).toBe(e.tsExchangeUs);
        expect(b.tsReceiveUsAt(k)).toBe(e.tsReceiveUs);
        expect(b.eventAt(k)).toEqual(e);
        if (e.type === 'depth') {
          const f = flatOf(b, k);
          expect([f.tsExchangeUs, f.firstUpdateId, f.finalUpdateId, f.prevFinalUpdateId]).toEqual([e.tsExchangeUs, e.firstUpdateId, e.finalUpdateId, e.prevFinalUpdateId]);
          expect(Array.from(f.bidTicks as Float64Array).slice(f.bidStart, f.bidEnd)).toEqual(e.bidTicks);
          expect(Array.from(f.bidLots as Float64Array).slice(f.bidStart, f.bidEnd)).toEqual(e.bidLots);
          expect(Array.from(f.askTicks as Float64Array).slice(f.askStart, f.askEnd)).toEqual(e.askTicks);
          expect(Array.from(f.askLots as Float64Array).slice(f.askStart, f.askEnd)).toEqual(e.askLots);
        }
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(500);
    expect([...types].sort()).toEqual(['bookTicker', 'depth', 'markPrice', 'snapshot', 'trade']);
  });

  it('merges two symbols by receive time, the same whatever the batch sizes', async () => {
    const collect = async (readRows: number, outRows: number) => {
      const out: MarketEvent[] = [];
      const sources = ['BTCUSDT', 'ETHUSDT'].map((symbol) => storeSource({ root, venue: VENUE, symbol, batchRows: readRows }));
      for await (const b of mergeSources(sources, outRows)) for (let k = 0; k < b.length; k++) out.push(b.eventAt(k));
      return out;
    };
    const a = await collect(65_536, 65_536);
    const b = await collect(101, 333);
    expect(b).toEqual(a);
    expect(new Set(a.map((e) => e.symbol))).toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
    for (let i = 1; i < a.length; i++) expect(a[i].tsReceiveUs).toBeGreaterThanOrEqual(a[i - 1].tsReceiveUs);
  });
});
