// The backtest's store source on a synthetic market written to a store: the window and tables it
// selects, and two symbols merged into one clock. The decoder itself is tested in
// tests/store/batch.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSource } from '../../src/backtest/feed.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { ColumnarBatch, importEvents, mergeSources, readMarketEvents } from '../../src/store/index.ts';
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

describe('storeSource', () => {
  it('yields the store batches of one symbol read in place, over [fromUs, toUs) of receive time', async () => {
    const all: MarketEvent[] = [];
    for await (const e of readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' })) all.push(e);
    const fromUs = all[Math.floor(all.length / 3)].tsReceiveUs;
    const toUs = all[Math.floor((2 * all.length) / 3)].tsReceiveUs;
    const got: MarketEvent[] = [];
    for await (const b of storeSource({ root, venue: VENUE, symbol: 'BTCUSDT', fromUs, toUs, batchRows: 777 })) {
      expect(b).toBeInstanceOf(ColumnarBatch);
      for (let k = 0; k < b.length; k++) got.push(b.eventAt(k));
    }
    expect(got).toEqual(all.filter((e) => e.tsReceiveUs >= fromUs && e.tsReceiveUs < toUs));
    const trades: MarketEvent[] = [];
    for await (const b of storeSource({ root, venue: VENUE, symbol: 'BTCUSDT', tables: ['trades'] })) for (let k = 0; k < b.length; k++) trades.push(b.eventAt(k));
    expect(trades).toEqual(all.filter((e) => e.type === 'trade'));
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
