// The force_orders table (maker-store/5): liquidation orders round-trip exactly, merge into the
// replay by the store order (after the other tables on ties), de-duplicate on re-import by their
// identity, are counted in meta.json, and a maker-store/4 partition (no such table) still reads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.ts';
import type { ForceOrder, MarketEvent } from '../../src/model/events.ts';
import { StoreWriter, openStore, readMarketEvents, type PartitionMeta } from '../../src/store/index.ts';
import { INSTRUMENT, T0, collect, removeTempRoots, tempRoot, trade } from './helpers.ts';

afterAll(removeTempRoots);

const VENUE = 'binance-usdm';

function liquidation(k: number, tsReceiveUs: number): ForceOrder {
  return {
    type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: tsReceiveUs - 900, tsReceiveUs, tsTransactUs: tsReceiveUs - 905, side: k % 2 === 0 ? 'sell' : 'buy', orderType: 'LIMIT', timeInForce: 'IOC',
    origQtyLots: 10 + k, priceTicks: 600_000 + k, avgPrice: `60000.${k}1234567`, status: 'FILLED', lastFilledQtyLots: 10 + k, filledQtyLots: 10 + k,
  };
}

async function write(root: string, events: MarketEvent[]) {
  const w = new StoreWriter({ root, venue: VENUE });
  w.addInstrument(INSTRUMENT);
  await w.write(events);
  return w.commit({ importer: 'test', inputs: [] });
}

const metaFile = (root: string) => join(root, VENUE, 'BTCUSDT', '2024-08-08', 'meta.json');

describe('force_orders table', () => {
  it('round trip, replay order and idempotent re-import', async () => {
    const root = tempRoot();
    // A trade and a liquidation at the same receive time: the recording order (seq) keeps the liquidation first.
    const events: MarketEvent[] = [liquidation(0, T0 + 11_000), trade(T0 + 8_000, 77, 600_010, 3), liquidation(1, T0 + 12_000), liquidation(2, T0 + 13_000)];
    await write(root, events);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
    const meta = JSON.parse(readFileSync(metaFile(root), 'utf8')) as PartitionMeta;
    expect(meta.format).toBe('maker-store/5');
    expect(meta.tables.force_orders?.rows).toBe(3);
    expect(meta.tables.force_orders?.file).toMatch(/^force_orders\.[0-9a-f]{16}\.parquet$/);
    const store = await openStore(root);
    expect(store.tables(VENUE, 'BTCUSDT', '2024-08-08')).toEqual(['trades', 'force_orders']);
    // Only the tables asked for: a backtest never reads this one (feed.ts has no stream for it).
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT', tables: ['trades'] }))).toEqual([events[1]]);

    // The same liquidations again (a journal compacted twice) plus a new one: no duplicates.
    const before = readFileSync(metaFile(root), 'utf8');
    await write(root, [events[0], events[2]]);
    expect(readFileSync(metaFile(root), 'utf8').replace(/"imports": \[[\s\S]*\]/, '')).toBe(before.replace(/"imports": \[[\s\S]*\]/, ''));
    await write(root, [liquidation(3, T0 + 14_000)]);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual([...events, liquidation(3, T0 + 14_000)]);
  });

  it('a maker-store/4 partition (the same files, no force_orders) still reads; a newer format is refused by name', async () => {
    const root = tempRoot();
    const events: MarketEvent[] = [trade(T0 + 1_000, 1, 600_000, 1), trade(T0 + 2_000, 2, 600_001, 2)];
    await write(root, events);
    const meta = JSON.parse(readFileSync(metaFile(root), 'utf8')) as PartitionMeta;
    writeFileSync(metaFile(root), JSON.stringify({ ...meta, format: 'maker-store/4' }));
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
    // Importing liquidations into it rewrites it as maker-store/5, the old rows kept.
    await write(root, [liquidation(0, T0 + 9_000)]);
    expect(JSON.parse(readFileSync(metaFile(root), 'utf8')).format).toBe('maker-store/5');
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual([...events, liquidation(0, T0 + 9_000)]);
    writeFileSync(metaFile(root), JSON.stringify({ ...meta, format: 'maker-store/6' }));
    await expect(openStore(root).then((s) => s.tables(VENUE, 'BTCUSDT', '2024-08-08'))).rejects.toThrow(StoreError);
  });
});
